import { test } from 'tap'
import { healthcheckUrl } from '../../../lib/ops/healthcheck-url.js'

test('a wildcard listen address is checked on its loopback; others as they are', async (t) => {
  t.equal(healthcheckUrl('0.0.0.0', 8080), 'http://127.0.0.1:8080/health')
  t.equal(healthcheckUrl('::', 7860), 'http://[::1]:7860/health')
  t.equal(healthcheckUrl('::1', 7860), 'http://[::1]:7860/health')
  t.equal(healthcheckUrl('127.0.0.1', 9000), 'http://127.0.0.1:9000/health')
  t.equal(healthcheckUrl('localhost', 9000), 'http://localhost:9000/health')
})

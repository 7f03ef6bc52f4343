import { test } from 'tap'
import { LogThrottle } from '../../../lib/ops/log-throttle.js'

test('a throttled event is reported first, then once per interval, with the count of those left out', async (t) => {
  let now = 1_000_000
  const throttle = new LogThrottle(30_000, () => now)
  t.equal(throttle.take(), 0, 'the first is reported')
  now += 2_000
  t.equal(throttle.take(), undefined, 'within the interval: left out')
  now += 2_000
  t.equal(throttle.take(), undefined)
  now += 26_000
  t.equal(throttle.take(), 2, 'once the interval has passed: reported, saying two were left out')
  now += 29_999
  t.equal(throttle.take(), undefined)
  now += 1
  t.equal(throttle.take(), 1)
})

// The version shown is the one in the nearest package.json above the module.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'tap'
import { gatewayVersion } from '../../../lib/ops/version.js'

test('the nearest package.json above the directory gives the version', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'version-'))
  t.teardown(() => { rmSync(root, { recursive: true, force: true }) })
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'outer', version: '9.9.9' }))
  mkdirSync(join(root, 'inner', 'dist', 'lib'), { recursive: true })
  writeFileSync(join(root, 'inner', 'package.json'), JSON.stringify({ name: 'inner', version: '1.2.3' }))
  t.equal(gatewayVersion(join(root, 'inner', 'dist', 'lib')), '1.2.3', 'from two levels down')
  t.equal(gatewayVersion(join(root, 'inner')), '1.2.3', 'in the directory itself')
  mkdirSync(join(root, 'noversion'))
  writeFileSync(join(root, 'noversion', 'package.json'), JSON.stringify({ name: 'x' }))
  t.equal(gatewayVersion(join(root, 'noversion')), 'unknown', 'a package.json without a version')
  t.equal(gatewayVersion('/'), 'unknown', 'none up to the file system root')
})

test('the gateway\'s own version by default', async (t) => {
  t.match(gatewayVersion(), /^\d+\.\d+\.\d+/)
})

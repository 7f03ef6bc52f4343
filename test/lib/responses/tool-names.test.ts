// Client tools as Claude sees them: namespaced tools joined with '__', odd names made acceptable.
import { test } from 'tap'
import { ToolNames, upstreamName } from '../../../lib/responses/tool-names.js'

test('a namespaced tool is offered as namespace__name and found again by that name', async (t) => {
  const names = new ToolNames()
  t.equal(names.size, 0)
  t.equal(names.add({ kind: 'function', name: 'read', namespace: 'files' }), 'files__read')
  t.equal(names.add({ kind: 'custom', name: 'apply_patch' }), 'apply_patch')
  t.equal(names.size, 2)
  t.same(names.lookup('files__read'), { kind: 'function', name: 'read', namespace: 'files' })
  t.same(names.lookup('apply_patch'), { kind: 'custom', name: 'apply_patch' })
  t.equal(names.lookup('read'), undefined)
})

test('a name Claude cannot take has its other characters replaced and is cut to 64', async (t) => {
  t.equal(upstreamName('get weather', undefined), 'get_weather')
  t.equal(upstreamName('tool.v2', 'mcp:server'), 'mcp_server__tool_v2')
  t.equal(upstreamName('x'.repeat(70) + '!', undefined), 'x'.repeat(64))
  t.equal(upstreamName('ok-name_1', ''), 'ok-name_1', 'an empty namespace is no namespace')
  t.equal(upstreamName('', undefined), '_', 'nothing left: one underscore')
})

// Metric labels stay few and never carry client text or secrets.
import { test } from 'tap'
import { UpstreamError, UpstreamNetworkError } from '../../../lib/errors.js'
import { ModelLabels, attemptOutcome, statusClass } from '../../../lib/ops/metric-labels.js'

test('a failed upstream attempt is counted by how it failed', async (t) => {
  t.equal(attemptOutcome(new UpstreamNetworkError('socket hang up', 'ECONNRESET')), 'network')
  t.equal(attemptOutcome(new UpstreamError(429, 'rate_limit_error', 'slow down')), 'rate_limited')
  t.equal(attemptOutcome(new UpstreamError(529, 'overloaded_error', 'busy')), 'server_error')
  t.equal(attemptOutcome(new UpstreamError(500, 'api_error', 'oops')), 'server_error')
  t.equal(attemptOutcome(new UpstreamError(499, 'invalid_request_error', 'no')), 'rejected')
  t.equal(attemptOutcome(new UpstreamError(401, 'authentication_error', 'bad key')), 'rejected')
  t.equal(attemptOutcome(new Error('anything else')), 'server_error')
})

test('status classes', async (t) => {
  t.same([200, 299, 404, 503].map(statusClass), ['2xx', '2xx', '4xx', '5xx'])
})

test('model ids become labels; keys, prompt text and non-strings do not', async (t) => {
  const labels = new ModelLabels(new Set(['claude-sonnet-4-6']))
  t.equal(labels.label(undefined), 'none')
  t.equal(labels.label(null), 'none')
  t.equal(labels.label(42), 'other')
  t.equal(labels.label('claude-sonnet-4-6'), 'claude-sonnet-4-6')
  t.equal(labels.label('anthropic/claude-3.5:beta@2'), 'anthropic/claude-3.5:beta@2')
  t.equal(labels.label('sk-ant-api03-abcdefghijklmnop'), 'other', 'a key pasted as a model id')
  t.equal(labels.label('sk-proj-abc'), 'other')
  t.equal(labels.label('write me a poem'), 'other', 'spaces: prompt text')
  t.equal(labels.label('-leading-dash'), 'other')
  t.equal(labels.label(''), 'other')
  t.equal(labels.label('a'.repeat(80)), 'a'.repeat(80), '80 characters is the longest id')
  t.equal(labels.label('a'.repeat(81)), 'other')
  t.equal(labels.label('claude\nnewline'), 'other')
})

test('past the cap, new model ids fold into other; known and already seen ones keep their label', async (t) => {
  const labels = new ModelLabels(new Set(['known-1']), 2)
  t.equal(labels.label('first'), 'first')
  t.equal(labels.label('second'), 'second')
  t.equal(labels.label('third'), 'other')
  t.equal(labels.label('first'), 'first', 'seen before the cap')
  t.equal(labels.label('known-1'), 'known-1', 'known ids are always labels')
  t.equal(new ModelLabels(new Set()).label('x'.repeat(3)), 'xxx', 'the default cap admits new ids')
})

import t from 'tap'
import { GatewayError, UpstreamError, UpstreamNetworkError } from '../../../lib/errors.js'
import { codeForUpstream, describeFailure } from '../../../lib/responses/failure.js'

t.test('codeForUpstream: the response.failed code Codex acts on, for each upstream error type', async (t) => {
  t.equal(codeForUpstream('rate_limit_error', 'slow down'), 'rate_limit_exceeded')
  t.equal(codeForUpstream('overloaded_error', 'busy'), 'server_is_overloaded')
  t.equal(codeForUpstream('billing_error', 'no credit'), 'insufficient_quota')
  t.equal(codeForUpstream('invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum'), 'context_length_exceeded')
  t.equal(codeForUpstream('invalid_request_error', 'input exceeds the CONTEXT window'), 'context_length_exceeded')
  t.equal(codeForUpstream('invalid_request_error', 'Too many tokens in the request'), 'context_length_exceeded')
  t.equal(codeForUpstream('invalid_request_error', 'messages: roles must alternate'), 'invalid_prompt')
  t.equal(codeForUpstream('api_error', 'internal'), 'server_error')
  t.equal(codeForUpstream('a_new_error_type', 'too long'), 'server_error')
})

t.test('describeFailure: each kind of error as a response.failed error', async (t) => {
  t.strictSame(describeFailure(new UpstreamError(429, 'rate_limit_error', 'slow down')), { code: 'rate_limit_exceeded', message: 'Upstream: slow down' })
  t.strictSame(describeFailure(new UpstreamError(400, 'invalid_request_error', 'prompt is too long')), { code: 'context_length_exceeded', message: 'Upstream: prompt is too long' })
  t.strictSame(describeFailure(new UpstreamNetworkError('socket hang up', 'ECONNRESET')), { code: 'server_error', message: 'The upstream stream failed before the answer was complete (socket hang up)' })
  t.strictSame(describeFailure(new GatewayError(400, 'invalid_request_error', 'bad image', { code: 'invalid_image' })), { code: 'invalid_image', message: 'bad image' })
  t.strictSame(describeFailure(new GatewayError(502, 'server_error', 'no answer')), { code: 'server_error', message: 'no answer' })
  t.strictSame(describeFailure(new Error('boom')), { code: 'server_error', message: 'The upstream stream failed before the answer was complete' })
  t.strictSame(describeFailure('not even an error'), { code: 'server_error', message: 'The upstream stream failed before the answer was complete' })
})

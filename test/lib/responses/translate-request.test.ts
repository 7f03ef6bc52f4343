// Request fields of the Responses API that become Anthropic request fields.
import { test } from 'tap'
import { CapabilityTable } from '../../../lib/anthropic/capabilities.js'
import { translateResponsesRequest } from '../../../lib/responses/translate-request.js'
import type { InputContext } from '../../../lib/responses/translate-input.js'
import type { ResponsesRequest } from '../../../schemas/responses.js'

const OPTIONS = { capabilities: new CapabilityTable(), unsupportedFields: 'error' as const, autoCache: false, webSearch: false }
const CONTEXT: InputContext = { unseal: () => [], thinkingById: new Map(), references: new Map() }

function translate (fields: Partial<ResponsesRequest>): ReturnType<typeof translateResponsesRequest> {
  return translateResponsesRequest({ model: 'claude-sonnet-4-6', input: 'hi', ...fields } as ResponsesRequest, [], CONTEXT, OPTIONS)
}

test('safety_identifier, or else user, is sent as metadata.user_id', async (t) => {
  t.same(translate({ safety_identifier: 'tenant-42' }).body.metadata, { user_id: 'tenant-42' })
  t.same(translate({ user: 'legacy-user' }).body.metadata, { user_id: 'legacy-user' })
  t.same(translate({ safety_identifier: 'tenant-42', user: 'legacy-user' }).body.metadata, { user_id: 'tenant-42' }, 'safety_identifier wins')
  t.equal(translate({}).body.metadata, undefined)
  t.throws(() => translate({ safety_identifier: 'x'.repeat(257) }), { status: 400, param: 'safety_identifier', message: /at most 256/ }, 'too long: the error names safety_identifier')
  t.throws(() => translate({ user: 'x'.repeat(257) }), { status: 400, param: 'user', message: /at most 256/ })
})

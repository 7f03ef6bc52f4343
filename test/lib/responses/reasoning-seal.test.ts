import t from 'tap'
import { ReasoningSeal, sealSecret } from '../../../lib/responses/reasoning-seal.js'
import type { ReasoningBlock } from '../../../lib/anthropic/types.js'

const blocks: ReasoningBlock[] = [{ type: 'thinking', thinking: 'Let me think.', signature: 'sig-1' }, { type: 'redacted_thinking', data: 'redacted-1' }]
const seal = new ReasoningSeal('a secret of enough length')

t.test('what is sealed for a caller opens for that caller, unchanged', async (t) => {
  const blob = seal.seal(blocks, 'caller-a')
  t.match(blob, /^c2a1\.[A-Za-z0-9_-]+$/)
  t.notMatch(blob, /sig-1|Let me think|redacted-1/)
  t.same(seal.unseal(blob, 'caller-a', 'input[0].encrypted_content'), blocks)
  t.not(seal.seal(blocks, 'caller-a'), blob, 'a fresh nonce each time')
})

t.test('altered, foreign, other-secret and malformed blobs are refused with a 400 naming the field', async (t) => {
  const blob = seal.seal(blocks, 'caller-a')
  const raw = Buffer.from(blob.slice(5), 'base64url')
  raw[raw.length - 1] ^= 1
  const candidates: Array<[string, string, ReasoningSeal]> = [
    ['altered', `c2a1.${raw.toString('base64url')}`, seal],
    ['other caller', blob, seal],
    ['other secret', blob, new ReasoningSeal('another secret of enough length')],
    ['not ours', 'gAAAAABopenai-blob', seal],
    ['truncated', blob.slice(0, 20), seal]
  ]
  for (const [what, candidate, opener] of candidates) {
    const identity = what === 'other caller' ? 'caller-b' : 'caller-a'
    t.throws(() => opener.unseal(candidate, identity, 'input[3].encrypted_content'), { status: 400, code: 'invalid_encrypted_content', param: 'input[3].encrypted_content' }, what)
  }
})

t.test('without RESPONSES_SECRET the secret follows the configured keys, not their order', async (t) => {
  t.equal(sealSecret(undefined, ['k1', 'k2']), sealSecret(undefined, ['k2', 'k1']))
  t.not(sealSecret(undefined, ['k1', 'k2']), sealSecret(undefined, ['k1', 'k3']))
  t.equal(sealSecret('configured secret value', ['k1']), 'configured secret value')
  t.notMatch(sealSecret(undefined, ['sk-ant-api03-secret']), /sk-ant/, 'the derived secret does not hold a key')
})

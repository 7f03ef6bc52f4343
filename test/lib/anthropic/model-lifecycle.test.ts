import t from 'tap'
import { checkNotRetired, retirementOf } from '../../../lib/anthropic/model-lifecycle.js'
import { BUILT_IN_MODELS, currentBuiltInModels } from '../../../lib/model-list.js'
import { GatewayError } from '../../../lib/errors.js'

const day = (text: string): Date => new Date(`${text}T12:00:00Z`)

t.test('Sonnet 4.5 answers until 2026-11-29 and is retired from 2026-11-30, naming Sonnet 4.6', async (t) => {
  t.equal(retirementOf('claude-sonnet-4-5-20250929', day('2026-11-29')), undefined)
  t.equal(retirementOf('claude-sonnet-4-5', day('2026-11-29')), undefined)
  t.equal(retirementOf('claude-sonnet-4-5-20250929', day('2026-11-30'))?.replacement, 'claude-sonnet-4-6')
  t.equal(retirementOf('claude-sonnet-4-5', day('2027-03-01'))?.replacement, 'claude-sonnet-4-6')
  let thrown: unknown
  try { checkNotRetired('claude-sonnet-4-5-20250929', day('2026-11-30')) } catch (error) { thrown = error }
  t.ok(thrown instanceof GatewayError, 'a GatewayError')
  const error = thrown as GatewayError
  t.match({ status: error.status, param: error.param, code: error.code }, { status: 404, param: 'model', code: 'model_retired' })
  t.match(error.message, /claude-sonnet-4-5-20250929.*2026-11-30.*claude-sonnet-4-6.*MODEL_ALIASES/)
  t.doesNotThrow(() => checkNotRetired('claude-sonnet-4-5-20250929', day('2026-11-29')))
})

t.test('Opus 4.5 retires on 2027-01-22; newer models and look-alike ids are never retired', async (t) => {
  t.equal(retirementOf('claude-opus-4-5-20251101', day('2027-01-21')), undefined)
  t.equal(retirementOf('claude-opus-4-5-20251101', day('2027-01-22'))?.replacement, 'claude-opus-4-8')
  for (const id of ['claude-sonnet-4-6', 'claude-opus-4-8', 'claude-sonnet-5', 'claude-haiku-4-5-20251001', 'claude-sonnet-4-50', 'claude-opus-4-1-20250805']) {
    t.equal(retirementOf(id, day('2030-01-01')), undefined, `${id} is not retired`)
  }
  t.equal(retirementOf('claude-sonnet-4-20250514', day('2026-06-15'))?.replacement, 'claude-sonnet-4-6')
  t.equal(retirementOf('claude-opus-4-0', day('2026-06-15'))?.replacement, 'claude-opus-4-8')
  t.equal(retirementOf('claude-3-5-sonnet-latest', day('2026-01-01'))?.replacement, 'claude-sonnet-4-6')
})

t.test('the built-in model list holds current models only', async (t) => {
  const ids = currentBuiltInModels(day('2026-11-30')).map((model) => model.id)
  t.notOk(ids.includes('claude-sonnet-4-5-20250929'))
  t.ok(ids.includes('claude-sonnet-4-6'))
  for (const model of BUILT_IN_MODELS) t.equal(retirementOf(model.id, day('2100-01-01')), undefined, `${model.id} has no announced retirement`)
})

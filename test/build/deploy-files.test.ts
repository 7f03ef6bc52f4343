/** docker-compose.yml's profiles start what they say: one gateway, or gateways that all share one Redis. */
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { load as loadYaml } from 'js-yaml'
import { test } from 'tap'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

interface Service { image?: string; build?: unknown; profiles?: string[]; environment?: Record<string, string> }
const compose = loadYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> }

/** What `docker compose --profile <profile> up` starts: services without profiles, and those of the profile. */
function started (profile: string): Array<[string, Service]> {
  return Object.entries(compose.services).filter(([, service]) => service.profiles === undefined || service.profiles.includes(profile))
}
const isGateway = ([, service]: [string, Service]): boolean => service.image?.startsWith('claude2api') === true

test('the scale profile starts only gateways that share Redis, and a Redis', async (t) => {
  const scale = started('scale')
  const gateways = scale.filter(isGateway)
  t.ok(gateways.length >= 2, 'two gateways or more')
  for (const [name, service] of gateways) t.match(service.environment?.REDIS_URL, /^redis:\/\/redis:/, `${name} shares the Redis`)
  t.ok(scale.some(([name]) => name === 'redis'), 'and the Redis is started')
})

test('the single profile starts one gateway and no Redis', async (t) => {
  const single = started('single')
  t.equal(single.filter(isGateway).length, 1)
  t.notOk(single.some(([name]) => name === 'redis'))
})

test('every gateway service can be built from this repository', async (t) => {
  for (const [name, service] of Object.entries(compose.services).filter((entry) => isGateway(entry))) t.ok(service.build, `${name} has build:`)
})

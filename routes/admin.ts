import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { clientView, groupView } from '../lib/clients/admin-views.js'
import { clientKeyLabel, generateClientKey, keyDigest } from '../lib/clients/keys.js'
import { GatewayError } from '../lib/errors.js'
import type { ClientRecord, GroupRecord } from '../lib/store/teams-store.js'
import {
  AuditListSchema, AuditQuerySchema, ClientCreatedSchema, ClientCreateSchema, ClientListSchema, ClientPatchSchema, ClientViewSchema,
  DeletedSchema, GroupCreateSchema, type GroupView, GroupListSchema, GroupPatchSchema, GroupViewSchema, NameParamsSchema, RotateBodySchema, RotatedSchema
} from '../schemas/admin.js'
import { errorResponses } from '../schemas/error.js'
import { adminGuard } from './admin-auth.js'

const notFound = (what: string, name: string): GatewayError => new GatewayError(404, 'not_found_error', `No ${what} named '${name}'`, { code: `${what}_not_found` })
const fromConfig = (what: string, name: string): GatewayError =>
  new GatewayError(409, 'invalid_request_error', `The ${what} '${name}' is defined in config.yaml; change it there`, { code: 'defined_in_config' })

/** The admin API: clients, groups and the audit log (ADMIN_KEYS / ADMIN_READ_KEYS). */
const adminRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const store = fastify.teamsStore
  fastify.addHook('onRequest', adminGuard(fastify))
  const tags = ['admin']

  async function changed (request: FastifyRequest, action: string, target: string, detail: Record<string, unknown>): Promise<void> {
    await store.appendAudit({ at: new Date().toISOString(), actor: request.adminLabel ?? 'admin', action, target, detail })
    await fastify.teams.reload()
  }

  function storedClient (name: string): ClientRecord {
    const found = fastify.teams.directory.client(name)
    if (found === undefined) throw notFound('client', name)
    if (found.identity.source === 'config') throw fromConfig('client', name)
    return found.record
  }

  function checkGroup (group: string | null | undefined): void {
    if (group != null && fastify.teams.directory.group(group) === undefined) throw new GatewayError(400, 'invalid_request_error', `No group named '${group}'; create it first`, { param: 'group', code: 'group_not_found' })
  }

  fastify.get('/clients', { schema: { tags, summary: 'List clients', response: { 200: ClientListSchema, ...errorResponses } } }, async () => {
    return { data: fastify.teams.directory.listClients().map(({ identity, record }) => clientView(record, identity.source === 'config' ? 'config' : 'admin')) }
  })

  fastify.post('/clients', { schema: { tags, summary: 'Create a client; the answer holds its key, shown only once', body: ClientCreateSchema, response: { 201: ClientCreatedSchema, ...errorResponses } } }, async (request, reply) => {
    const body = request.body
    if (fastify.teams.directory.client(body.name) !== undefined || (await store.getClient(body.name)) !== undefined) {
      throw new GatewayError(409, 'invalid_request_error', `A client named '${body.name}' exists already`, { code: 'client_exists' })
    }
    checkGroup(body.group)
    const key = generateClientKey()
    const now = new Date().toISOString()
    const record: ClientRecord = {
      name: body.name,
      group: body.group ?? null,
      models: body.models ?? null,
      expiresAt: body.expires_at ?? null,
      disabled: body.disabled ?? false,
      limits: body.limits ?? {},
      spend: body.spend ?? {},
      keys: [{ digest: keyDigest(key), label: clientKeyLabel(key), createdAt: now, expiresAt: null }],
      createdAt: now,
      updatedAt: now
    }
    await store.putClient(record)
    await changed(request, 'client.create', record.name, { group: record.group, models: record.models, limits: record.limits, spend: record.spend, key: record.keys[0].label })
    return await reply.code(201).send({ ...clientView(record, 'admin'), key })
  })

  fastify.get('/clients/:name', { schema: { tags, summary: 'Show a client', params: NameParamsSchema, response: { 200: ClientViewSchema, ...errorResponses } } }, async (request) => {
    const found = fastify.teams.directory.client(request.params.name)
    if (found === undefined) throw notFound('client', request.params.name)
    return clientView(found.record, found.identity.source === 'config' ? 'config' : 'admin')
  })

  fastify.patch('/clients/:name', { schema: { tags, summary: 'Change a client (group, models, expiry, disabled, limits, spend caps)', params: NameParamsSchema, body: ClientPatchSchema, response: { 200: ClientViewSchema, ...errorResponses } } }, async (request) => {
    const record = storedClient(request.params.name)
    const patch = request.body
    checkGroup(patch.group)
    const next: ClientRecord = {
      ...record,
      group: patch.group === undefined ? record.group : patch.group,
      models: patch.models === undefined ? record.models : patch.models,
      expiresAt: patch.expires_at === undefined ? record.expiresAt : patch.expires_at,
      disabled: patch.disabled ?? record.disabled,
      limits: patch.limits === undefined ? record.limits : { ...record.limits, ...patch.limits },
      spend: patch.spend === undefined ? record.spend : { ...record.spend, ...patch.spend },
      updatedAt: new Date().toISOString()
    }
    await store.putClient(next)
    await changed(request, 'client.update', next.name, { ...patch })
    return clientView(next, 'admin')
  })

  fastify.delete('/clients/:name', { schema: { tags, summary: 'Delete a client; its keys stop at once', params: NameParamsSchema, response: { 200: DeletedSchema, ...errorResponses } } }, async (request) => {
    const record = storedClient(request.params.name)
    await store.deleteClient(record.name)
    await changed(request, 'client.delete', record.name, {})
    return { name: record.name, deleted: true as const }
  })

  fastify.post('/clients/:name/rotate', { schema: { tags, summary: 'A new key for a client; the old keys stop at once or after grace_seconds', params: NameParamsSchema, body: RotateBodySchema, response: { 200: RotatedSchema, ...errorResponses } } }, async (request) => {
    const record = storedClient(request.params.name)
    const grace = request.body?.grace_seconds ?? 0
    const now = Date.now()
    const until = new Date(now + grace * 1000).toISOString()
    const previous = grace === 0
      ? []
      : record.keys.map((old) => ({ ...old, expiresAt: old.expiresAt !== null && old.expiresAt < until ? old.expiresAt : until })).filter((old) => old.expiresAt === null || Date.parse(old.expiresAt) > now)
    const key = generateClientKey()
    const fresh = { digest: keyDigest(key), label: clientKeyLabel(key), createdAt: new Date(now).toISOString(), expiresAt: null }
    await store.putClient({ ...record, keys: [fresh, ...previous], updatedAt: fresh.createdAt })
    await changed(request, 'client.rotate', record.name, { key: fresh.label, grace_seconds: grace })
    return { name: record.name, key, previous_keys_expire_at: previous.length > 0 ? until : null }
  })

  function storedGroup (name: string): GroupRecord {
    const found = fastify.teams.directory.group(name)
    if (found === undefined) throw notFound('group', name)
    if (found.source === 'config') throw fromConfig('group', name)
    return found.record
  }

  const groupViewOf = (record: GroupRecord, source: 'config' | 'admin'): GroupView => groupView(record, source, fastify.teams.directory.membersOf(record.name))

  fastify.get('/groups', { schema: { tags, summary: 'List groups', response: { 200: GroupListSchema, ...errorResponses } } }, async () => {
    return { data: fastify.teams.directory.listGroups().map(({ record, source }) => groupViewOf(record, source)) }
  })

  fastify.post('/groups', { schema: { tags, summary: 'Create a group', body: GroupCreateSchema, response: { 201: GroupViewSchema, ...errorResponses } } }, async (request, reply) => {
    const body = request.body
    if (fastify.teams.directory.group(body.name) !== undefined) throw new GatewayError(409, 'invalid_request_error', `A group named '${body.name}' exists already`, { code: 'group_exists' })
    const now = new Date().toISOString()
    const record: GroupRecord = { name: body.name, limits: body.limits ?? {}, spend: body.spend ?? {}, createdAt: now, updatedAt: now }
    await store.putGroup(record)
    await changed(request, 'group.create', record.name, { limits: record.limits, spend: record.spend })
    return await reply.code(201).send(groupViewOf(record, 'admin'))
  })

  fastify.get('/groups/:name', { schema: { tags, summary: 'Show a group', params: NameParamsSchema, response: { 200: GroupViewSchema, ...errorResponses } } }, async (request) => {
    const found = fastify.teams.directory.group(request.params.name)
    if (found === undefined) throw notFound('group', request.params.name)
    return groupViewOf(found.record, found.source)
  })

  fastify.patch('/groups/:name', { schema: { tags, summary: 'Change a group\'s limits or spend caps', params: NameParamsSchema, body: GroupPatchSchema, response: { 200: GroupViewSchema, ...errorResponses } } }, async (request) => {
    const record = storedGroup(request.params.name)
    const patch = request.body
    const next: GroupRecord = {
      ...record,
      limits: patch.limits === undefined ? record.limits : { ...record.limits, ...patch.limits },
      spend: patch.spend === undefined ? record.spend : { ...record.spend, ...patch.spend },
      updatedAt: new Date().toISOString()
    }
    await store.putGroup(next)
    await changed(request, 'group.update', next.name, { ...patch })
    return groupViewOf(next, 'admin')
  })

  fastify.delete('/groups/:name', { schema: { tags, summary: 'Delete a group (its members keep their own limits)', params: NameParamsSchema, response: { 200: DeletedSchema, ...errorResponses } } }, async (request) => {
    const record = storedGroup(request.params.name)
    await store.deleteGroup(record.name)
    await changed(request, 'group.delete', record.name, {})
    return { name: record.name, deleted: true as const }
  })

  fastify.get('/audit', { schema: { tags, summary: 'The audit log of admin changes, newest first', querystring: AuditQuerySchema, response: { 200: AuditListSchema, ...errorResponses } } }, async (request) => {
    return { data: await store.listAudit({ limit: request.query.limit ?? 100, beforeId: request.query.before_id }) }
  })
}

export default adminRoutes

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { spendCapsFor } from '../lib/clients/effective-limits.js'
import { GatewayError } from '../lib/errors.js'
import { dashboardData, DASHBOARD_DAYS, renderDashboard, type ClientCaps } from '../lib/ops/dashboard.js'
import { costReport, splitterFor } from '../lib/reports/cost-report.js'
import { parseReportQuery, ReportQueryError, type ReportKind, type ReportQuery } from '../lib/reports/report-query.js'
import { usageCsv } from '../lib/reports/usage-csv.js'
import { pageWindow, usageReport } from '../lib/reports/usage-report.js'
import type { LedgerRow } from '../lib/store/teams-store.js'
import { CostReportSchema, ReportQuerySchema, UsageReportSchema } from '../schemas/reports.js'
import { anthropicErrorResponses, errorResponses } from '../schemas/error.js'
import { Type } from 'typebox'
import { adminGuard } from './admin-auth.js'

/**
 * Rows one report may read: a window holding more is refused with a request for a narrower one,
 * rather than answered with figures that leave rows out.
 */
export const REPORT_ROW_LIMIT = 250_000
const DAY = 86_400_000
/** The dashboard names each client's three most frequent cache outcomes other than a hit. */
const CACHE_REASONS_PER_CLIENT = 3

function queryOf (raw: unknown, kind: ReportKind): ReportQuery {
  try {
    return parseReportQuery(raw as Record<string, string | string[] | undefined>, kind, Date.now())
  } catch (error) {
    if (error instanceof ReportQueryError) throw new GatewayError(400, 'invalid_request_error', error.message)
    throw error
  }
}

async function rowsFor (fastify: FastifyInstance, query: ReportQuery): Promise<LedgerRow[]> {
  const { from, to } = pageWindow(query)
  const rows = await fastify.teamsStore.ledgerRows({ from, to, clients: query.clients, models: undefined }, REPORT_ROW_LIMIT + 1)
  if (rows.length > REPORT_ROW_LIMIT) throw new GatewayError(400, 'invalid_request_error', `This page covers more than ${REPORT_ROW_LIMIT} ledger rows; ask for fewer buckets (limit) or a finer bucket_width`)
  return rows
}

function capsOf (fastify: FastifyInstance): (client: string) => ClientCaps {
  const { directory } = fastify.teams
  return (name) => {
    const found = directory.client(name)
    if (!found) return { daily: null, monthly: null }
    const group = found.identity.group === null ? undefined : directory.group(found.identity.group)?.record
    const caps = spendCapsFor(found.identity, group, directory.organization)
    return { daily: caps.find((cap) => cap.period === 'daily')?.cents ?? null, monthly: caps.find((cap) => cap.period === 'monthly')?.cents ?? null }
  }
}

/** Anthropic's Usage and Cost Admin API over the ledger, its CSV export, and the dashboard (admin keys). */
const reportRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.addHook('onRequest', adminGuard(fastify))
  const anthropic = { config: { errorShape: 'anthropic' as const } }
  const tags = ['admin']
  const split = splitterFor(fastify.ledger.prices)

  fastify.get('/v1/organizations/usage_report/messages', {
    ...anthropic,
    schema: { tags, summary: 'Messages usage report in Anthropic\'s Admin API shape (api_key_id = client, workspace_id = group)', querystring: ReportQuerySchema, response: { 200: UsageReportSchema, ...anthropicErrorResponses } }
  }, async (request) => {
    const query = queryOf(request.query, 'usage')
    return usageReport(await rowsFor(fastify, query), query)
  })

  fastify.get('/v1/organizations/cost_report', {
    ...anthropic,
    schema: { tags, summary: 'Cost report in Anthropic\'s Admin API shape: daily buckets, cents as decimal strings', querystring: ReportQuerySchema, response: { 200: CostReportSchema, ...anthropicErrorResponses } }
  }, async (request) => {
    const query = queryOf(request.query, 'cost')
    return costReport(await rowsFor(fastify, query), query, split)
  })

  fastify.get('/admin/usage.csv', {
    schema: { tags, summary: 'The usage report as CSV, one line per bucket and group, with cost (same query as the usage report)', querystring: ReportQuerySchema, produces: ['text/csv'], response: { 200: Type.String(), ...errorResponses } }
  }, async (request, reply) => {
    const query = queryOf(request.query, 'usage')
    const { csv, nextPage } = usageCsv(await rowsFor(fastify, query), query)
    if (nextPage !== null) reply.header('x-next-page', nextPage)
    return await reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="usage.csv"').header('cache-control', 'no-store').send(csv)
  })

  fastify.get('/admin/dashboard', {
    schema: { tags, summary: 'The status page\'s admin view: spend, caps, cache share and miss reasons, traffic (HTML fragment)', produces: ['text/html'], response: { 200: Type.String(), ...errorResponses } }
  }, async (_request, reply) => {
    const now = Date.now()
    const from = Math.floor(now / DAY) * DAY - (DASHBOARD_DAYS - 1) * DAY
    const window = { from, to: now + 1 }
    const [rows, outcomes] = await Promise.all([fastify.teamsStore.ledgerRows(window, REPORT_ROW_LIMIT + 1, 'newest'), fastify.teamsStore.cacheOutcomesByClient(window, CACHE_REASONS_PER_CLIENT)])
    const truncated = rows.length > REPORT_ROW_LIMIT
    const html = renderDashboard(dashboardData(truncated ? rows.slice(1) : rows, now, capsOf(fastify), truncated, outcomes))
    return await reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(html)
  })
}

export default reportRoutes

/**
 * The durable side of teams: clients and groups created through the admin API, spend limits,
 * the audit log and the usage ledger. SQLite (default) and PostgreSQL implement it; nothing
 * outside lib/store/ knows which one is in use. Key material is held only as digests.
 */

export type SpendPeriod = 'daily' | 'weekly' | 'monthly'
export const SPEND_PERIODS: readonly SpendPeriod[] = ['daily', 'weekly', 'monthly']

/** Each limit: a number, `null` for explicitly unlimited, absent to inherit. */
export interface RateLimits {
  rpm?: number | null
  input_tpm?: number | null
  output_tpm?: number | null
  concurrency?: number | null
}

/** US cents per period: a number, `null` for explicitly uncapped, absent to inherit. */
export interface SpendCaps {
  daily?: number | null
  weekly?: number | null
  monthly?: number | null
}

export interface KeyDigestRecord {
  /** Hex SHA-256 of the key. */
  digest: string
  /** What logs and the admin API show of the key: its prefix and last four characters. */
  label: string
  createdAt: string
  /** Set while a rotated-out key runs out its grace period (ISO 8601); null while current. */
  expiresAt: string | null
}

export interface ClientRecord {
  name: string
  group: string | null
  /** Allowed model ids or glob patterns; null for every model. */
  models: string[] | null
  expiresAt: string | null
  disabled: boolean
  limits: RateLimits
  spend: SpendCaps
  keys: KeyDigestRecord[]
  createdAt: string
  updatedAt: string
}

export interface GroupRecord {
  name: string
  limits: RateLimits
  /** `pooled`: the caps are shared by the members; otherwise each member's default. */
  spend: SpendCaps & { pooled?: boolean }
  createdAt: string
  updatedAt: string
}

export interface AuditEntry {
  id?: number
  at: string
  /** The admin key's label, never the key. */
  actor: string
  action: string
  target: string
  detail: Record<string, unknown>
}

export interface LedgerRow {
  /** Milliseconds since the epoch when the request started. */
  at: number
  requestId: string
  upstreamRequestId: string | null
  client: string | null
  group: string | null
  protocol: 'chat' | 'responses' | 'messages'
  route: string
  requestedModel: string | null
  upstreamModel: string | null
  keyLabel: string | null
  status: number
  errorType: string | null
  uncachedInputTokens: number
  cacheWrite5mTokens: number
  cacheWrite1hTokens: number
  cacheReadTokens: number
  outputTokens: number
  webSearchRequests: number
  /** Integer nano-US-dollars (1 cent = 10,000,000); null when the model has no price. */
  costNanoUsd: number | null
  priceVersion: string | null
  durationMs: number
  ttftMs: number | null
  streamed: boolean
  cacheOutcome: string | null
}

export interface LedgerFilter {
  /** Inclusive, milliseconds since the epoch. */
  from: number
  /** Exclusive. */
  to: number
  clients?: string[]
  models?: string[]
  /** Rows of these groups' members (a pooled group budget). */
  groups?: string[]
}

/** A ledger filter narrowed to what standing and summaries need. */
export type UsageTotalsFilter = LedgerFilter

/** Sums over ledger rows; costs in nano-USD, rows without a price counted apart (their cost is unknown, not zero). */
export interface UsageTotals {
  requests: number
  uncachedInputTokens: number
  cacheWrite5mTokens: number
  cacheWrite1hTokens: number
  cacheReadTokens: number
  outputTokens: number
  webSearchRequests: number
  costNanoUsd: number
  unpricedRequests: number
}

/** How many of a client's requests had one prompt-cache outcome, as the ledger stores it (`miss_prefix_changed; at=system[0]`). */
export interface CacheOutcomeCount {
  client: string | null
  outcome: string
  requests: number
}

export interface TeamsStore {
  readonly kind: 'sqlite' | 'postgres'
  /** Runs the versioned migrations not yet applied. */
  migrate (): Promise<void>
  close (): Promise<void>
  /** Grows on every change to clients, groups or spend limits, so replicas know to reload. */
  revision (): Promise<number>

  listClients (): Promise<ClientRecord[]>
  getClient (name: string): Promise<ClientRecord | undefined>
  putClient (client: ClientRecord): Promise<void>
  deleteClient (name: string): Promise<boolean>
  listGroups (): Promise<GroupRecord[]>
  getGroup (name: string): Promise<GroupRecord | undefined>
  putGroup (group: GroupRecord): Promise<void>
  deleteGroup (name: string): Promise<boolean>
  /** The organisation-wide default caps (`organization:` in config.yaml, or set through the admin API). */
  getOrganizationSpend (): Promise<SpendCaps>
  putOrganizationSpend (spend: SpendCaps): Promise<void>

  appendAudit (entry: AuditEntry): Promise<void>
  listAudit (options: { limit: number, beforeId?: number }): Promise<AuditEntry[]>

  insertLedgerRows (rows: LedgerRow[]): Promise<void>
  /** Rows in time order, for reports; `limit` bounds the answer, keeping the oldest rows or, with `newest`, the newest. */
  ledgerRows (filter: LedgerFilter, limit: number, keep?: 'oldest' | 'newest'): Promise<LedgerRow[]>
  /** Cost per client since `from` (nano-USD, null-cost rows counted as zero), to seed spend counters. */
  spendByClient (from: number): Promise<Map<string, number>>
  /** Sums of the rows the filter selects (a client's standing for a period, a report's total). */
  usageTotals (filter: UsageTotalsFilter): Promise<UsageTotals>
  /**
   * Per client, its most frequent prompt-cache outcomes other than `hit` (rows without an outcome
   * left out), at most `perClient` each, most frequent first and ties by name.
   */
  cacheOutcomesByClient (filter: LedgerFilter, perClient: number): Promise<CacheOutcomeCount[]>
  /** Deletes rows older than `before`; returns how many. */
  pruneLedger (before: number): Promise<number>
}

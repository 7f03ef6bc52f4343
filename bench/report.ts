/** Turns the measured figures into the Markdown table, the targets and the latency chart. */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, release, totalmem } from 'node:os'
import { groupedBarChart } from './svg-chart.js'
import { SYSTEM_LABELS, type SystemName } from './systems.js'

/** Every figure of one system in one run; memory figures in bytes, times in ms. */
export interface Figures extends Record<string, number> {
  seqP50: number
  seqP90: number
  seqP99: number
  slowP50: number
  slowP99: number
  requestsPerSecond: number
  ttfbP50: number
  ttfbP99: number
  deltasPerSecond: number
  /** CPU time of the system's process per request at saturation (µs); the floor's is the stand-in's. */
  cpuPerRequest: number
  /** CPU time of the system's process per streamed text delta at saturation (µs). */
  cpuPerDelta: number
  idleRss: number
  streamsRss: number
  perStreamBytes: number
}

export interface BenchSettings {
  quick: boolean
  runs: number
  sequentialRequests: number
  slowRequests: number
  slowLatencyMs: number
  saturationSeconds: number
  connections: number
  streamConnections: number
  ttfbStreams: number
  deltas: number
  openStreams: number
  /** Pause before reading memory, so the process settles after warm-up and after opening streams. */
  settleMs: number
}

export interface BenchResults {
  date: string
  settings: BenchSettings
  figures: Partial<Record<SystemName, Figures>>
  portkeyProblem: string | undefined
  /** Set when claude2api ran from another build or with extra node flags. */
  variant: string | undefined
  /** Each figure's lowest and highest value across the runs. */
  spread: Partial<Record<SystemName, Record<string, [number, number]>>>
  /** The machine's 1-minute load average when the run began and ended (other work shares it). */
  loadAverage: [number, number]
  revision: string
}

export function spreadOf (records: Figures[]): Record<string, [number, number]> {
  const spread: Record<string, [number, number]> = {}
  for (const name of Object.keys(records[0] ?? {})) {
    const values = records.map((record) => record[name]).filter((value) => Number.isFinite(value))
    spread[name] = [Math.min(...values), Math.max(...values)]
  }
  return spread
}

export const RESULTS_START = '<!-- bench:results:start -->'
export const RESULTS_END = '<!-- bench:results:end -->'
export const PROFILE_START = '<!-- bench:profile:start -->'
export const PROFILE_END = '<!-- bench:profile:end -->'

const MB = 1024 * 1024
const SYSTEMS: SystemName[] = ['direct', 'claude2api', 'portkey']

/** The commit measured, and whether the working tree differed from it. */
export function revisionDescription (root: string): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' })
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' })
  if (head.status !== 0) return 'an unknown revision'
  return `commit ${head.stdout.trim()}${dirty.stdout.trim() ? ' plus uncommitted changes in the working tree' : ''}`
}

export function machineDescription (): string {
  const cores = cpus()
  return `${cores.length} cores (${cores[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}`
}

type Row = { label: string; value: (figures: Figures) => number; digits: number; added?: (system: Figures, floor: Figures) => number }

const ROWS: Row[] = [
  { label: 'Sequential latency p50, upstream 0 ms (ms)', value: (f) => f.seqP50, digits: 3 },
  { label: 'Sequential latency p90, upstream 0 ms (ms)', value: (f) => f.seqP90, digits: 3 },
  { label: 'Sequential latency p99, upstream 0 ms (ms)', value: (f) => f.seqP99, digits: 3 },
  { label: '**Added latency p50, upstream 0 ms (ms)**', value: () => NaN, digits: 3, added: (s, floor) => s.seqP50 - floor.seqP50 },
  { label: '**Added latency p99, upstream 0 ms (ms)**', value: () => NaN, digits: 3, added: (s, floor) => s.seqP99 - floor.seqP99 },
  { label: 'Sequential latency p50, upstream 50 ms (ms)', value: (f) => f.slowP50, digits: 2 },
  { label: 'Sequential latency p99, upstream 50 ms (ms)', value: (f) => f.slowP99, digits: 2 },
  { label: 'Added latency p50, upstream 50 ms (ms)', value: () => NaN, digits: 3, added: (s, floor) => s.slowP50 - floor.slowP50 },
  { label: '**Throughput at saturation (req/s)**', value: (f) => f.requestsPerSecond, digits: 0 },
  { label: 'CPU per request at saturation (µs)', value: (f) => f.cpuPerRequest, digits: 0 },
  { label: 'Time to first streamed byte p50 (ms)', value: (f) => f.ttfbP50, digits: 3 },
  { label: 'Time to first streamed byte p99 (ms)', value: (f) => f.ttfbP99, digits: 3 },
  { label: 'Streamed text deltas per second', value: (f) => f.deltasPerSecond, digits: 0 },
  { label: 'CPU per streamed delta (µs)', value: (f) => f.cpuPerDelta, digits: 1 },
  { label: '**Idle RSS (MB)**', value: (f) => f.idleRss / MB, digits: 1 },
  { label: 'RSS with open streams (MB)', value: (f) => f.streamsRss / MB, digits: 1 },
  { label: '**Memory per open stream (KB)**', value: (f) => f.perStreamBytes / 1024, digits: 1 }
]

function format (value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—'
}

function ratio (value: number, floor: number): string {
  return Number.isFinite(value) && Number.isFinite(floor) && floor !== 0 ? `${(value / floor).toFixed(2)}×` : '—'
}

function figuresTable (results: BenchResults): string {
  const floor = results.figures.direct
  const shown = SYSTEMS.filter((name) => results.figures[name])
  const header = ['figure', ...shown.flatMap((name) => name === 'direct' ? [SYSTEM_LABELS[name]] : [SYSTEM_LABELS[name], '× floor'])]
  const lines = [`| ${header.join(' | ')} |`, `| --- | ${header.slice(1).map(() => '---:').join(' | ')} |`]
  for (const row of ROWS) {
    const cells = shown.flatMap((name) => {
      const figures = results.figures[name]!
      if (row.added) return name === 'direct' ? ['0'] : [format(floor ? row.added(figures, floor) : NaN, row.digits), '']
      const value = row.value(figures)
      return name === 'direct' ? [format(value, row.digits)] : [format(value, row.digits), floor ? ratio(value, row.value(floor)) : '—']
    })
    lines.push(`| ${row.label} | ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}

interface Target { name: string; measured: string; met: boolean | undefined }

export function targets (results: BenchResults): Target[] {
  const { direct, claude2api, portkey } = results.figures
  const added = direct && claude2api ? claude2api.seqP50 - direct.seqP50 : NaN
  const throughputRatio = claude2api && portkey ? claude2api.requestsPerSecond / portkey.requestsPerSecond : NaN
  const cpuRatio = claude2api && portkey ? portkey.cpuPerRequest / claude2api.cpuPerRequest : NaN
  const perStreamKb = claude2api ? claude2api.perStreamBytes / 1024 : NaN
  const idleMb = claude2api ? claude2api.idleRss / MB : NaN
  const check = (value: number, ok: (value: number) => boolean): boolean | undefined => Number.isFinite(value) ? ok(value) : undefined
  return [
    { name: 'added latency p50 < 0.3 ms (non-streaming, sequential, upstream 0 ms)', measured: `${format(added, 3)} ms`, met: check(added, (v) => v < 0.3) },
    { name: 'throughput ≥ 2× Portkey\'s', measured: `${format(throughputRatio, 2)}× in req/s (${format(cpuRatio, 2)}× less CPU per request)`, met: check(throughputRatio, (v) => v >= 2) },
    { name: 'memory per open stream < 30 KB', measured: `${format(perStreamKb, 1)} KB`, met: check(perStreamKb, (v) => v < 30) },
    { name: 'idle RSS < 80 MB', measured: `${format(idleMb, 1)} MB`, met: check(idleMb, (v) => v < 80) }
  ]
}

function targetsTable (results: BenchResults): string {
  const lines = ['| target | measured | met |', '| --- | ---: | :---: |']
  for (const target of targets(results)) lines.push(`| ${target.name} | ${target.measured} | ${target.met === undefined ? 'not measured' : target.met ? 'yes' : '**no**'} |`)
  return lines.join('\n')
}

const SPREAD_ROWS: { field: string; label: string; scale: number; digits: number }[] = [
  { field: 'seqP50', label: 'sequential p50 (ms)', scale: 1, digits: 3 },
  { field: 'requestsPerSecond', label: 'throughput (req/s)', scale: 1, digits: 0 },
  { field: 'cpuPerRequest', label: 'CPU per request (µs)', scale: 1, digits: 0 },
  { field: 'deltasPerSecond', label: 'deltas per second', scale: 1, digits: 0 },
  { field: 'perStreamBytes', label: 'per open stream (KB)', scale: 1 / 1024, digits: 1 }
]

function spreadTable (results: BenchResults): string {
  const shown = SYSTEMS.filter((name) => results.spread[name])
  const lines = [`| lowest – highest across runs | ${shown.map((name) => SYSTEM_LABELS[name]).join(' | ')} |`, `| --- | ${shown.map(() => '---:').join(' | ')} |`]
  for (const row of SPREAD_ROWS) {
    const cells = shown.map((name) => {
      const range = results.spread[name]![row.field]
      return range ? `${format(range[0] * row.scale, row.digits)} – ${format(range[1] * row.scale, row.digits)}` : '—'
    })
    lines.push(`| ${row.label} | ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}

function settingsText (settings: BenchSettings): string {
  return [
    `- Mode: ${settings.quick ? 'quick (development; not for comparison)' : 'full'}; ${settings.runs} run(s), each figure the median across runs; the systems' order rotates from run to run.`,
    `- Sequential: ${settings.sequentialRequests} non-streaming requests one at a time over one kept-alive connection (upstream answers at once), then ${settings.slowRequests} with the stand-in waiting ${settings.slowLatencyMs} ms; latency is measured by the client from request start to the end of the answer.`,
    `- Saturation: autocannon, ${settings.connections} connections, ${settings.saturationSeconds} s after a warm-up, non-streaming, upstream answers at once; only 2xx answers count. CPU per request is the CPU time (user + system, /proc/PID/stat) the system's own process used during that test divided by the answers: unlike req/s it hardly depends on what else the machine is doing. The floor's is the stand-in's.`,
    `- Streaming: ${settings.deltas} text deltas per answer, each event its own write one event-loop turn apart; time to first body byte over ${settings.ttfbStreams} sequential streams whose events come 1 ms apart (5 deltas); deltas per second = completed streams per second × ${settings.deltas} with ${settings.streamConnections} concurrent streams for ${settings.saturationSeconds} s.`,
    `- Memory: a fresh process of each system, warmed with 20 requests; idle RSS, then RSS with ${settings.openStreams} streams held open (the stand-in paces them at one event per 5 s); per stream = (open − idle) / ${settings.openStreams}. The floor's memory figures are the stand-in's own process (a bare node:http server holding the same streams).`
  ].join('\n')
}

export function renderResults (results: BenchResults): string {
  const portkeyNote = results.portkeyProblem ? `\n**Portkey could not be measured:** ${results.portkeyProblem}\n` : ''
  return [
    RESULTS_START,
    `Measured ${results.date} on ${machineDescription()}; claude2api at ${results.revision}.`,
    ...(results.variant ? ['', `**Variant:** claude2api ran as ${results.variant}.`] : []),
    '',
    settingsText(results.settings),
    portkeyNote,
    figuresTable(results),
    '',
    ...(results.settings.runs > 1 ? [spreadTable(results), ''] : []),
    `Load average (1 min) when the run began / ended: ${results.loadAverage.map((value) => value.toFixed(2)).join(' / ')} on ${cpus().length} cores — other work on this shared machine adds noise, hence the medians.`,
    '',
    '### Targets',
    '',
    targetsTable(results),
    '',
    '![Sequential latency percentiles](benchmark-latency.svg)',
    RESULTS_END
  ].join('\n')
}

export function renderLatencyChart (results: BenchResults): string {
  const shown = SYSTEMS.filter((name) => results.figures[name])
  const colors: Record<SystemName, string> = { direct: '#9e9e9e', claude2api: '#1f77b4', portkey: '#ff7f0e' }
  return groupedBarChart({
    title: 'Sequential non-streaming latency',
    subtitle: `one request at a time, stand-in answers at once; median of ${results.settings.runs} run(s), ${results.date.slice(0, 10)}`,
    unit: 'milliseconds',
    series: shown.map((name) => ({ name: SYSTEM_LABELS[name], color: colors[name] })),
    groups: (['seqP50', 'seqP90', 'seqP99'] as const).map((field) => ({
      label: field.slice(3).toLowerCase(),
      values: shown.map((name) => results.figures[name]![field])
    }))
  })
}

const SKELETON = `# Benchmarks

How fast claude2api is against calling the upstream directly and against a peer gateway
(Portkey's open-source gateway), on the same machine in one run. Run it with \`npm run bench\`
(full, about ten minutes) or \`npm run bench -- --quick\` (under a minute, for development).

## Results

${RESULTS_START}
${RESULTS_END}

## Profile

${PROFILE_START}
${PROFILE_END}
`

/** Replaces the text between two markers of docs/benchmarks.md, keeping everything else. */
export function replaceSection (file: string, start: string, end: string, content: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : SKELETON
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from === -1 || to === -1 || to < from) throw new Error(`${file} lacks the markers ${start} … ${end}`)
  const inner = content.startsWith(start) ? content.slice(start.length, content.length - (content.endsWith(end) ? end.length : 0)) : `\n${content}\n`
  writeFileSync(file, text.slice(0, from + start.length) + inner + text.slice(to))
}

/**
 * The benchmark: the Anthropic stand-in called directly (the floor), claude2api in front of it,
 * and Portkey's gateway in front of it, one after another on this machine, each system in its
 * own process. `npm run bench` (full; writes docs/benchmarks.md and docs/benchmark-latency.svg)
 * or `npm run bench -- --quick` (prints only, unless --write). `--profile` / `--no-profile`
 * turn the CPU-profile phase on or off (on by default in full mode).
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { Agent } from 'node:http'
import { loadavg } from 'node:os'
import { exchange, openStreams, saturate, sequential, type Target } from './load.js'
import { cpuMicroseconds, settledResidentBytes, spawnUpstream, type ChildService } from './processes.js'
import { formatSummary, readProfile, summarizeProfile, withoutFirst } from './profile-summary.js'
import { PROFILE_END, PROFILE_START, renderLatencyChart, renderResults, replaceSection, RESULTS_END, RESULTS_START, revisionDescription, spreadOf, targets, type BenchResults, type BenchSettings, type Figures } from './report.js'
import { medianOfRecords, percentilesOf } from './stats.js'
import { directSystem, ensurePortkey, lastUpstreamRequest, startClaude2api, startPortkey, SYSTEM_LABELS, type RunningSystem, type SystemName } from './systems.js'
import { ANSWER_TEXT, DELTA_TEXT, SETTINGS_PATH, type UpstreamSettings } from './upstream.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const UPSTREAM_SCRIPT = join(ROOT, 'dist', 'bench', 'upstream.js')
const WORK_FOLDER = join(ROOT, 'bench', '.peer')
const SLOW_STREAM_INTERVAL_MS = 5000
const TTFB_DELTAS = 5

interface Options {
  quick: boolean
  write: boolean
  profile: boolean
  skipPortkey: boolean
  /** Another build's server.js to measure in place of dist/server.js (to A/B a proposed change). */
  gatewayScript: string
  /** Extra node flags for the claude2api process (e.g. --max-semi-space-size=2). */
  nodeFlags: string[]
}

function valueOf (argv: string[], name: string): string | undefined {
  const prefix = `--${name}=`
  return argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length)
}

function parseOptions (argv: string[]): Options {
  const quick = argv.includes('--quick')
  const experiment = valueOf(argv, 'gateway') !== undefined || valueOf(argv, 'node-flags') !== undefined
  return {
    quick,
    // An experiment's figures never replace the published ones unless asked to.
    write: argv.includes('--write') || (!quick && !experiment),
    profile: argv.includes('--profile') || (!quick && !experiment && !argv.includes('--no-profile')),
    skipPortkey: argv.includes('--no-portkey'),
    gatewayScript: resolve(valueOf(argv, 'gateway') ?? join(ROOT, 'dist', 'server.js')),
    nodeFlags: (valueOf(argv, 'node-flags') ?? '').split(' ').filter(Boolean)
  }
}

function settingsFor (quick: boolean): BenchSettings {
  return quick
    ? { quick, runs: 1, sequentialRequests: 300, slowRequests: 20, slowLatencyMs: 50, saturationSeconds: 2, connections: 32, streamConnections: 16, ttfbStreams: 20, deltas: 200, openStreams: 1000, settleMs: 300 }
    : { quick, runs: 5, sequentialRequests: 400, slowRequests: 60, slowLatencyMs: 50, saturationSeconds: 5, connections: 32, streamConnections: 16, ttfbStreams: 60, deltas: 200, openStreams: 1000, settleMs: 1000 }
}

function log (message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`)
}

async function configureUpstream (upstreamUrl: string, settings: Partial<UpstreamSettings>): Promise<void> {
  const response = await fetch(upstreamUrl + SETTINGS_PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings) })
  if (response.status !== 200) throw new Error(`the stand-in refused the settings: ${response.status}`)
  await response.arrayBuffer()
}

/** Counts the streamed text deltas in an answer, in either wire format, and checks its end. */
function countDeltas (name: SystemName, text: string): number {
  const events = text.split('\n\n').filter((event) => event.trim() !== '')
  if (name === 'direct') {
    if (!events.at(-1)?.includes('message_stop')) throw new Error('the direct stream did not end with message_stop')
    return events.filter((event) => event.startsWith('event: content_block_delta')).length
  }
  if (events.at(-1)?.trim() !== 'data: [DONE]') throw new Error(`${name}'s stream did not end with [DONE]: ${events.at(-1)}`)
  return events.filter((event) => {
    if (!event.startsWith('data: {')) return false
    const chunk = JSON.parse(event.slice(6)) as { choices?: { delta?: { content?: string } }[] }
    return chunk.choices?.[0]?.delta?.content === DELTA_TEXT
  }).length
}

/** Checks that a system answers correctly, both ways, before it is measured. */
async function validate (system: RunningSystem, deltas: number): Promise<void> {
  const agent = new Agent({ keepAlive: false })
  try {
    const plain = await exchange(system.target, false, agent, true)
    if (plain.status !== 200) throw new Error(`${system.name} answered ${plain.status}: ${plain.text.slice(0, 300)}`)
    const parsed = JSON.parse(plain.text) as { content?: { text?: string }[]; choices?: { message?: { content?: string } }[] }
    const content = system.name === 'direct' ? parsed.content?.[0]?.text : parsed.choices?.[0]?.message?.content
    if (content !== ANSWER_TEXT) throw new Error(`${system.name} answered the wrong content: ${plain.text.slice(0, 300)}`)
    const streamed = await exchange(system.target, true, agent, true)
    if (streamed.status !== 200) throw new Error(`${system.name} answered ${streamed.status} to a stream: ${streamed.text.slice(0, 300)}`)
    const counted = countDeltas(system.name, streamed.text)
    if (counted !== deltas) throw new Error(`${system.name} streamed ${counted} text deltas instead of ${deltas}`)
  } finally {
    agent.destroy()
  }
}

/** The request figures of one system (memory is measured apart, on fresh processes). */
/** `pid` is the process whose CPU time is charged: the system's own, or the stand-in's for the floor. */
async function measureRequests (system: RunningSystem, upstream: ChildService, settings: BenchSettings): Promise<Partial<Figures>> {
  const target = system.target
  const upstreamUrl = upstream.url
  const pid = (system.service ?? upstream).pid
  await configureUpstream(upstreamUrl, { latencyMs: 0, deltas: settings.deltas, eventIntervalMs: 0 })
  await sequential(target, Math.ceil(settings.sequentialRequests / 5), false)
  const fast = percentilesOf((await sequential(target, settings.sequentialRequests, false)).totalMs)
  await configureUpstream(upstreamUrl, { latencyMs: settings.slowLatencyMs })
  const slow = percentilesOf((await sequential(target, settings.slowRequests, false)).totalMs)
  await configureUpstream(upstreamUrl, { latencyMs: 0 })
  await saturate(target, { connections: settings.connections, seconds: 1, stream: false })
  const cpuBefore = cpuMicroseconds(pid)
  const saturated = await saturate(target, { connections: settings.connections, seconds: settings.saturationSeconds, stream: false })
  const cpuPerRequest = (cpuMicroseconds(pid) - cpuBefore) / saturated.completed
  if (saturated.errors > 0) log(`${system.name}: ${saturated.errors} errors or non-2xx answers under saturation`)
  // Paced like a real upstream (events 1 ms apart), so the first byte is not held back by a burst.
  await configureUpstream(upstreamUrl, { deltas: TTFB_DELTAS, eventIntervalMs: 1 })
  const ttfb = percentilesOf((await sequential(target, settings.ttfbStreams, true)).ttfbMs)
  await configureUpstream(upstreamUrl, { deltas: settings.deltas, eventIntervalMs: 0 })
  await saturate(target, { connections: settings.streamConnections, seconds: 1, stream: true })
  const cpuBeforeStreams = cpuMicroseconds(pid)
  const streamed = await saturate(target, { connections: settings.streamConnections, seconds: settings.saturationSeconds, stream: true })
  const cpuPerDelta = (cpuMicroseconds(pid) - cpuBeforeStreams) / (streamed.completed * settings.deltas)
  if (streamed.errors > 0) log(`${system.name}: ${streamed.errors} errors or non-2xx answers while streaming`)
  return {
    seqP50: fast.p50,
    seqP90: fast.p90,
    seqP99: fast.p99,
    slowP50: slow.p50,
    slowP99: slow.p99,
    requestsPerSecond: saturated.requestsPerSecond,
    ttfbP50: ttfb.p50,
    ttfbP99: ttfb.p99,
    deltasPerSecond: streamed.requestsPerSecond * settings.deltas,
    cpuPerRequest,
    cpuPerDelta
  }
}

type Starter = (upstreamUrl: string) => Promise<RunningSystem>

/** Idle RSS and RSS with many streams held open, on a fresh process of the system and a fresh stand-in. */
async function measureMemory (name: SystemName, start: Starter | undefined, settings: BenchSettings): Promise<Partial<Figures>> {
  const upstream = await spawnUpstream(UPSTREAM_SCRIPT)
  let system: RunningSystem | undefined
  try {
    await configureUpstream(upstream.url, { latencyMs: 0, deltas: settings.deltas, eventIntervalMs: 0 })
    system = start ? await start(upstream.url) : { name, service: undefined, target: await floorTarget(upstream.url) }
    const pid = (system.service ?? upstream).pid
    await sequential(system.target, 20, false)
    await sequential(system.target, 2, true)
    await sleep(settings.settleMs)
    const idleRss = await settledResidentBytes(pid)
    await configureUpstream(upstream.url, { eventIntervalMs: SLOW_STREAM_INTERVAL_MS })
    const open = await openStreams(system.target, settings.openStreams, 60_000)
    await sleep(settings.settleMs)
    const streamsRss = await settledResidentBytes(pid)
    open.close()
    return { idleRss, streamsRss, perStreamBytes: (streamsRss - idleRss) / settings.openStreams }
  } finally {
    await system?.service?.stop()
    await upstream.stop()
  }
}

/** The floor's target needs the gateway's upstream request: one call through a gateway records it. */
let recordedFloor: { plain: Parameters<typeof directSystem>[1]; streamed: Parameters<typeof directSystem>[2] } | undefined

async function recordFloorRequests (upstreamUrl: string, gateway: RunningSystem): Promise<void> {
  const agent = new Agent({ keepAlive: false })
  try {
    await exchange(gateway.target, false, agent)
    const plain = await lastUpstreamRequest(upstreamUrl)
    await exchange(gateway.target, true, agent)
    const streamed = await lastUpstreamRequest(upstreamUrl)
    recordedFloor = { plain, streamed }
  } finally {
    agent.destroy()
  }
}

async function floorTarget (upstreamUrl: string): Promise<Target> {
  if (!recordedFloor) throw new Error('the floor request was not recorded')
  return directSystem(upstreamUrl, recordedFloor.plain, recordedFloor.streamed).target
}

function variantOf (options: Options): string | undefined {
  const standard = options.gatewayScript === join(ROOT, 'dist', 'server.js') && options.nodeFlags.length === 0
  return standard ? undefined : `\`node ${[...options.nodeFlags, options.gatewayScript].join(' ')}\``
}

function rotate<T> (items: T[], by: number): T[] {
  const shift = by % items.length
  return [...items.slice(shift), ...items.slice(0, shift)]
}

async function profileGateway (upstreamUrl: string, settings: BenchSettings, options: Options): Promise<string> {
  const folder = join(WORK_FOLDER, 'profiles')
  rmSync(folder, { recursive: true, force: true })
  mkdirSync(folder, { recursive: true })
  const seconds = Math.max(settings.saturationSeconds, 5)
  const sections: string[] = []
  for (const stream of [false, true]) {
    let skipMs = 0
    const kind = stream ? 'streaming' : 'non-streaming'
    const file = `gateway-${stream ? 'streaming' : 'plain'}.cpuprofile`
    await configureUpstream(upstreamUrl, { latencyMs: 0, deltas: settings.deltas, eventIntervalMs: 0 })
    const spawned = Date.now()
    const gateway = await startClaude2api(options.gatewayScript, upstreamUrl, [...options.nodeFlags, '--cpu-prof', `--cpu-prof-dir=${folder}`, `--cpu-prof-name=${file}`])
    const connections = stream ? settings.streamConnections : settings.connections
    try {
      log(`profiling claude2api under ${kind} load for ${seconds} s`)
      await saturate(gateway.target, { connections, seconds: 1, stream })
      skipMs = Date.now() - spawned
      const result = await saturate(gateway.target, { connections, seconds, stream })
      sections.push(`### ${kind} (${seconds} s at ${connections} connections, ${result.requestsPerSecond.toFixed(0)} req/s under the profiler)\n`)
    } finally {
      await gateway.service!.stop()
    }
    const written = join(folder, file)
    if (!existsSync(written)) throw new Error(`no profile was written to ${written} (${readdirSync(folder).join(', ')})`)
    sections.push(formatSummary(summarizeProfile(withoutFirst(readProfile(written), skipMs), 40), 15))
    sections.push(`Start-up and a 1 s warm-up (the first ${skipMs} ms) are left out. Profile file: \`bench/.peer/profiles/${file}\` (git-ignored; open it in Chrome DevTools, or \`node dist/bench/profile-summary.js FILE --skip-ms ${skipMs} [--callers GROUP]\`).\n`)
  }
  return sections.join('\n')
}

async function main (): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  const settings = settingsFor(options.quick)
  const began = Date.now()
  const loadAtStart = loadavg()[0]
  const upstream: ChildService = await spawnUpstream(UPSTREAM_SCRIPT)
  const running: RunningSystem[] = []
  let portkeyProblem: string | undefined
  let portkeyScript: string | undefined
  try {
    await configureUpstream(upstream.url, { latencyMs: 0, deltas: settings.deltas, eventIntervalMs: 0 })
    const gateway = await startClaude2api(options.gatewayScript, upstream.url, options.nodeFlags)
    running.push(gateway)
    await validate(gateway, settings.deltas)
    await recordFloorRequests(upstream.url, gateway)
    const direct = { name: 'direct' as const, service: undefined, target: await floorTarget(upstream.url) }
    await validate(direct, settings.deltas)
    running.unshift(direct)
    if (options.skipPortkey) {
      portkeyProblem = 'skipped with --no-portkey'
    } else {
      try {
        portkeyScript = ensurePortkey(ROOT)
        const portkey = await startPortkey(portkeyScript, upstream.url)
        running.push(portkey)
        await validate(portkey, settings.deltas)
      } catch (error) {
        portkeyProblem = (error as Error).message
        log(`Portkey left out: ${portkeyProblem}`)
        const index = running.findIndex((system) => system.name === 'portkey')
        if (index !== -1) await running.splice(index, 1)[0].service?.stop()
      }
    }

    const perRun = new Map<SystemName, Partial<Figures>[]>(running.map((system) => [system.name, []]))
    for (let run = 0; run < settings.runs; run++) {
      for (const system of rotate(running, run)) {
        log(`run ${run + 1}/${settings.runs}: ${SYSTEM_LABELS[system.name]}: requests`)
        perRun.get(system.name)!.push(await measureRequests(system, upstream, settings))
      }
    }
    const starters: Partial<Record<SystemName, Starter>> = {
      claude2api: async (url) => await startClaude2api(options.gatewayScript, url, options.nodeFlags),
      ...(portkeyScript && !portkeyProblem ? { portkey: async (url: string) => await startPortkey(portkeyScript!, url) } : {})
    }
    for (let run = 0; run < settings.runs; run++) {
      for (const system of rotate(running, run)) {
        log(`run ${run + 1}/${settings.runs}: ${SYSTEM_LABELS[system.name]}: memory with ${settings.openStreams} open streams`)
        const memory = await measureMemory(system.name, starters[system.name], settings)
        Object.assign(perRun.get(system.name)![run], memory)
      }
    }
    for (const system of running) await system.service?.stop()
    running.length = 0

    const results: BenchResults = {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      settings,
      figures: Object.fromEntries([...perRun.entries()].map(([name, records]) => [name, medianOfRecords(records as Figures[])])),
      portkeyProblem,
      variant: variantOf(options),
      spread: Object.fromEntries([...perRun.entries()].map(([name, records]) => [name, spreadOf(records as Figures[])])),
      loadAverage: [loadAtStart, loadavg()[0]],
      revision: revisionDescription(ROOT)
    }
    const rendered = renderResults(results)
    process.stdout.write(`${rendered.replace(RESULTS_START, '').replace(RESULTS_END, '')}\n`)
    mkdirSync(join(WORK_FOLDER, 'results'), { recursive: true })
    writeFileSync(join(WORK_FOLDER, 'results', `${options.quick ? 'quick' : 'full'}-${results.date}.json`), JSON.stringify({ results, perRun: Object.fromEntries(perRun) }, null, 2))
    if (options.write) {
      replaceSection(join(ROOT, 'docs', 'benchmarks.md'), RESULTS_START, RESULTS_END, rendered)
      writeFileSync(join(ROOT, 'docs', 'benchmark-latency.svg'), renderLatencyChart(results))
      log('wrote docs/benchmarks.md and docs/benchmark-latency.svg')
    }
    for (const target of targets(results)) log(`target ${target.name}: ${target.measured} → ${target.met === undefined ? 'not measured' : target.met ? 'met' : 'NOT met'}`)

    if (options.profile) {
      const profile = await profileGateway(upstream.url, settings, options)
      process.stdout.write(`\n${profile}\n`)
      if (options.write) replaceSection(join(ROOT, 'docs', 'benchmarks.md'), PROFILE_START, PROFILE_END, `Measured ${results.date}; self time is where the CPU was when sampled, busy time excludes idle.\n\n${profile}`)
    }
    log(`done in ${((Date.now() - began) / 1000).toFixed(0)} s (per-run figures are in ${join('bench', '.peer', 'results')})`)
  } finally {
    for (const system of running) await system.service?.stop().catch(() => {})
    await upstream.stop()
  }
}

await main().catch((error: unknown) => {
  log(`failed: ${(error as Error).stack ?? String(error)}`)
  process.exitCode = 1
})

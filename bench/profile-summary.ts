/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`) and prints where the busy time went: self time
 * grouped by package / project file / Node internals, the top frames by self time, and the
 * project's own functions by inclusive time.
 * Usage: node dist/bench/profile-summary.js FILE.cpuprofile [--top N] [--callers GROUP] [--skip-ms MS]
 * (--skip-ms leaves out the first MS milliseconds: start-up and warm-up.)
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

export interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
export interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
export interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

export interface FrameTime { frame: string; group: string; ms: number; percent: number }
export interface ProfileSummary {
  wallMs: number
  busyMs: number
  idleMs: number
  groups: FrameTime[]
  selfFrames: FrameTime[]
  projectInclusive: FrameTime[]
}

const PSEUDO_FRAMES = new Set(['(garbage collector)', '(program)', '(idle)', '(root)'])

/** Which package, project file or runtime part a frame belongs to. */
export function groupOf (frame: CallFrame): string {
  const url = frame.url
  if (url === '') return PSEUDO_FRAMES.has(frame.functionName) ? frame.functionName : '(V8 builtins / native)'
  const modules = url.lastIndexOf('/node_modules/')
  if (modules !== -1) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/')
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]
  }
  if (url.startsWith('node:')) {
    const parts = url.slice(5).split('/')
    return `node:${parts[0] === 'internal' && parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts.slice(0, 2).join('/')}`
  }
  const dist = url.lastIndexOf('/dist/')
  if (dist !== -1) return `claude2api ${url.slice(dist + '/dist/'.length)}`
  return url.replace(/^file:\/\//, '')
}

function isProjectFrame (frame: CallFrame): boolean {
  return frame.url.includes('/dist/') && !frame.url.includes('/node_modules/')
}

function frameName (frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)'
  if (frame.url === '') return name
  const file = frame.url.slice(frame.url.lastIndexOf('/') + 1)
  return `${name} ${file}:${frame.lineNumber + 1}`
}

/** Time of each sample: the gap until the next one (the last sample gets none). */
function sampleDurationsMs (profile: CpuProfile): number[] {
  return profile.samples.map((_, index) => (profile.timeDeltas[index + 1] ?? 0) / 1000)
}

function ranked (totals: Map<string, { group: string; ms: number }>, busyMs: number, top: number): FrameTime[] {
  return [...totals.entries()]
    .map(([frame, value]) => ({ frame, group: value.group, ms: value.ms, percent: busyMs > 0 ? (value.ms / busyMs) * 100 : 0 }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top)
}

function add (totals: Map<string, { group: string; ms: number }>, key: string, group: string, ms: number): void {
  const entry = totals.get(key)
  if (entry) entry.ms += ms
  else totals.set(key, { group, ms })
}

/** Drops the samples of the first `skipMs` of the profile (start-up and warm-up), keeping the rest. */
export function withoutFirst (profile: CpuProfile, skipMs: number): CpuProfile {
  if (skipMs <= 0) return profile
  let elapsedUs = 0
  let first = 0
  while (first < profile.timeDeltas.length && elapsedUs + profile.timeDeltas[first] < skipMs * 1000) elapsedUs += profile.timeDeltas[first++]
  return { ...profile, startTime: profile.startTime + elapsedUs, samples: profile.samples.slice(first), timeDeltas: [0, ...profile.timeDeltas.slice(first + 1)] }
}

export function summarizeProfile (profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parentOf = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id)
  const durations = sampleDurationsMs(profile)
  const groups = new Map<string, { group: string; ms: number }>()
  const selfFrames = new Map<string, { group: string; ms: number }>()
  const inclusive = new Map<string, { group: string; ms: number }>()
  let idleMs = 0
  let busyMs = 0
  profile.samples.forEach((id, index) => {
    const node = byId.get(id)
    const ms = durations[index]
    if (!node || ms === 0) return
    if (node.callFrame.functionName === '(idle)') {
      idleMs += ms
      return
    }
    busyMs += ms
    const group = groupOf(node.callFrame)
    add(groups, group, group, ms)
    add(selfFrames, frameName(node.callFrame), group, ms)
    const seen = new Set<string>()
    for (let current: number | undefined = id; current !== undefined; current = parentOf.get(current)) {
      const frame = byId.get(current)!.callFrame
      if (!isProjectFrame(frame)) continue
      const name = frameName(frame)
      if (seen.has(name)) continue
      seen.add(name)
      add(inclusive, name, groupOf(frame), ms)
    }
  })
  return {
    wallMs: (profile.endTime - profile.startTime) / 1000,
    busyMs,
    idleMs,
    groups: ranked(groups, busyMs, top),
    selfFrames: ranked(selfFrames, busyMs, top),
    projectInclusive: ranked(inclusive, busyMs, top)
  }
}

/**
 * For the samples whose own frame is in `group`, the first frame further up the stack that is
 * outside it: who calls into a package, and how much of its time each caller accounts for.
 */
export function callersOf (profile: CpuProfile, group: string, top = 10): FrameTime[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parentOf = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id)
  const durations = sampleDurationsMs(profile)
  const callers = new Map<string, { group: string; ms: number }>()
  let busyMs = 0
  profile.samples.forEach((id, index) => {
    const node = byId.get(id)
    if (!node || node.callFrame.functionName === '(idle)') return
    busyMs += durations[index]
    if (groupOf(node.callFrame) !== group) return
    let current = parentOf.get(id)
    while (current !== undefined && groupOf(byId.get(current)!.callFrame) === group) current = parentOf.get(current)
    const frame = current === undefined ? undefined : byId.get(current)!.callFrame
    add(callers, frame ? frameName(frame) : '(top of stack)', frame ? groupOf(frame) : group, durations[index])
  })
  return ranked(callers, busyMs, top)
}

function table (title: string, rows: FrameTime[], withGroup: boolean): string {
  const head = withGroup ? '| frame | group | ms | % of busy |\n| --- | --- | ---: | ---: |' : '| group | ms | % of busy |\n| --- | ---: | ---: |'
  const lines = rows.map((row) => withGroup
    ? `| \`${row.frame.replace(/\|/g, '\\|')}\` | ${row.group} | ${row.ms.toFixed(0)} | ${row.percent.toFixed(1)} |`
    : `| ${row.group} | ${row.ms.toFixed(0)} | ${row.percent.toFixed(1)} |`)
  return `${title}\n\n${head}\n${lines.join('\n')}\n`
}

export function formatSummary (summary: ProfileSummary, top = 15): string {
  return [
    `Profiled ${(summary.wallMs / 1000).toFixed(1)} s: busy ${(summary.busyMs / 1000).toFixed(2)} s, idle ${(summary.idleMs / 1000).toFixed(2)} s.\n`,
    table('Self time by package / file:', summary.groups.slice(0, top), false),
    table('Top frames by self time:', summary.selfFrames.slice(0, top), true),
    table('Project functions by inclusive time (self + callees):', summary.projectInclusive.slice(0, top), true)
  ].join('\n')
}

export function readProfile (file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
}

function isMainModule (): boolean {
  return process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
}

if (isMainModule()) {
  const file = process.argv[2]
  if (!file) {
    process.stderr.write('usage: node dist/bench/profile-summary.js FILE.cpuprofile [--top N]\n')
    process.exit(2)
  }
  const topIndex = process.argv.indexOf('--top')
  const top = topIndex !== -1 ? Number(process.argv[topIndex + 1]) : 20
  const callersIndex = process.argv.indexOf('--callers')
  const skipIndex = process.argv.indexOf('--skip-ms')
  const profile = withoutFirst(readProfile(file), skipIndex !== -1 ? Number(process.argv[skipIndex + 1]) : 0)
  if (callersIndex !== -1) {
    const group = process.argv[callersIndex + 1]
    process.stdout.write(table(`Callers of ${group} (self time of ${group} charged to the first frame outside it):`, callersOf(profile, group, top), true) + '\n')
  } else {
    process.stdout.write(formatSummary(summarizeProfile(profile, Math.max(top, 40)), top) + '\n')
  }
}

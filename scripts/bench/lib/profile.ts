// Reads a .cpuprofile (V8's format, as written by `node --cpu-prof` or host-entry's inspector
// session) and reports where the time went, in TypeScript file:line terms when source maps are
// at hand (inline tsx maps collected at profile time, or .js.map files next to compiled output).

import { existsSync, readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SourceMap } from './sourcemap.js'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
  columnNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
  positionTicks?: { line: number; ticks: number }[]
}
export interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
  $sourceMaps?: Record<string, string>
}

export interface ProfileEntry {
  name: string
  where: string
  ms: number
  pct: number
}

export interface ProfileReport {
  durationMs: number
  busyPct: number
  gcPct: number
  topSelf: ProfileEntry[]
  topTotal: ProfileEntry[]
  hotLines: ProfileEntry[]
  /** Stretches of at least `stallMs` without an idle sample: event-loop stalls. */
  stalls: { thresholdMs: number; count: number; totalMs: number; longestMs: number; longest: { atMs: number; ms: number; top: string[] }[] }
}

function pretty(url: string, line: number): string {
  if (!url) return ''
  let path = url
  try {
    if (url.startsWith('file://')) path = fileURLToPath(url)
  } catch {
    /* keep the URL */
  }
  const rel = relative(process.cwd(), path)
  return `${rel.startsWith('..') ? path : rel}:${line + 1}`
}

export function analyseProfile(profile: CpuProfile, top = 20, stallMs = 5): ProfileReport {
  const maps = new Map<string, SourceMap | null>()
  const mapFor = (url: string): SourceMap | null => {
    if (maps.has(url)) return maps.get(url)!
    let sm: SourceMap | null = null
    try {
      const ref = profile.$sourceMaps?.[url]
      if (ref?.startsWith('data:')) sm = SourceMap.fromDataUrl(ref)
      else {
        const mapUrl = ref ? new URL(ref, url).href : url + '.map'
        const file = mapUrl.startsWith('file://') ? fileURLToPath(mapUrl) : null
        if (file && existsSync(file)) sm = new SourceMap(JSON.parse(readFileSync(file, 'utf8')), mapUrl)
      }
    } catch {
      sm = null
    }
    maps.set(url, sm)
    return sm
  }
  const locate = (url: string, line: number, col: number): string => {
    const sm = url ? mapFor(url) : null
    const o = sm?.lookup(line, col)
    return o ? pretty(o.source, o.line) : pretty(url, line)
  }

  const byId = new Map<number, ProfileNode>()
  const parent = new Map<number, number>()
  for (const n of profile.nodes) byId.set(n.id, n)
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const keyOf = new Map<number, string>()
  const label = new Map<string, { name: string; where: string }>()
  for (const n of profile.nodes) {
    const cf = n.callFrame
    const name = cf.functionName || (cf.url ? '(anonymous)' : '(native)')
    const where = cf.url ? locate(cf.url, cf.lineNumber, cf.columnNumber) : ''
    const key = `${name}@${where}`
    keyOf.set(n.id, key)
    label.set(key, { name, where })
  }

  const self = new Map<string, number>()
  const total = new Map<string, number>()
  const lineTicks = new Map<string, number>()
  let all = 0
  let idle = 0
  let gc = 0
  const samples = profile.samples
  const deltas = profile.timeDeltas
  for (let i = 0; i < samples.length; i++) {
    const dt = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000
    const id = samples[i]!
    const key = keyOf.get(id)!
    all += dt
    const fn = byId.get(id)!.callFrame.functionName
    if (fn === '(idle)') {
      idle += dt
      continue
    }
    if (fn === '(garbage collector)') gc += dt
    self.set(key, (self.get(key) ?? 0) + dt)
    const seen = new Set<string>()
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const k = keyOf.get(n)!
      if (seen.has(k)) continue
      seen.add(k)
      total.set(k, (total.get(k) ?? 0) + dt)
    }
  }
  // Stalls: runs of consecutive non-idle samples; what project code (deepest frame) was on CPU.
  const runs: { atMs: number; ms: number; keys: Map<string, number> }[] = []
  let cur: { atMs: number; ms: number; keys: Map<string, number> } | null = null
  let clock = 0
  for (let i = 0; i < samples.length; i++) {
    const dt = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000
    clock += (deltas[i] ?? 0) / 1000
    const id = samples[i]!
    if (byId.get(id)!.callFrame.functionName === '(idle)') {
      if (cur && cur.ms >= stallMs) runs.push(cur)
      cur = null
      continue
    }
    cur ??= { atMs: clock, ms: 0, keys: new Map() }
    cur.ms += dt
    let k = keyOf.get(id)!
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const w = label.get(keyOf.get(n)!)!.where
      if (w.startsWith('src/')) {
        k = keyOf.get(n)!
        break
      }
    }
    cur.keys.set(k, (cur.keys.get(k) ?? 0) + dt)
  }
  if (cur && cur.ms >= stallMs) runs.push(cur)
  const stalls = {
    thresholdMs: stallMs,
    count: runs.length,
    totalMs: Math.round(runs.reduce((a, r) => a + r.ms, 0)),
    longestMs: Math.round(Math.max(0, ...runs.map(r => r.ms)) * 10) / 10,
    longest: [...runs]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5)
      .map(r => ({
        atMs: Math.round(r.atMs),
        ms: Math.round(r.ms * 10) / 10,
        top: [...r.keys.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 4)
          .map(([k, ms]) => `${label.get(k)!.name} ${label.get(k)!.where} ${ms.toFixed(1)} ms`),
      })),
  }
  const busy = all - idle
  const msPerTick = samples.length ? all / samples.length : 0
  for (const n of profile.nodes) {
    if (!n.positionTicks || !n.callFrame.url) continue
    // tsx's worker-side transform puts a module on one line: line ticks say nothing there.
    if (n.callFrame.lineNumber === 0 && n.callFrame.columnNumber > 200) continue
    for (const t of n.positionTicks) {
      const where = locate(n.callFrame.url, t.line - 1, 0)
      lineTicks.set(where, (lineTicks.get(where) ?? 0) + t.ticks)
    }
  }
  const entries = (m: Map<string, number>, filter: (k: string) => boolean = () => true): ProfileEntry[] =>
    [...m.entries()]
      .filter(([k]) => filter(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => ({ ...label.get(k)!, ms: Math.round(ms * 10) / 10, pct: busy ? Math.round((ms / busy) * 1000) / 10 : 0 }))
  const project = (k: string): boolean => {
    const w = label.get(k)!.where
    return w.startsWith('src/') || w.startsWith('scripts/')
  }
  return {
    durationMs: Math.round(all),
    busyPct: all ? Math.round((busy / all) * 1000) / 10 : 0,
    gcPct: busy ? Math.round((gc / busy) * 1000) / 10 : 0,
    topSelf: entries(self),
    topTotal: entries(total, project),
    hotLines: [...lineTicks.entries()]
      .filter(([w]) => w.startsWith('src/'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([where, ticks]) => ({ name: '', where, ms: Math.round(ticks * msPerTick * 10) / 10, pct: busy ? Math.round(((ticks * msPerTick) / busy) * 1000) / 10 : 0 })),
    stalls,
  }
}

export function formatProfile(r: ProfileReport): string {
  const rows = (es: ProfileEntry[]): string[] => es.map(e => `  ${e.pct.toFixed(1).padStart(5)}%  ${e.ms.toFixed(0).padStart(6)} ms  ${(e.name ? e.name + '  ' : '') + e.where}`)
  return [
    `profile: ${r.durationMs} ms sampled, ${r.busyPct}% busy (not idle), GC ${r.gcPct}% of busy`,
    'self time (% of busy):',
    ...rows(r.topSelf),
    'inclusive time, project code:',
    ...rows(r.topTotal),
    'hot lines in src/ (self time):',
    ...rows(r.hotLines),
    `stalls (≥ ${r.stalls.thresholdMs} ms on CPU without going idle): ${r.stalls.count}, ${r.stalls.totalMs} ms in all, longest ${r.stalls.longestMs} ms`,
    ...r.stalls.longest.map(x => `  ${x.ms} ms at ${x.atMs} ms: ${x.top.join('; ')}`),
  ].join('\n')
}

export function loadProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
}

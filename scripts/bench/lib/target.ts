// The address a tool drives: --bootstrap host:port, or a Millrace started for the run.

import { parseHostPort } from './args.js'
import { startHost, type Host, type HostMode } from './host.js'
import type { HostKind, HostStats } from './host-entry.js'

export interface Target {
  host: string
  port: number
  bootstrap: string
  /** The broker (or sink) this run started, or null for --bootstrap. */
  hosted: Host | null
}

export const TARGET_OPTIONS = {
  bootstrap: { type: 'string', help: 'host:port of any Kafka-compatible broker; without it a Millrace is started for the run' },
  'host-mode': { type: 'string', default: 'worker', help: 'where the started broker runs: worker (thread in this process), child (own process) or inline (this thread)' },
  'profile-dir': { type: 'string', help: 'write a CPU profile of the started broker here' },
  'broker-config': { type: 'string', help: 'configs for the started broker: key=value, comma-separated (log.segment.bytes=2147483647,num.partitions=3)' },
} as const

/** "a=1,b=2" → { a: '1', b: '2' }: the started broker's configs, as main.ts --override takes them. */
export function parseBrokerConfig(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const item of (text ?? '').split(',')) {
    if (item.trim() === '') continue
    const eq = item.indexOf('=')
    if (eq <= 0) throw new Error(`--broker-config: expected key=value, got '${item}'`)
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim()
  }
  return out
}

export async function withTarget<T>(
  opts: { bootstrap?: string; 'host-mode'?: string; 'profile-dir'?: string; 'broker-config'?: string; kind?: HostKind; overrides?: Record<string, string>; stopTimeoutMs?: number; profileStop?: boolean },
  fn: (t: Target) => Promise<T>,
  log: (line: string) => void = line => process.stderr.write(line + '\n'),
): Promise<T> {
  const overrides = { ...parseBrokerConfig(opts['broker-config']), ...opts.overrides }
  if (opts.bootstrap) {
    if (opts['broker-config']) throw new Error('--broker-config is for the broker a run starts, not one given with --bootstrap')
    const { host, port } = parseHostPort(opts.bootstrap)
    return fn({ host, port, bootstrap: `${host}:${port}`, hosted: null })
  }
  const mode = (opts['host-mode'] ?? 'worker') as HostMode
  if (!['worker', 'child', 'inline'].includes(mode)) throw new Error(`--host-mode must be worker, child or inline`)
  const hosted = await startHost({ kind: opts.kind ?? 'broker', overrides, profileDir: opts['profile-dir'], profileStop: opts.profileStop }, mode)
  log(`# started ${opts.kind ?? 'broker'} (${mode}) on ${hosted.bootstrap}`)
  try {
    await hosted.stats()
    const out = await fn({ host: hosted.host, port: hosted.port, bootstrap: hosted.bootstrap, hosted })
    log(`# ${opts.kind ?? 'broker'} during the run: ${formatHostStats(await hosted.stats())}`)
    return out
  } finally {
    const info = await hosted.stop(opts.stopTimeoutMs)
    if (info.stopMs !== undefined && info.stopMs > 1000) log(`# ${opts.kind ?? 'broker'} took ${(info.stopMs / 1000).toFixed(1)} s to stop`)
    if (info.profilePath) log(`# CPU profile: ${info.profilePath}  (summarise: npx tsx scripts/bench/profile-summary.ts ${info.profilePath})`)
  }
}

export function formatHostStats(s: HostStats): string {
  return `event loop ${(s.elu * 100).toFixed(0)}% busy, loop delay p99 ${s.delayP99Ms.toFixed(1)} ms / max ${s.delayMaxMs.toFixed(1)} ms, process RSS ${(s.rss / 2 ** 20).toFixed(0)} MiB`
}

// `npm run bench`: the standard scenarios, each for a fixed short time (under 5 minutes in all),
// against the ceiling sinks and a fresh Millrace per scenario. Writes bench-results.json and
// prints a Markdown table for README.md's "Performance" section.
//   npm run bench
//   npm run bench -- --duration-ms 3000 --skip startup,partitions
//   npm run bench -- --profile-dir /tmp/prof     (CPU profile of the broker in every scenario)

import { mkdtempSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, parseHostPort } from './lib/args.js'
import { runAgainstRelay, runAgainstSink } from './lib/ceiling.js'
import { runConsumer, type ConsumeResult } from './lib/consume-core.js'
import { runE2e, type E2eResult } from './lib/e2e-core.js'
import { removeTree, type HostStats } from './lib/host-entry.js'
import { startHost, type Host, type HostMode } from './lib/host.js'
import { runKafkajs, type KafkajsResult } from './lib/kafkajs-core.js'
import { machineInfo } from './lib/machine.js'
import { runPartitions, type PartitionsResult } from './lib/partitions-core.js'
import { runProducer, type ProduceOptions, type ProduceResult } from './lib/produce-core.js'
import { analyseProfile, formatProfile, loadProfile, type ProfileReport } from './lib/profile.js'
import { ROOT, runStartup, type StartupResult } from './lib/startup-core.js'
import type { RelayLatencyResult } from './lib/relay.js'
import { fmt } from './lib/stats.js'
import { formatHostStats } from './lib/target.js'

const STEPS = ['ceiling', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 'startup', 'partitions'] as const
type Step = (typeof STEPS)[number]

const opts = parseArgs('run-all.ts', 'The standard benchmark set; writes bench-results.json and prints a Markdown table.', {
  bootstrap: { type: 'string', help: 'run the broker scenarios against this address instead of a fresh Millrace each' },
  'host-mode': { type: 'string', default: 'worker', help: 'where each fresh broker runs: worker, child or inline' },
  'duration-ms': { type: 'number', default: 5000, help: 'length of each timed produce run' },
  's4-records': { type: 'number', default: 10_000_000, help: 'records scenario 4 reads from the beginning' },
  'startup-repeats': { type: 'number', default: 5, help: 'runs per start-up form (the median is reported)' },
  'partition-sizes': { type: 'string', default: '1000,10000', help: 'topics of these partition counts' },
  skip: { type: 'string', default: '', help: `comma-separated steps to skip (${STEPS.join(', ')})` },
  only: { type: 'string', default: '', help: 'comma-separated steps to run (others skipped)' },
  'profile-dir': { type: 'string', help: 'CPU-profile the broker of every scenario into this directory and summarise' },
  'budget-ms': { type: 'number', default: 285_000, help: 'skip remaining steps once this much time has passed' },
  out: { type: 'string', default: join(ROOT, 'bench-results.json'), help: 'where to write the results' },
})

const log = (line: string): void => void process.stderr.write(line + '\n')
const t0 = Date.now()
const mode = opts['host-mode'] as HostMode
const D = opts['duration-ms']
const skip = new Set(opts.skip.split(',').filter(Boolean))
const only = new Set(opts.only.split(',').filter(Boolean))
const wanted = (s: Step): boolean => !skip.has(s) && (only.size === 0 || only.has(s))
const stamp = Date.now().toString(36)

interface Hosted<T> {
  result: T
  broker?: HostStats
  profile?: ProfileReport
  /** How long the broker took to stop after the scenario (ms), or 'timed out'. */
  stopMs?: number | 'timed out'
}

const results: {
  machine: ReturnType<typeof machineInfo>
  startedAt: string
  finishedAt?: string
  loadAvgAtEnd?: number[]
  options: typeof opts
  ceiling: Record<string, ProduceResult & { hostStats: HostStats }>
  /** S5's ceiling: the same records at the same rate through a bare relay. */
  relay?: RelayLatencyResult & { hostStats: HostStats }
  scenarios: {
    s1?: Hosted<ProduceResult>
    s2?: Hosted<ProduceResult>
    s3?: Hosted<ProduceResult>
    s4?: Hosted<ConsumeResult>
    s5?: Hosted<E2eResult>
    s6?: Hosted<ProduceResult & { targetRate: number }>
    s7?: Hosted<KafkajsResult>
  }
  startup?: StartupResult
  partitions?: Hosted<PartitionsResult>
  /** The partitions step's broker started again on its data after the timed stop: startBroker() to listening, ms. */
  partitionsRestartMs?: number
  errors: Record<string, string>
  /** 1-minute load average when each step ended: how busy the machine was. */
  stepLoad: Record<string, number>
  skipped: string[]
  table?: Row[]
} = { machine: machineInfo(ROOT), startedAt: new Date().toISOString(), options: opts, ceiling: {}, scenarios: {}, errors: {}, stepLoad: {}, skipped: [] }

/** Runs fn against a fresh broker (or --bootstrap), with its loop stats and optional profile. */
async function hosted<T>(name: string, fn: (host: string, port: number, h: Host | null) => Promise<T>, hostMode: HostMode = mode, stopTimeoutMs = 60_000, dataDir?: string): Promise<Hosted<T>> {
  if (opts.bootstrap) {
    const { host, port } = parseHostPort(opts.bootstrap)
    return { result: await fn(host, port, null) }
  }
  const h = await startHost({ kind: 'broker', profileDir: opts['profile-dir'] ? join(opts['profile-dir'], name) : undefined, dataDir }, hostMode)
  let out: Hosted<T>
  try {
    await h.stats()
    const result = await fn(h.host, h.port, h)
    out = { result, broker: await h.stats() }
    log(`  broker: ${formatHostStats(out.broker!)}`)
  } finally {
    const info = await h.stop(stopTimeoutMs)
    // eslint-disable-next-line no-unsafe-finally
    if (out!) out.stopMs = info.stopTimedOut ? 'timed out' : Math.round(info.stopMs ?? NaN)
    if (info.profilePath) {
      const report = analyseProfile(loadProfile(info.profilePath), 12)
      log(`  profile ${info.profilePath}\n${formatProfile(report).replace(/^/gm, '    ')}`)
      // eslint-disable-next-line no-unsafe-finally
      if (out!) out.profile = report
    }
  }
  return out
}

async function step(name: Step, fn: () => Promise<void>): Promise<void> {
  if (!wanted(name)) return
  if (Date.now() - t0 > opts['budget-ms']) {
    results.skipped.push(`${name} (time budget)`)
    log(`## ${name}: skipped, over the time budget`)
    return
  }
  log(`## ${name} (${((Date.now() - t0) / 1000).toFixed(0)} s in, load ${loadavg()[0]!.toFixed(1)})`)
  try {
    await fn()
    results.stepLoad[name] = Math.round(loadavg()[0]! * 100) / 100
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err)
    results.errors[name] = msg
    log(`  FAILED: ${msg}`)
  }
}

const quiet = { reportingIntervalMs: 3_600_000, log: (l: string) => log(`  ${l}`) }
const s1Stream: Omit<ProduceOptions, 'host' | 'port'> = {
  topic: `s1-${stamp}`,
  partitions: 1,
  numRecords: 0,
  durationMs: D,
  recordSize: 100,
  throughput: -1,
  acks: 1,
  batchBytes: 1 << 20,
  lingerMs: 0,
  maxInFlight: 5,
  compression: 'none',
  ...quiet,
}
const S6_WARMUP_MS = 1000
// S5 leaves out the records of its first 2 s: at one record a millisecond the broker's and the
// client's hot paths are still being compiled then (scripts/bench/README.md has the figures).
const S5_WARMUP_MS = 2000
// At the default duration 10 s are measured after the warm-up: 10,000 records, so the p99 rests on the slowest 100.
const S5_RECORDS = Math.round(2 * D) + S5_WARMUP_MS
const s3Stream: Omit<ProduceOptions, 'host' | 'port'> = { ...s1Stream, topic: `s3-${stamp}`, recordSize: 1024, batchBytes: 16 << 10 }
const prodLine = (r: ProduceResult): string =>
  `${fmt(r.recordsPerSec)} records/s, ${r.mibPerSec.toFixed(1)} MB/s, ${fmt(r.requestsPerSec)} requests/s, latency p50 ${r.latency.p50} / p99 ${r.latency.p99} / max ${r.latency.max} ms` +
  (Object.keys(r.errors).length ? `, errors ${JSON.stringify(r.errors)}` : '')

/**
 * The machine's ceilings for one stream: the same bytes into the three sinks, run just before the
 * broker's scenario on that stream. This VM's speed drifts by tens of percent within a minute, so
 * a ceiling taken next to its scenario is the one a ratio can be read against.
 */
async function ceilingFor(label: 's1' | 's3', stream: Omit<ProduceOptions, 'host' | 'port'>): Promise<void> {
  // As long as the broker's runs: a longer run writes more, into page-cache memory this VM has
  // not touched yet, and a shorter sink run would flatter the machine's ceiling.
  for (const kind of ['sink-ack', 'sink-file', 'sink-file-sync'] as const) {
    const r = await runAgainstSink(kind, { ...stream, durationMs: D }, mode)
    results.ceiling[`${label}-${kind}`] = r
    log(`  ${label} stream → ${kind}: ${prodLine(r)}; ${formatHostStats(r.hostStats)}`)
  }
}

await step('ceiling', () => ceilingFor('s1', s1Stream))
await step('s1', async () => {
  results.scenarios.s1 = await hosted('s1', (host, port) => runProducer({ ...s1Stream, host, port }))
  log(`  S1: ${prodLine(results.scenarios.s1.result)}`)
})
await step('s2', async () => {
  results.scenarios.s2 = await hosted('s2', (host, port) => runProducer({ ...s1Stream, topic: `s2-${stamp}`, acks: -1, host, port }))
  log(`  S2: ${prodLine(results.scenarios.s2.result)}`)
})
await step('ceiling', () => ceilingFor('s3', s3Stream))
await step('s3', async () => {
  results.scenarios.s3 = await hosted('s3', (host, port) => runProducer({ ...s3Stream, host, port }))
  log(`  S3: ${prodLine(results.scenarios.s3.result)}`)
})
await step('s4', async () => {
  results.scenarios.s4 = await hosted('s4', (host, port, h) =>
    runConsumer({
      beforeTimed: h ? () => h.restartProfile() : undefined,
      host,
      port,
      topic: `s4-${stamp}`,
      numRecords: opts['s4-records'],
      fetchSize: 1 << 20,
      maxBytes: 50 << 20,
      maxInFlight: 4,
      verify: true,
      produceIfNeeded: true,
      recordSize: 100,
      partitions: 1,
      timeoutMs: 120_000,
      log: quiet.log,
    }),
  )
  const r = results.scenarios.s4.result
  log(`  S4: ${fmt(r.records)} records in ${r.seconds.toFixed(2)} s: ${fmt(r.recordsPerSec)} records/s, ${r.mibPerSec.toFixed(1)} MB/s, ${r.fetches} fetches`)
})
await step('s5', async () => {
  // The machine's own end-to-end latency: the same records at the same rate through a bare relay.
  results.relay = await runAgainstRelay({ numRecords: S5_RECORDS, rate: 1000, warmupMs: S5_WARMUP_MS }, mode)
  const rl = results.relay.latency
  log(`  S5 records → relay: p50 ${rl.p50} / p99 ${rl.p99} / p99.9 ${rl.p999} / max ${rl.max} ms; ${formatHostStats(results.relay.hostStats)}`)
  results.scenarios.s5 = await hosted('s5', (host, port) =>
    runE2e({ host, port, topic: `s5-${stamp}`, numRecords: S5_RECORDS, rate: 1000, acks: 1, recordSize: 100, warmupMs: S5_WARMUP_MS, maxWaitMs: 1000, timeoutMs: S5_RECORDS + 30_000 }),
  )
  const l = results.scenarios.s5.result.latency
  const la = results.scenarios.s5.result.latencyAll
  log(`  S5: end-to-end p50 ${l.p50} / p99 ${l.p99} / p99.9 ${l.p999} / max ${l.max} ms at ${results.scenarios.s5.result.achievedRate.toFixed(0)} records/s; every record, warm-up included: p99 ${la.p99} / max ${la.max} ms`)
})
await step('s6', async () => {
  const s1 = results.scenarios.s1?.result
  if (!s1) throw new Error('needs scenario 1 (its maximum throughput)')
  const rate = Math.floor(s1.recordsPerSec / 2)
  // Steady-state latency: the first second of a fresh broker (its hot paths still being
  // compiled) is sent but left out of the figures, for the sink as for the broker.
  const s6Stream = { ...s1Stream, topic: `s6-${stamp}`, throughput: rate, durationMs: D + S6_WARMUP_MS, warmupMs: S6_WARMUP_MS }
  // The machine's own latency at that rate: the same throttled stream into the writevSync file
  // sink, and into the one that also fsyncs each finished GiB in the background as a Kafka log
  // does at a segment roll (at S6's rates a roll falls inside the run).
  for (const kind of ['sink-file-sync', 'sink-file-roll'] as const) {
    const sink = await runAgainstSink(kind, s6Stream, mode)
    results.ceiling[`s6-${kind}`] = sink
    log(`  S6 stream → ${kind}: ${prodLine(sink)}; ${formatHostStats(sink.hostStats)}`)
  }
  const r = await hosted('s6', (host, port) => runProducer({ ...s6Stream, host, port }))
  results.scenarios.s6 = { ...r, result: { ...r.result, targetRate: rate } }
  log(`  S6 at ${fmt(rate)} records/s: ${prodLine(r.result)}`)
})
await step('s7', async () => {
  results.scenarios.s7 = await hosted('s7', (host, port) =>
    runKafkajs({
      bootstrap: `${host}:${port}`,
      host,
      port,
      topic: `s7-${stamp}`,
      numRecords: 5_000_000,
      durationMs: D,
      recordSize: 100,
      batchRecords: 1000,
      inFlight: 5,
      acks: 1,
      consumeRecords: 1_000_000,
      consumeTimeoutMs: 30_000,
    }),
  )
  const r = results.scenarios.s7.result
  log(`  S7: kafkajs producer ${fmt(r.produce.recordsPerSec)} records/s; consumer (${r.consume.mode}) ${fmt(r.consume.steadyRecordsPerSec ?? r.consume.recordsPerSec)} records/s`)
})
await step('startup', async () => {
  if (opts.bootstrap) throw new Error('not with --bootstrap')
  results.startup = await runStartup({ repeats: opts['startup-repeats'], idleMs: 1000, log: l => log(`  ${l}`) })
})
await step('partitions', async () => {
  // Kept for a restart on the same data after the timed stop, then deleted.
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-bench-partitions-'))
  try {
    results.partitions = await hosted(
      'partitions',
      (host, port, h) =>
        runPartitions({ host, port, hosted: h, sizes: opts['partition-sizes'].split(',').map(Number), spreadPartitions: 1000, durationMs: Math.min(D, 3000), repeats: 5, log: l => log(`  ${l}`) }),
      'child',
      90_000,
      dataDir,
    )
    log(`  broker stopped in ${results.partitions.stopMs === 'timed out' ? 'more than 90 s (killed)' : `${results.partitions.stopMs} ms`}`)
    // Not against --bootstrap: no broker of ours wrote dataDir.
    if (!opts.bootstrap && results.partitions.stopMs !== 'timed out') {
      const again = await startHost({ kind: 'broker', dataDir }, 'child')
      results.partitionsRestartMs = again.startMs
      log(`  restarted on the same data: listening after ${again.startMs?.toFixed(0)} ms`)
      await again.stop(90_000)
    }
  } finally {
    await removeTree(dataDir)
  }
})

// ---- the table ----
interface Row {
  scenario: string
  figure: string
  target: string
  ceiling: string
  met: boolean | null
}
const rows: Row[] = []
const pct = (x: number): string => `${(x * 100).toFixed(0)}%`
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`
const sc = results.scenarios
/** The file-appending ceiling: the better of the two ways of writing (thread-pool writev, writevSync). */
const bestFileSink = (which: 's1' | 's3'): ProduceResult | undefined => {
  const cands = [results.ceiling[`${which}-sink-file`], results.ceiling[`${which}-sink-file-sync`]].filter((x): x is NonNullable<typeof x> => !!x)
  return cands.sort((a, b) => b.mibPerSec - a.mibPerSec)[0]
}
const fileSink = bestFileSink('s1')
const ceilingOf = (r: ProduceResult, which: 's1' | 's3'): string => {
  const f = bestFileSink(which)
  const a = results.ceiling[`${which}-sink-ack`]
  return f && a ? `${pct(r.mibPerSec / f.mibPerSec)} of file sink, ${pct(r.mibPerSec / a.mibPerSec)} of TCP sink` : 'n/a'
}
for (const which of ['s1', 's3'] as const) {
  const a = results.ceiling[`${which}-sink-ack`]
  const f = results.ceiling[`${which}-sink-file`]
  const fs = results.ceiling[`${which}-sink-file-sync`]
  if (!a || !f || !fs) continue
  const fig = (r: ProduceResult): string => (which === 's1' ? `${fmt(r.recordsPerSec)} records/s, ${r.mibPerSec.toFixed(0)} MB/s` : `${fmt(r.requestsPerSec)} requests/s, ${r.mibPerSec.toFixed(0)} MB/s`)
  rows.push({
    scenario: `ceiling, ${which === 's1' ? 'S1' : 'S3'} stream`,
    figure: `TCP sink ${fig(a)}; TCP + file sink ${fig(f)} (thread-pool writev) / ${fig(fs)} (writevSync)`,
    target: '—',
    ceiling: '100%',
    met: null,
  })
}
if (sc.s1) {
  const r = sc.s1.result
  const ratio = fileSink ? r.mibPerSec / fileSink.mibPerSec : NaN
  rows.push({
    scenario: 'S1 produce, acks=1, 1 MiB requests, 5 in flight',
    figure: `${fmt(r.recordsPerSec)} records/s, ${r.mibPerSec.toFixed(0)} MB/s (p99 ${r.latency.p99} ms)`,
    target: '≥ 2,000,000 records/s and ≥ 50% of file sink',
    ceiling: ceilingOf(r, 's1'),
    met: r.recordsPerSec >= 2_000_000 && ratio >= 0.5,
  })
}
if (sc.s2) {
  const r = sc.s2.result
  rows.push({ scenario: 'S2 produce, acks=-1', figure: `${fmt(r.recordsPerSec)} records/s, ${r.mibPerSec.toFixed(0)} MB/s (p99 ${r.latency.p99} ms)`, target: '—', ceiling: ceilingOf(r, 's1'), met: null })
}
if (sc.s3) {
  const r = sc.s3.result
  rows.push({ scenario: 'S3 produce, acks=1, 1 KiB records, 16 KiB batches', figure: `${fmt(r.requestsPerSec)} requests/s (${fmt(r.recordsPerSec)} records/s, ${r.mibPerSec.toFixed(0)} MB/s)`, target: '≥ 25,000 requests/s', ceiling: ceilingOf(r, 's3'), met: r.requestsPerSec >= 25_000 })
}
if (sc.s4) {
  const r = sc.s4.result
  const scaled = r.records < 10_000_000 ? ` (scaled down to ${fmt(r.records)} records)` : ''
  rows.push({ scenario: `S4 consume 10 M records from the beginning${scaled}`, figure: `${fmt(r.recordsPerSec)} records/s, ${r.mibPerSec.toFixed(0)} MB/s`, target: '≥ 3,000,000 records/s', ceiling: '—', met: r.recordsPerSec >= 3_000_000 })
}
if (sc.s5) {
  const l = sc.s5.result.latency
  const la = sc.s5.result.latencyAll
  const rl = results.relay?.latency
  const relay = rl ? `bare relay at the same rate: p50 ${rl.p50} ms, p99 ${rl.p99} ms, max ${rl.max} ms` : '—'
  rows.push({ scenario: `S5 end-to-end latency at 1,000 records/s (first ${fmt(sc.s5.result.warmupMs)} ms not counted)`, figure: `p50 ${l.p50} ms, p99 ${l.p99} ms, p99.9 ${l.p999} ms, max ${l.max} ms (all ${fmt(sc.s5.result.records)} records, warm-up included: p99 ${la.p99} ms)`, target: 'p99 ≤ 3 ms', ceiling: relay, met: l.p99 <= 3 })
}
if (sc.s6) {
  const r = sc.s6.result
  const sink = results.ceiling['s6-sink-file-sync']
  const roll = results.ceiling['s6-sink-file-roll']
  const sinkLatency =
    [
      sink && `file sink at the same rate: p50 ${sink.latency.p50} ms, p99 ${sink.latency.p99} ms, max ${sink.latency.max} ms`,
      roll && `with a background fsync of each finished GiB, as at a segment roll: p99 ${roll.latency.p99} ms, max ${roll.latency.max} ms`,
    ]
      .filter(Boolean)
      .join('; ') || '—'
  rows.push({ scenario: `S6 produce latency at half of S1 (${fmt(r.targetRate)} records/s; first ${fmt(r.warmupMs)} ms not counted)`, figure: `p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, p99.9 ${r.latency.p999} ms, max ${r.latency.max} ms (${fmt(r.recordsPerSec)} records/s)`, target: 'p99 ≤ 5 ms', ceiling: sinkLatency, met: r.latency.p99 <= 5 })
}
if (sc.s7) {
  const r = sc.s7.result
  rows.push({
    scenario: 'S7 kafkajs 2.2.4 producer / consumer',
    figure:
      `producer ${fmt(r.produce.recordsPerSec)} records/s; consumer ` +
      (r.consume.mode === 'n/a'
        ? 'n/a (groups)'
        : r.consume.mode === 'group'
          ? `${fmt(r.consume.steadyRecordsPerSec ?? NaN)} records/s after joining the group (${fmt(r.consume.recordsPerSec)} records/s counting the ${fmt(r.consume.firstBatchMs ?? NaN)} ms join)`
          : `${fmt(r.consume.recordsPerSec)} records/s (kafkajs fetch path, no group APIs)`),
    target: '—',
    ceiling: '—',
    met: null,
  })
}
if (results.startup) {
  const s = results.startup
  rows.push({ scenario: 'start-up, compiled JavaScript (npm run build; node dist/main.js)', figure: `${s.compiled.firstAnswerMs.toFixed(0)} ms to first answer (first start after the build, which writes V8's code cache: ${s.compiledFirstStart.toFixed(0)} ms), idle RSS ${mb(s.compiled.brokerRss)}`, target: '≤ 300 ms, RSS ≤ 100 MB', ceiling: `node -e 0: ${s.nodeBaselineMs.toFixed(0)} ms`, met: s.compiled.firstAnswerMs <= 300 && s.compiled.brokerRss <= 100e6 })
  rows.push({ scenario: `start-up, ${s.compileTsc.tool} output unbundled (node out/src/main.js)`, figure: `${s.compiledTsc.firstAnswerMs.toFixed(0)} ms to first answer, idle RSS ${mb(s.compiledTsc.brokerRss)}`, target: '—', ceiling: '—', met: null })
  const ip = s.inProcessCompiled
  rows.push({
    scenario: 'start-up, in-process startBroker() (bundled)',
    figure:
      `${ip.startToFirstAnswerMs.toFixed(0)} ms to first answer (+ ${ip.importMs.toFixed(0)} ms importing the broker), idle RSS ${mb(ip.idleRss)}` +
      (s.inProcessTsc ? `; ${s.compileTsc.tool} output: ${s.inProcessTsc.startToFirstAnswerMs.toFixed(0)} ms (+ ${s.inProcessTsc.importMs.toFixed(0)} ms import)` : '') +
      `; under tsx: ${s.inProcess.startToFirstAnswerMs.toFixed(0)} ms (+ ${s.inProcess.importMs.toFixed(0)} ms import), RSS ${mb(s.inProcess.idleRss)}`,
    target: '≤ 300 ms, RSS ≤ 100 MB',
    ceiling: '—',
    met: ip.startToFirstAnswerMs <= 300 && ip.idleRss <= 100e6,
  })
  rows.push({ scenario: 'start-up, npx tsx src/main.ts', figure: `${s.npxTsx.firstAnswerMs.toFixed(0)} ms (node --import tsx: ${s.tsxDirect.firstAnswerMs.toFixed(0)} ms), broker RSS ${mb(s.npxTsx.brokerRss)}`, target: '—', ceiling: '—', met: null })
}
if (results.partitions) {
  const p = results.partitions.result
  const sizes = Object.keys(p.metadata).map(Number).sort((a, b) => a - b)
  for (const n of sizes) {
    const m = p.metadata[n]!
    rows.push({
      scenario: `${fmt(n)}-partition topic: create, Metadata for all`,
      figure: `created in ${fmt(p.createMs[n]!)} ms; Metadata (${fmt(m.partitions)} partitions) median ${m.medianMs.toFixed(1)} ms, max ${m.maxMs.toFixed(1)} ms; broker RSS ${p.rss[`after ${n}`] ? mb(p.rss[`after ${n}`]!) : 'n/a'}`,
      target: n >= 10_000 ? 'Metadata < 100 ms' : '—',
      ceiling: '—',
      met: n >= 10_000 ? m.maxMs < 100 : null,
    })
  }
  rows.push({
    scenario: `shutdown with ${fmt(Object.values(results.partitions.result.metadata).at(-1)?.partitions ?? 0)} partitions`,
    figure: results.partitions.stopMs === 'timed out' ? 'did not finish within 90 s (killed)' : `${fmt(Number(results.partitions.stopMs))} ms`,
    target: '—',
    ceiling: '—',
    met: null,
  })
  if (results.partitionsRestartMs !== undefined) {
    rows.push({
      scenario: `restart on that data (${fmt(Object.values(p.metadata).at(-1)?.partitions ?? 0)} partitions, after the clean shutdown)`,
      figure: `listening after ${fmt(results.partitionsRestartMs)} ms (startBroker() in a fresh process: logs loaded, metadata replayed)`,
      target: '—',
      ceiling: '—',
      met: null,
    })
  }
  rows.push({
    scenario: 'S3 spread over 1,000 partitions',
    figure: `${fmt(p.spread.recordsPerSec)} records/s vs ${fmt(p.single.recordsPerSec)} on one partition in the same run (${pct(p.spreadRatio)})`,
    target: '≥ 50% of one partition',
    ceiling: '—',
    met: p.spreadRatio >= 0.5,
  })
}
results.table = rows
results.finishedAt = new Date().toISOString()
results.loadAvgAtEnd = machineInfo(ROOT).loadAvg
writeFileSync(opts.out, JSON.stringify(results, null, 2) + '\n')

const m = results.machine
const esc = (s: string): string => s.replace(/\|/g, '\\|')
const lines = [
  '| Scenario | Figure | Target | Ratio to ceiling | Met |',
  '|---|---|---|---|---|',
  ...rows.map(r => `| ${esc(r.scenario)} | ${esc(r.figure)} | ${esc(r.target)} | ${esc(r.ceiling)} | ${r.met === null ? '—' : r.met ? 'yes' : '**no**'} |`),
  '',
  `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB memory, Node ${m.node}, ${m.platform}; load average ${m.loadAvg.join(' / ')} at start, ${results.loadAvgAtEnd.join(' / ')} at end` +
    `${m.commit ? `; commit ${m.commit}${m.dirty ? ' + local changes' : ''}` : ''}. ` +
    `Single node, loopback, ${mode === 'worker' ? 'broker in a worker thread of the bench process' : `broker host mode ${mode}`} (partitions: own process); ` +
    `${D / 1000} s per produce run; MB = MiB for throughput (as Kafka's tools print), 10^6 bytes for RSS.`,
]
if (results.skipped.length) lines.push(`Skipped: ${results.skipped.join(', ')}.`)
for (const [k, v] of Object.entries(results.errors)) lines.push(`Failed: ${k}: ${v}`)
if (m.loadAvg[0]! > m.cores) lines.push(`Warning: the machine was busy (load ${m.loadAvg[0]} on ${m.cores} cores); figures are noisy.`)
console.log(lines.join('\n'))
log(`\nwrote ${opts.out} in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
process.exit(0)

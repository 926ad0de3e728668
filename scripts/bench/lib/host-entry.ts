// What runs inside a bench host (a worker thread, a child process, or this thread): a Millrace
// broker from startTempBroker, or one of the ceiling sinks. Optionally CPU-profiles its own
// thread through the inspector and writes a .cpuprofile when stopped.

import { Session } from 'node:inspector'
import { writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { spawn } from 'node:child_process'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import { keepFreedMemory } from '../../../src/native/memory.js'
import { growHeapInLargeSteps } from '../../../src/util/heap-growth.js'

export type HostKind = 'broker' | 'sink-ack' | 'sink-file' | 'sink-file-sync' | 'sink-file-roll' | 'relay'

export interface HostConfig {
  kind: HostKind
  overrides?: Record<string, string>
  /** Directory to write a CPU profile of the host thread to. */
  profileDir?: string
  /** Sampling interval for the profile, µs. */
  profileIntervalUs?: number
  /** Profile the shutdown instead of the run: the profile written at stop covers stopping. */
  profileStop?: boolean
  /** Broker: use this data directory (a restart, when it holds data) and leave it in place at stop; the caller deletes it. */
  dataDir?: string
}

export interface HostStats {
  /** Event-loop utilization of the host thread, 0..1. */
  elu: number
  /** Event-loop delay percentiles (ms): how long ready work waited for the loop. */
  delayP99Ms: number
  delayMaxMs: number
  /** Process RSS and this thread's heap, bytes. */
  rss: number
  heapUsed: number
}

/** Collects HostStats for the current thread; each call reports the interval since the last. */
export function statsCollector(): () => HostStats {
  let last = performance.eventLoopUtilization()
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  return () => {
    const now = performance.eventLoopUtilization()
    const s: HostStats = {
      elu: performance.eventLoopUtilization(now, last).utilization,
      delayP99Ms: delay.percentile(99) / 1e6,
      delayMaxMs: delay.max / 1e6,
      rss: process.memoryUsage.rss(),
      heapUsed: process.memoryUsage().heapUsed,
    }
    last = now
    delay.reset()
    return s
  }
}

export interface HostStopInfo {
  profilePath?: string
  /** How long the broker (or sink) took to stop, ms. */
  stopMs?: number
  stopTimedOut?: boolean
}

export interface RunningService {
  port: number
  /** Broker: how long startBroker() took, to listening (ms). */
  startMs?: number
  /**
   * When profiling: drops the samples so far (set-up, e.g. producing the data a consume test
   * reads) so the profile written at stop covers only what follows. No-op otherwise.
   */
  restartProfile(): Promise<void>
  stop(): Promise<HostStopInfo>
}

function post(session: Session, method: string, params?: object): Promise<any> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))))
}

/**
 * The source maps of the project's loaded scripts (tsx inlines them as data: URLs), so a
 * profile of transpiled code can be read in TypeScript lines (profile-summary.ts).
 */
export async function sourceMapUrls(session: Session): Promise<Record<string, string>> {
  const maps: Record<string, string> = {}
  const onParsed = (m: { params: { url: string; sourceMapURL?: string } }): void => {
    const { url, sourceMapURL } = m.params
    if (sourceMapURL && url.startsWith('file://') && !url.includes('/node_modules/')) maps[url] = sourceMapURL
  }
  session.on('Debugger.scriptParsed', onParsed)
  await post(session, 'Debugger.enable')
  await post(session, 'Debugger.disable')
  session.off('Debugger.scriptParsed', onParsed)
  return maps
}

/** Deletes a directory tree with `rm -rf` (faster than fs.rm for many small files); resolves when it is gone. */
export function removeTree(dir: string): Promise<void> {
  if (!dir.startsWith(tmpdir())) throw new Error(`refusing to delete ${dir}: not under ${tmpdir()}`)
  return new Promise(resolve => {
    const rm = spawn('rm', ['-rf', '--', dir], { stdio: 'ignore' })
    rm.on('exit', () => resolve())
    rm.on('error', () => resolve())
  })
}

export async function startService(cfg: HostConfig): Promise<RunningService> {
  process.env.MILLRACE_LOG_LEVEL ??= 'warn'
  // The heap policies of main.ts, for brokers and the ceiling's sinks and relay alike (in worker and
  // inline mode it is the whole bench process's, set before the first run: the ceilings come first).
  keepFreedMemory()
  growHeapInLargeSteps()
  let session: Session | null = null
  if (cfg.profileDir) {
    session = new Session()
    session.connect()
    await post(session, 'Profiler.enable')
    await post(session, 'Profiler.setSamplingInterval', { interval: cfg.profileIntervalUs ?? 200 })
  }
  let port: number
  let startMs: number | undefined
  let stopInner: () => Promise<void>
  let cleanUp = async (): Promise<void> => {}
  if (cfg.kind === 'broker') {
    const { startTempBroker } = await import('../../../src/testing/temp-broker.js')
    const t = performance.now()
    const broker = await startTempBroker(cfg.overrides ?? {}, cfg.dataDir)
    startMs = performance.now() - t
    port = broker.port
    // broker.stop() is what is timed. Deleting the data (GBs after a produce run; with many
    // partitions one directory and several files each) comes after, and is waited for: left to
    // run in the background it would take I/O and CPU from the next measurement.
    stopInner = () => broker.stop()
    if (!cfg.dataDir) cleanUp = () => removeTree(broker.dataDir)
  } else if (cfg.kind === 'relay') {
    const { startRelay } = await import('./relay.js')
    const relay = await startRelay()
    port = relay.port
    stopInner = () => relay.close()
  } else {
    const { startSink } = await import('./sinks.js')
    type SinkKind = Parameters<typeof startSink>[0]
    const sink = await startSink(cfg.kind.slice('sink-'.length) as SinkKind)
    port = sink.port
    stopInner = () => sink.close()
  }
  if (session) await post(session, 'Profiler.start')
  const restartProfile = async (): Promise<void> => {
    if (!session) return
    await post(session, 'Profiler.stop')
    await post(session, 'Profiler.start')
  }
  return {
    port,
    startMs,
    restartProfile,
    async stop() {
      const info: HostStopInfo = {}
      const t = performance.now()
      if (session && cfg.profileStop) {
        await restartProfile()
        await stopInner()
        info.stopMs = performance.now() - t
      }
      if (session) {
        const { profile } = await post(session, 'Profiler.stop')
        profile.$sourceMaps = await sourceMapUrls(session)
        mkdirSync(cfg.profileDir!, { recursive: true })
        info.profilePath = join(cfg.profileDir!, `${cfg.kind}-${process.pid}-${Date.now()}.cpuprofile`)
        writeFileSync(info.profilePath, JSON.stringify(profile))
        session.disconnect()
      }
      if (!(session && cfg.profileStop)) {
        await stopInner()
        info.stopMs = performance.now() - t
      }
      await cleanUp()
      return info
    },
  }
}

// Message protocol with the parent (worker: parentPort; child process: IPC):
//   → { type: 'ready', port, startMs } | { type: 'error', message }
//   ← { type: 'stats' } → { type: 'stats', value: HostStats }   (since the previous ask)
//   ← { type: 'stop' } → { type: 'stopped', info }
type Channel = { send(msg: unknown): void; on(fn: (msg: any) => void): void }

function channel(): Channel | null {
  if (!isMainThread && parentPort) {
    const p = parentPort
    return { send: m => p.postMessage(m), on: fn => p.on('message', fn) }
  }
  if (process.send && process.argv[2]?.startsWith('{')) {
    return {
      send: m => {
        if (process.connected) process.send!(m, undefined, undefined, () => {})
      },
      on: fn => process.on('message', fn),
    }
  }
  return null
}

async function serve(ch: Channel, cfg: HostConfig): Promise<void> {
  try {
    const svc = await startService(cfg)
    const stats = statsCollector()
    ch.on(async msg => {
      if (msg?.type === 'stats') {
        ch.send({ type: 'stats', value: stats() })
      } else if (msg?.type === 'restart-profile') {
        await svc.restartProfile()
        ch.send({ type: 'profile-restarted' })
      } else if (msg?.type === 'stop') {
        const info = await svc.stop()
        ch.send({ type: 'stopped', info })
        if (isMainThread) setTimeout(() => process.exit(0), 20)
        else process.exit(0)
      }
    })
    if (isMainThread) {
      // The parent went away without stopping us: stop (bounded) and exit.
      process.once('disconnect', () => {
        setTimeout(() => process.exit(0), 10_000).unref()
        void svc.stop().finally(() => process.exit(0))
      })
    }
    ch.send({ type: 'ready', port: svc.port, startMs: svc.startMs })
  } catch (err) {
    ch.send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) })
  }
}

const ch = channel()
if (ch) {
  const cfg: HostConfig = isMainThread ? JSON.parse(process.argv[2]!) : (workerData as HostConfig)
  void serve(ch, cfg)
}

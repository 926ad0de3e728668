// Where the thing under test runs when no --bootstrap is given. By default a worker thread in
// this process ("in-process", its own event loop, so the load generator does not steal the
// broker's loop); `child` runs it in a separate node process (clean RSS figures); `inline`
// runs it on this very thread (what embedding startTempBroker in an app looks like).

import { fork, type ChildProcess } from 'node:child_process'
import { Worker } from 'node:worker_threads'
import { startService, statsCollector, type HostConfig, type HostStats, type HostStopInfo, type RunningService } from './host-entry.js'

export type HostMode = 'worker' | 'child' | 'inline'

export interface Host {
  readonly host: string
  readonly port: number
  readonly bootstrap: string
  readonly mode: HostMode
  /** Process id of the process the host runs in. */
  readonly pid: number
  /** Broker: how long startBroker() took inside the host, to listening (ms). */
  readonly startMs?: number
  /** Event-loop utilization and delay of the host thread since the previous call, its RSS. */
  stats(): Promise<HostStats>
  /** Profiling hosts: forget the samples so far (the profile then covers what follows). */
  restartProfile(): Promise<void>
  /** Stops it; a host that does not stop within the timeout is killed. */
  stop(timeoutMs?: number): Promise<HostStopInfo>
}

const ENTRY = new URL('./host-entry.ts', import.meta.url)

function tsxLoader(): string {
  return import.meta.resolve('tsx')
}

export async function startHost(cfg: HostConfig, mode: HostMode = 'worker'): Promise<Host> {
  if (mode === 'inline') return inlineHost(await startService(cfg))
  return mode === 'worker' ? workerHost(cfg) : childHost(cfg)
}

function inlineHost(svc: RunningService): Host {
  const stats = statsCollector()
  return {
    host: 'localhost',
    port: svc.port,
    bootstrap: `localhost:${svc.port}`,
    mode: 'inline',
    pid: process.pid,
    startMs: svc.startMs,
    stats: async () => stats(),
    restartProfile: () => svc.restartProfile(),
    stop: () => svc.stop(),
  }
}

interface Endpoint {
  send(msg: unknown): void
  on(fn: (msg: any) => void): void
  off(fn: (msg: any) => void): void
}

function ask<T>(ep: Endpoint, msg: { type: string }, replyType: string, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ep.off(onMsg)
      reject(new Error(`host did not answer ${msg.type} within ${timeoutMs} ms`))
    }, timeoutMs)
    const onMsg = (m: any): void => {
      if (m?.type !== replyType) return
      clearTimeout(timer)
      ep.off(onMsg)
      resolve(m as T)
    }
    ep.on(onMsg)
    ep.send(msg)
  })
}

function waitReady(ep: Endpoint, onExit: (fn: (why: string) => void) => void): Promise<{ port: number; startMs?: number }> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: any): void => {
      if (m?.type === 'ready') {
        ep.off(onMsg)
        resolve({ port: m.port as number, startMs: m.startMs as number | undefined })
      } else if (m?.type === 'error') {
        ep.off(onMsg)
        reject(new Error(`host failed to start: ${m.message}`))
      }
    }
    ep.on(onMsg)
    onExit(why => reject(new Error(`host exited before it was ready: ${why}`)))
  })
}

function remoteHost(ep: Endpoint, { port, startMs }: { port: number; startMs?: number }, mode: HostMode, pid: number, kill: () => void): Host {
  return {
    host: 'localhost',
    port,
    startMs,
    bootstrap: `localhost:${port}`,
    mode,
    pid,
    async stats() {
      return (await ask<{ value: HostStats }>(ep, { type: 'stats' }, 'stats', 10_000)).value
    },
    async restartProfile() {
      await ask(ep, { type: 'restart-profile' }, 'profile-restarted', 10_000)
    },
    async stop(timeoutMs = 60_000) {
      try {
        return (await ask<{ info: HostStopInfo }>(ep, { type: 'stop' }, 'stopped', timeoutMs)).info
      } catch (err) {
        process.stderr.write(`# warning: ${(err as Error).message}; killing it\n`)
        kill()
        return { stopTimedOut: true }
      } finally {
        setTimeout(kill, 500).unref()
      }
    },
  }
}

async function workerHost(cfg: HostConfig): Promise<Host> {
  // tsx's loader hooks do not reach worker threads on Node 20, so the worker imports the
  // entry through tsx's own API.
  const api = import.meta.resolve('tsx/esm/api')
  const code = `import(${JSON.stringify(api)}).then(m => m.tsImport(${JSON.stringify(ENTRY.href)}, ${JSON.stringify(import.meta.url)}))`
  const worker = new Worker(code, { eval: true, workerData: cfg })
  const ep: Endpoint = {
    send: m => worker.postMessage(m),
    on: fn => void worker.on('message', fn),
    off: fn => void worker.off('message', fn),
  }
  const ready = await waitReady(ep, fn => {
    worker.once('error', err => fn(err.stack ?? err.message))
    worker.once('exit', code => fn(`exit code ${code}`))
  })
  return remoteHost(ep, ready, 'worker', process.pid, () => void worker.terminate())
}

async function childHost(cfg: HostConfig): Promise<Host> {
  const child: ChildProcess = fork(ENTRY.pathname, [JSON.stringify(cfg)], {
    execArgv: [...(process.env.BENCH_BROKER_NODE_FLAGS ?? '').split(' ').filter(Boolean), '--import', tsxLoader()],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const ep: Endpoint = {
    send: m => child.send(m as never),
    on: fn => void child.on('message', fn),
    off: fn => void child.off('message', fn),
  }
  const ready = await waitReady(ep, fn => {
    child.once('error', err => fn(err.message))
    child.once('exit', code => fn(`exit code ${code}`))
  })
  return remoteHost(ep, ready, 'child', child.pid!, () => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
}

/** Resident set size of a process, bytes (Linux /proc). */
export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises')
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const m = /VmRSS:\s+(\d+) kB/.exec(status)
  return m ? Number(m[1]) * 1024 : NaN
}

// One driver child process: sends requests, matches replies, keeps the client's own output so a
// failure can show it, and restarts the child after a timeout or a crash.

import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { REPLY_PREFIX, type Request } from './protocol.js'
const KEEP_OUTPUT = 64 * 1024

export class DriverError extends Error {
  constructor(
    message: string,
    /** What the client printed while serving the failed request (its logs, stack traces). */
    readonly clientOutput: string,
    readonly unsupported = false,
  ) {
    super(message)
  }
}

interface Pending {
  resolve: (v: unknown) => void
  reject: (e: Error) => void
}

export class DriverProcess {
  private child: ChildProcess | null = null
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  /** Everything the child wrote to stderr (and non-reply stdout) since the current request started. */
  private output = ''
  private exitNote = ''

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv = {},
  ) {}

  private start(): ChildProcess {
    const child = spawn(this.command, this.args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...this.env }, detached: true })
    this.exitNote = ''
    const keep = (text: string) => {
      this.output += text
      if (this.output.length > KEEP_OUTPUT * 2) this.output = '[...]\n' + this.output.slice(-KEEP_OUTPUT)
    }
    child.stderr!.setEncoding('utf8').on('data', keep)
    createInterface({ input: child.stdout! }).on('line', line => {
      if (!line.startsWith(REPLY_PREFIX)) return keep(line + '\n')
      const msg = JSON.parse(line.slice(REPLY_PREFIX.length)) as { id: number; ok: boolean; result?: unknown; error?: string; unsupported?: boolean }
      const p = this.pending.get(msg.id)
      if (!p) return
      this.pending.delete(msg.id)
      if (msg.ok) p.resolve(msg.result)
      else p.reject(new DriverError(msg.error ?? 'failed', this.output, msg.unsupported === true))
    })
    child.on('error', err => this.failAll(`could not start ${this.command}: ${err.message}`))
    child.on('exit', (code, signal) => {
      this.exitNote = `driver exited (${signal ?? code})`
      if (this.child === child) this.child = null
      this.failAll(this.exitNote)
    })
    this.child = child
    return child
  }

  private failAll(message: string): void {
    for (const p of this.pending.values()) p.reject(new DriverError(message, this.output))
    this.pending.clear()
  }

  /** Sends one request; on timeout the child is killed (and started afresh by the next request). */
  request<T>(req: Request, timeoutMs: number): Promise<T> {
    const child = this.child ?? this.start()
    const id = this.nextId++
    this.output = ''
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        const out = this.output
        this.kill()
        reject(new DriverError(`no answer to ${req.op} within ${timeoutMs} ms (driver killed)`, out))
      }, timeoutMs)
      this.pending.set(id, {
        resolve: v => {
          clearTimeout(timer)
          resolve(v as T)
        },
        reject: e => {
          clearTimeout(timer)
          reject(e)
        },
      })
      child.stdin!.write(JSON.stringify({ id, ...req }) + '\n')
    })
  }

  kill(): void {
    const child = this.child
    this.child = null
    if (child?.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL') // the driver and anything it started (kcat)
      } catch {
        child.kill('SIGKILL')
      }
    }
  }

  /** Closes stdin so the driver shuts its clients down, then kills it if it lingers. */
  async stop(graceMs = 5000): Promise<void> {
    const child = this.child
    if (!child) return
    await new Promise<void>(resolve => {
      const timer = setTimeout(() => {
        this.kill()
        resolve()
      }, graceMs)
      child.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
      child.stdin!.end()
    })
    this.child = null
  }
}

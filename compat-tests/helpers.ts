// Shared pieces of the compatibility tests: real clients against a real Millrace over TCP.

import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import kafkajs from 'kafkajs'
import { compress, decompress, Compression } from '../src/wire/index.js'

const { Kafka, logLevel, CompressionCodecs, CompressionTypes } = kafkajs
type Kafka = InstanceType<typeof Kafka>

export { startTempBroker, type TempBroker } from '../src/testing/temp-broker.js'

const root = fileURLToPath(new URL('..', import.meta.url))

/** A broker run as a user runs it: `node --import tsx src/main.ts ARGS` (or another entry), its output collected. */
export interface BrokerProcess {
  output: () => string
  exited: Promise<number | null>
  child: ReturnType<typeof spawn>
  waitFor: (re: RegExp, ms?: number) => Promise<RegExpMatchArray>
}

/**
 * `fileLimit`: the broker's limit on open files (its soft and hard RLIMIT_NOFILE), set by the shell's ulimit.
 * `entry`: what node runs instead of src/main.ts under tsx (the production build's dist/main.js, say).
 */
export function runBrokerProcess(args: string[], env: Record<string, string> = {}, fileLimit?: number, entry: string[] = ['--import', 'tsx', 'src/main.ts']): BrokerProcess {
  const node = [process.execPath, ...entry, ...args]
  const [cmd, ...cmdArgs] = fileLimit === undefined ? node : ['/bin/sh', '-c', `ulimit -n ${fileLimit} && exec "$@"`, 'sh', ...node]
  const child = spawn(cmd!, cmdArgs, {
    cwd: root,
    env: { ...process.env, MILLRACE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const listeners: Array<() => void> = []
  const onData = (d: Buffer): void => {
    out += d
    for (const l of listeners) l()
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)))
  return {
    child,
    exited,
    output: () => out,
    waitFor: (re, ms = 20_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output:\n${out}`)), ms)
        const check = (): void => {
          const m = out.match(re)
          if (m) {
            clearTimeout(timer)
            resolve(m)
          }
        }
        listeners.push(check)
        check()
      }),
  }
}

export function kafkaClient(bootstrap: string, clientId = 'millrace-compat'): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50, maxRetryTime: 500 } })
}

/**
 * kafkajs ships gzip only; other codecs are plug-ins. Snappy comes from the kafkajs-snappy package;
 * the LZ4 and zstd plug-ins on npm need native builds that do not install here, so these two
 * adapters put kafkajs's codec interface over the same lz4-napi and zstd libraries Millrace uses.
 */
export async function registerKafkajsCodecs(): Promise<void> {
  const snappy = (await import('kafkajs-snappy')).default as () => unknown
  CompressionCodecs[CompressionTypes.Snappy] = snappy as never
  const adapter = (codec: number) => () => ({
    compress: async (encoder: { buffer: Buffer }) => compress(codec, encoder.buffer),
    decompress: async (buffer: Buffer) => decompress(codec, buffer),
  })
  CompressionCodecs[CompressionTypes.LZ4] = adapter(Compression.Lz4) as never
  CompressionCodecs[CompressionTypes.ZSTD] = adapter(Compression.Zstd) as never
}

export const hasKcat = spawnSync('kcat', ['-V'], { encoding: 'utf8' }).status === 0

/** A finished command: its exit code (null when killed) and everything it printed. */
export interface CommandRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a command to completion (killed after `timeoutMs`), with `input` on its stdin. */
export function runCommand(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CommandRun> {
  return new Promise(resolve => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => (stdout += d))
    child.stderr.on('data', d => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000)
    child.on('close', code => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.on('error', () => {}) // a command that exits without reading its input
    child.stdin.end(opts.input)
  })
}

/** Runs kcat to completion; resolves with its stdout, rejects with its stderr on failure. */
export async function kcat(args: string[], input?: string, timeoutMs = 30_000): Promise<{ stdout: string; stderr: string }> {
  const r = await runCommand('kcat', args, { input, timeoutMs })
  if (r.code !== 0) throw new Error(`kcat ${args.join(' ')} exited with ${r.code}: ${r.stderr}`)
  return { stdout: r.stdout, stderr: r.stderr }
}

/** `p`, or a rejection naming `what` once `ms` have passed without an answer (a step that hangs fails alone). */
export function within<T>(what: string, p: Promise<T>, ms = 15_000): Promise<T> {
  p.catch(() => {}) // a rejection after the deadline is not an unhandled one
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)
  })
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer))
}

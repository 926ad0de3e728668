// The request loop shared by the Node drivers: one JSON request per stdin line, one reply per
// stdout line. Replies start with REPLY_PREFIX so that anything a client library prints on stdout
// cannot be mistaken for one; console output is sent to stderr anyway, where the runner keeps it.

import { createInterface } from 'node:readline'
import { format } from 'node:util'
import {
  REPLY_PREFIX,
  type ConsumeRequest,
  type ConsumedRecord,
  type DescribeResult,
  type GroupRequest,
  type GroupResult,
  type HelloResult,
  type MetadataResult,
  type OffsetsRequest,
  type OffsetsResult,
  type ProduceRequest,
  type Request,
  type TransactionsRequest,
  type TransactionsResult,
} from '../protocol.js'

export interface Driver {
  hello(): Promise<HelloResult>
  metadata?(topics: string[]): Promise<MetadataResult>
  createTopic?(topic: string, partitions: number, configs: Record<string, string>): Promise<void>
  describeTopic?(topic: string, configKeys: string[]): Promise<DescribeResult>
  deleteTopic?(topic: string): Promise<void>
  listTopics?(): Promise<string[]>
  produce?(req: ProduceRequest): Promise<{ count: number }>
  consume?(req: ConsumeRequest): Promise<{ records: ConsumedRecord[] }>
  group?(req: GroupRequest): Promise<GroupResult>
  offsets?(req: OffsetsRequest): Promise<OffsetsResult>
  transactions?(req: TransactionsRequest): Promise<TransactionsResult>
  close?(): Promise<void>
}

/** Thrown by a driver for something its client cannot do: the runner reports "n/a". */
export class Unsupported extends Error {
  readonly unsupported = true
}

export function log(...args: unknown[]): void {
  process.stderr.write(format(...args) + '\n')
}

/** Resolves after ms milliseconds. */
export const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms))

/** Polls `done` every 20 ms until it is true (or `failed` returns an error, thrown) or `timeoutMs` passes. */
export async function waitFor(done: () => boolean, timeoutMs: number, what: () => string, failed?: () => Error | null): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    const err = failed?.()
    if (err) throw err
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`)
    await sleep(20)
  }
}

/** Splits a list into chunks of at most n. */
export function chunks<T>(items: T[], n: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n))
  return out
}

export function runDriver(driver: Driver): void {
  // Client libraries that print with console.* must not write into the reply channel.
  for (const name of ['log', 'info', 'debug', 'warn', 'error'] as const) console[name] = log

  const reply = (msg: unknown) => process.stdout.write(REPLY_PREFIX + JSON.stringify(msg) + '\n')
  const rl = createInterface({ input: process.stdin })
  let queue = Promise.resolve()
  rl.on('line', line => {
    if (!line.trim()) return
    queue = queue.then(async () => {
      let id: unknown = null
      try {
        const req = JSON.parse(line) as Request & { id: unknown }
        id = req.id
        const result = await dispatch(driver, req)
        reply({ id, ok: true, result })
      } catch (err) {
        const e = err as Error & { unsupported?: boolean }
        reply({ id, ok: false, unsupported: e?.unsupported === true, error: e?.unsupported ? e.message : errorText(e) })
      }
    })
  })
  rl.on('close', () => {
    void queue.then(async () => {
      await driver.close?.().catch(() => {})
      process.exit(0)
    })
  })
  process.on('unhandledRejection', err => log('unhandled rejection:', errorText(err as Error)))
}

export function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e)
  const parts = [e.stack ?? `${e.name}: ${e.message}`]
  const extra = e as Error & { cause?: unknown; errors?: unknown[] }
  if (extra.errors?.length) parts.push(...extra.errors.map(x => '  caused by: ' + errorText(x)))
  if (extra.cause) parts.push('  cause: ' + errorText(extra.cause))
  return parts.join('\n')
}

async function dispatch(d: Driver, req: Request): Promise<unknown> {
  const need = <T>(fn: T | undefined): T => {
    if (!fn) throw new Unsupported(`this client cannot do ${req.op}`)
    return fn
  }
  switch (req.op) {
    case 'hello':
      return d.hello()
    case 'metadata':
      return need(d.metadata).call(d, req.topics)
    case 'createTopic':
      return need(d.createTopic).call(d, req.topic, req.partitions, req.configs)
    case 'describeTopic':
      return need(d.describeTopic).call(d, req.topic, req.configKeys)
    case 'deleteTopic':
      return need(d.deleteTopic).call(d, req.topic)
    case 'listTopics':
      return { topics: await need(d.listTopics).call(d) }
    case 'produce':
      return need(d.produce).call(d, req)
    case 'consume':
      return need(d.consume).call(d, req)
    case 'group':
      return need(d.group).call(d, req)
    case 'offsets':
      return need(d.offsets).call(d, req)
    case 'transactions':
      return need(d.transactions).call(d, req)
    default:
      throw new Error(`unknown op ${(req as { op: string }).op}`)
  }
}

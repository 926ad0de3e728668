// Seeded, deterministic fuzzing of the decoders: valid requests of every API and version, then
// bit flips, byte changes, insertions, deletions, truncations and plain random frames. Decoding
// must either succeed or throw DecodeError / UnknownApiError: nothing else, no hang, no huge
// allocation. Then the same kind of frames against a running broker over a few connections;
// afterwards the broker still answers and kafkajs still connects.
import t from 'tap'
import { connect, type Socket } from 'node:net'
import { Kafka, logLevel } from 'kafkajs'
import { DecodeError, Reader, Writer } from './codec/index.js'
import * as generated from './generated/index.js'
import { API_CODECS, ApiKey } from './generated/index.js'
import type { SchemaCodec } from './codec/index.js'
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, frameRequest, UnknownApiError, type ApiKeyNumber } from './protocol.js'
import { allSchemas, fuzzFrame, randomMessage, Rng, validRequestFrame as validRequest } from './random-messages.js'
import { ClientConnection } from '../client/index.js'
import { setLogSink } from '../util/index.js'

const IN_PROCESS_FRAMES = 12000
const BROKER_FRAMES = 2000
const BROKER_LANES = 6
/** A decode of a frame of at most a few KiB that takes longer than this is a hang. */
const SLOW_MS = 250

function classify(fn: () => unknown): 'ok' | 'DecodeError' | 'UnknownApiError' | Error {
  try {
    fn()
    return 'ok'
  } catch (err) {
    if (err instanceof DecodeError) return 'DecodeError'
    if (err instanceof UnknownApiError) return 'UnknownApiError'
    return err as Error
  }
}

t.test('decodeRequest on mutated, truncated and random frames', async t => {
  const rng = new Rng(20240601)
  // A pool of valid frames: every API at every version.
  const pool: Buffer[] = []
  for (const api of API_CODECS.values()) {
    for (let v = api.minVersion; v <= api.maxVersion; v++) pool.push(validRequest(rng, api.apiKey, v))
  }
  for (const f of pool) {
    const r = classify(() => decodeRequest(f))
    if (r !== 'ok') t.fail(`a valid frame fails to decode: ${r}`)
  }
  const outcome = { ok: 0, DecodeError: 0, UnknownApiError: 0 }
  const bad: string[] = []
  let slowest = 0
  for (let i = 0; i < IN_PROCESS_FRAMES; i++) {
    const frame = fuzzFrame(rng, () => rng.pick(pool))
    const start = performance.now()
    const r = classify(() => decodeRequest(frame))
    const ms = performance.now() - start
    if (ms > slowest) slowest = ms
    if (typeof r === 'string') outcome[r]++
    else if (bad.length < 10) bad.push(`frame ${frame.toString('hex').slice(0, 200)}: ${r.stack}`)
    if (ms > SLOW_MS && bad.length < 10) bad.push(`frame of ${frame.length} bytes took ${ms.toFixed(0)} ms`)
  }
  t.same(bad, [], 'only DecodeError or UnknownApiError, never slow')
  t.equal(outcome.ok + outcome.DecodeError + outcome.UnknownApiError, IN_PROCESS_FRAMES, `${IN_PROCESS_FRAMES} frames: ${JSON.stringify(outcome)}`)
  t.ok(outcome.ok > 0 && outcome.DecodeError > 0 && outcome.UnknownApiError > 0, 'every outcome occurs')
  t.ok(slowest < SLOW_MS, `slowest decode ${slowest.toFixed(2)} ms`)
})

t.test('decodeResponse and the metadata / internal-topic schemas on mutated bytes', async t => {
  const rng = new Rng(777)
  const bad: string[] = []
  let n = 0
  for (const api of API_CODECS.values()) {
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      const { input } = randomMessage(`${api.name}Response`, v, rng, { maxArray: 2 })
      const frame = Buffer.concat(encodeResponse(api.apiKey as ApiKeyNumber, v, { correlationId: 1 }, input as never)).subarray(4)
      for (let i = 0; i < 4; i++) {
        const m = fuzzFrame(rng, () => frame)
        const r = classify(() => decodeResponse(api.apiKey as ApiKeyNumber, v, m))
        n++
        if (typeof r !== 'string' && bad.length < 10) bad.push(`${api.name} v${v} response ${m.toString('hex').slice(0, 120)}: ${r.stack}`)
      }
    }
  }
  const codecs = generated as unknown as Record<string, SchemaCodec<unknown>>
  for (const s of allSchemas()) {
    if (s.kind !== 'metadata' && s.kind !== 'data' && s.kind !== 'header') continue
    const codec = codecs[`${s.name}Schema`]
    for (let v = codec.minVersion; v <= codec.maxVersion; v++) {
      const { input } = randomMessage(s.name, v, rng, { maxArray: 2 })
      const wr = new Writer()
      codec.write(wr, v, input)
      const bytes = wr.toBuffer()
      for (let i = 0; i < 8; i++) {
        const m = fuzzFrame(rng, () => bytes)
        const r = classify(() => codec.read(new Reader(m), v))
        n++
        if (typeof r !== 'string' && bad.length < 10) bad.push(`${s.name} v${v} ${m.toString('hex').slice(0, 120)}: ${r.stack}`)
      }
    }
  }
  t.same(bad, [], `${n} mutated responses and records: only DecodeError`)
})

type Outcome = 'answered' | 'silent' | 'closed' | 'timeout'

const MARKER_ID = 0x7eadbeef
/** ApiVersions v0 with a known correlation id, sent behind every fuzzed frame. */
const MARKER = Buffer.concat(frameRequest(encodeRequest(ApiKey.ApiVersions, 0, { correlationId: MARKER_ID, clientId: 'marker' }, {})))

/**
 * A raw connection that sends one fuzzed frame at a time, each followed by a marker request.
 * The marker's answer means the broker has dealt with the frame and still serves the
 * connection: 'answered' if a response came first, 'silent' if none did (Produce with acks=0).
 * Otherwise the broker closed the connection ('closed'), or nothing happened ('timeout').
 */
class Lane {
  private socket: Socket | null = null
  private buf = Buffer.alloc(0)
  private sawResponse = false
  private waiter: ((r: Outcome) => void) | null = null
  readonly counts: Record<Outcome, number> = { answered: 0, silent: 0, closed: 0, timeout: 0 }

  constructor(private readonly port: number) {}

  private async open(): Promise<Socket> {
    const s = connect({ host: 'localhost', port: this.port })
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve)
      s.once('error', reject)
    })
    s.on('error', () => {})
    s.on('data', chunk => {
      this.buf = Buffer.concat([this.buf, chunk])
      while (this.buf.length >= 8 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
        const correlationId = this.buf.readInt32BE(4)
        this.buf = this.buf.subarray(4 + this.buf.readInt32BE(0))
        if (correlationId !== MARKER_ID) this.sawResponse = true
        else this.settle(this.sawResponse ? 'answered' : 'silent')
      }
    })
    s.on('close', () => {
      if (this.socket === s) this.socket = null
      this.settle('closed')
    })
    this.buf = Buffer.alloc(0)
    return s
  }

  private settle(r: Outcome): void {
    const w = this.waiter
    this.waiter = null
    w?.(r)
  }

  async send(frame: Buffer, timeoutMs = 10000): Promise<Outcome> {
    const s = this.socket ?? (this.socket = await this.open())
    const size = Buffer.alloc(4)
    size.writeInt32BE(frame.length, 0)
    this.sawResponse = false
    const done = new Promise<Outcome>(resolve => (this.waiter = resolve))
    s.write(Buffer.concat([size, frame, MARKER]))
    let timer: NodeJS.Timeout | undefined
    const r = await Promise.race([done, new Promise<Outcome>(resolve => (timer = setTimeout(() => resolve('timeout'), timeoutMs)))])
    clearTimeout(timer)
    this.counts[r]++
    if (r === 'timeout') this.close()
    return r
  }

  close(): void {
    this.socket?.destroy()
    this.socket = null
  }
}

t.test('a running broker survives fuzzed frames', async t => {
  const logged: string[] = []
  const prevSink = setLogSink(line => void logged.push(line))
  // Frames in flight when something escapes, so a failure names the input that caused it.
  const inFlight = new Set<number>()
  const uncaught: string[] = []
  const onUncaught = (err: unknown): void =>
    void uncaught.push(`${(err as Error)?.stack ?? String(err)}\n  frames in flight: ${[...inFlight].map(i => frames[i].toString('hex')).join(' ')}`)
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onUncaught)
  // Imported here, not at the top: the in-process fuzzing above needs no broker.
  const { startTempBroker } = await import('../testing/temp-broker.js')
  const broker = await startTempBroker()
  t.teardown(async () => {
    process.off('uncaughtException', onUncaught)
    process.off('unhandledRejection', onUncaught)
    setLogSink(prevSink)
    // Stopping is the broker's own business (and tested there); this test is about serving.
    await broker.destroy().catch(() => {})
  })
  const port = broker.port
  const bystander = await ClientConnection.open('localhost', port)

  const rng = new Rng(99)
  const frames: Buffer[] = []
  // Most bases are requests the broker serves (at versions it serves), so their bodies reach
  // the decoder and the handlers; the rest are any API and version.
  const served = (await bystander.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' })).apiKeys.filter(k =>
    API_CODECS.has(k.apiKey),
  )
  t.ok(served.length > 0, `the broker serves ${served.length} APIs`)
  const base = (): Buffer => {
    if (rng.chance(0.2)) return validRequest(rng)
    const k = rng.pick(served)
    return validRequest(rng, k.apiKey, rng.range(k.minVersion, k.maxVersion))
  }
  for (let i = 0; i < BROKER_FRAMES; i++) frames.push(fuzzFrame(rng, base))
  const lanes = Array.from({ length: BROKER_LANES }, () => new Lane(port))
  const timeouts: number[] = []
  const slow: Array<[number, number]> = []
  let next = 0
  let bystanderOk = 0
  await Promise.all(
    lanes.map(async lane => {
      while (next < frames.length) {
        const i = next++
        inFlight.add(i)
        const started = performance.now()
        if ((await lane.send(frames[i])) === 'timeout') timeouts.push(i)
        slow.push([performance.now() - started, i])
        // Give work the request started (appends, deletes) a moment to fail visibly.
        await new Promise(resolve => setImmediate(resolve))
        inFlight.delete(i)
        if (i % 250 === 0) {
          const res = await bystander.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'bystander', clientSoftwareVersion: '1' })
          if (res.errorCode === 0) bystanderOk++
        }
      }
      lane.close()
    }),
  )
  await new Promise(resolve => setTimeout(resolve, 200))
  slow.sort((a, b) => b[0] - a[0])
  t.comment(`${slow.filter(s => s[0] > 50).length} answers over 50 ms; slowest: ${slow.slice(0, 3).map(([ms, i]) => `${ms.toFixed(0)} ms (API ${frames[i].length >= 4 ? frames[i].readInt16BE(0) : '?'} v${frames[i].length >= 4 ? frames[i].readInt16BE(2) : '?'})`).join(', ')}`)
  const count = (o: Outcome): number => lanes.reduce((n, l) => n + l.counts[o], 0)
  t.same(timeouts.map(i => frames[i].toString('hex').slice(0, 100)), [], 'every frame was dealt with: answered, ignored or closed')
  t.equal(
    count('answered') + count('silent') + count('closed'),
    BROKER_FRAMES,
    `${BROKER_FRAMES} frames: ${count('answered')} answered, ${count('silent')} not answered (connection kept), ${count('closed')} closed the connection`,
  )
  t.ok(count('answered') > 0 && count('closed') > 0, 'answers and closes both occur')
  t.ok(bystanderOk >= BROKER_FRAMES / 250, `a bystander connection was served throughout (${bystanderOk} times)`)
  const internal = logged.filter(l => /internal error|failed:|ERROR/.test(l))
  t.same(internal.slice(0, 5), [], 'no internal errors logged')
  t.same(uncaught, [], 'no uncaught exceptions or unhandled rejections')

  const res = await bystander.send(ApiKey.ApiVersions, 2, {})
  t.equal(res.errorCode, 0, 'the broker still answers')
  bystander.close()
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } })
  const admin = kafka.admin()
  await admin.connect()
  t.pass('kafkajs admin.connect() succeeds afterwards')
  await admin.disconnect()
})

// The load generator behind producer-perf, ceiling and partitions: builds record batches once,
// sends them as pipelined Produce requests and measures throughput and per-record latency.
//
// How the bytes are prepared (so the generator is not what is measured):
//  - one payload of `recordSize` random A-Z bytes (as kafka-producer-perf-test does) for every
//    record; one full batch of `batchRecords` records is built up front, uncompressed or
//    compressed;
//  - a shorter uncompressed batch (throttled runs, the last batch) is a fresh 61-byte header
//    plus a prefix of the full batch's records section: records in a batch are laid out in
//    order, so the first n records of the full batch are exactly a batch of n records;
//  - a request is written as [12-byte prefix with the correlation id, the rest of the request
//    header and body up to the records' length, the batch bytes, trailing tag bytes], one
//    vectored write, the batch bytes themselves never copied. The same batch bytes are resent
//    in every request: a broker assigns offsets by rewriting baseOffset in its own copy.
//
// Latency is per record, from the record's arrival to the acknowledgment of the request that
// carried it. With --throughput, record i arrives at start + i/throughput and waits for a batch
// (linger) and a free in-flight slot; unthrottled, records arrive when a slot frees, so latency
// is the request's round trip under a full pipeline (no accumulator queueing is modelled).

import {
  ApiKey,
  BATCH_HEADER_SIZE,
  BatchField,
  Compression,
  buildBatch,
  crc32c,
  decodeRequest,
  decodeResponse,
  errorName,
  verifyBatchCrc,
} from '../../../src/wire/index.js'
import { RawConnection } from './raw-connection.js'
import { CLIENT_ID, apiVersions, ensureTopic, requireVersion } from './kafka.js'
import { LatencyHistogram, fmt, latencyLine, mib, nowUs, type LatencySummary } from './stats.js'

export const COMPRESSION_NAMES: Record<string, number> = {
  none: Compression.None,
  gzip: Compression.Gzip,
  snappy: Compression.Snappy,
  lz4: Compression.Lz4,
  zstd: Compression.Zstd,
}

export function makePayload(size: number, seed = 42): Buffer {
  const out = Buffer.allocUnsafe(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = 65 + ((x >>> 0) % 26)
  }
  return out
}

function readVarint(buf: Buffer, pos: number): [number, number] {
  let u = 0
  let shift = 0
  for (;;) {
    const b = buf[pos++]!
    u |= (b & 0x7f) << shift
    if (b < 0x80) break
    shift += 7
  }
  return [(u >>> 1) ^ -(u & 1), pos]
}

/** The record batches one run sends: the full one, and shorter ones derived from it. */
export class BatchSource {
  readonly full: Buffer
  private readonly section: Buffer
  /** recordEnd[n] = bytes of the records section holding the first n records (uncompressed). */
  private readonly recordEnd: Int32Array | null
  private readonly partialCache = new Map<number, Buffer>()

  private constructor(
    readonly batchRecords: number,
    readonly recordSize: number,
    readonly compression: number,
    full: Buffer,
    private readonly payload: Buffer,
  ) {
    this.full = full
    this.section = full.subarray(BATCH_HEADER_SIZE)
    if (compression === Compression.None) {
      this.recordEnd = new Int32Array(batchRecords + 1)
      let pos = 0
      for (let i = 0; i < batchRecords; i++) {
        const [len, after] = readVarint(this.section, pos)
        pos = after + len
        this.recordEnd[i + 1] = pos
      }
      if (pos !== this.section.length) throw new Error('record walk did not end at the batch end')
    } else this.recordEnd = null
  }

  /**
   * Sizes the batch like Kafka's batch.size: as many records as fit in `batchBytes`
   * (uncompressed), at least one.
   */
  static async create(opts: { recordSize: number; batchBytes: number; compression: number; maxRecords?: number }): Promise<BatchSource> {
    const payload = makePayload(opts.recordSize)
    // Record overhead: length varint, attributes, timestamp delta, offset delta (≤ 3 bytes),
    // null key, value length varint, header count.
    const perRecord = opts.recordSize + 6 + (opts.recordSize >= 64 ? 1 : 0) + (opts.recordSize >= 8192 ? 1 : 0) + 3
    let n = Math.max(1, Math.floor((opts.batchBytes - BATCH_HEADER_SIZE) / perRecord))
    if (opts.maxRecords) n = Math.max(1, Math.min(n, opts.maxRecords))
    const build = (count: number): Promise<Buffer> =>
      buildBatch({ records: Array.from({ length: count }, () => ({ key: null, value: payload })), compression: opts.compression, baseTimestamp: Date.now() })
    let full = await build(n)
    if (opts.compression === Compression.None) {
      // Grow to fill batchBytes exactly as far as whole records allow.
      while (full.length + perRecord <= opts.batchBytes && (!opts.maxRecords || n < opts.maxRecords)) full = await build(++n)
      while (full.length > opts.batchBytes && n > 1) full = await build(--n)
    }
    return new BatchSource(n, opts.recordSize, opts.compression, full, payload)
  }

  /** The batch of the first `n` records as chunks (header and records, not copied when possible). */
  batch(n: number): Buffer[] | Promise<Buffer[]> {
    if (n === this.batchRecords) return [this.full]
    if (this.recordEnd) {
      const prefixLen = this.recordEnd[n]!
      const header = Buffer.allocUnsafe(BATCH_HEADER_SIZE)
      this.full.copy(header, 0, 0, BATCH_HEADER_SIZE)
      header.writeInt32BE(BATCH_HEADER_SIZE - 12 + prefixLen, BatchField.BatchLength)
      header.writeInt32BE(n - 1, BatchField.LastOffsetDelta)
      header.writeInt32BE(n, BatchField.RecordCount)
      const prefix = this.section.subarray(0, prefixLen)
      const crc = crc32c(prefix, crc32c(header.subarray(BatchField.Attributes)))
      header.writeUInt32BE(crc, BatchField.Crc)
      return [header, prefix]
    }
    const cached = this.partialCache.get(n)
    if (cached) return [cached]
    return buildBatch({
      records: Array.from({ length: n }, () => ({ key: null, value: this.payload })),
      compression: this.compression,
      baseTimestamp: Date.now(),
    }).then(b => {
      if (this.partialCache.size < 1024) this.partialCache.set(n, b)
      return [b]
    })
  }
}

function uvarintBytes(n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  out.push(n)
  return out
}

/** Produce requests (v3-v11) for one topic, one partition per request, hand-encoded. */
export class ProduceEncoder {
  private readonly flexible: boolean
  private readonly fixed: Buffer[] = []
  private readonly trailer: Buffer

  constructor(
    readonly version: number,
    readonly topic: string,
    partitions: number,
    readonly acks: number,
    timeoutMs = 30_000,
    clientId = CLIENT_ID,
  ) {
    if (version < 3 || version > 11) throw new Error(`Produce v${version}: the bench speaks v3-v11`)
    this.flexible = version >= 9
    const f = this.flexible
    const client = Buffer.from(clientId)
    const name = Buffer.from(topic)
    const head: number[] = []
    const i16 = (v: number): void => void head.push((v >> 8) & 0xff, v & 0xff)
    const i32 = (v: number): void => void head.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff)
    i16(client.length)
    head.push(...client)
    if (f) head.push(0) // request header tagged fields
    if (f) head.push(0) // transactionalId: null (compact)
    else i16(-1)
    i16(acks)
    i32(timeoutMs)
    if (f) head.push(...uvarintBytes(2))
    else i32(1)
    if (f) head.push(...uvarintBytes(name.length + 1))
    else i16(name.length)
    head.push(...name)
    if (f) head.push(...uvarintBytes(2))
    else i32(1)
    for (let p = 0; p < partitions; p++) {
      const b = Buffer.from([...head, 0, 0, 0, 0])
      b.writeInt32BE(p, b.length - 4)
      this.fixed.push(b)
    }
    this.trailer = Buffer.from(f ? [0, 0, 0] : [])
  }

  /** The chunks of one request: size prefix and header, body up to the records, records, trailer. */
  chunks(partition: number, correlationId: number, batch: Buffer[]): Buffer[] {
    let recordsLen = 0
    for (const b of batch) recordsLen += b.length
    const fixed = this.fixed[partition]!
    const lenBytes = this.flexible ? uvarintBytes(recordsLen + 1) : null
    const preLen = 12 + fixed.length + (lenBytes ? lenBytes.length : 4)
    const pre = Buffer.allocUnsafe(preLen)
    pre.writeInt32BE(preLen - 4 + recordsLen + this.trailer.length, 0)
    pre.writeInt16BE(ApiKey.Produce, 4)
    pre.writeInt16BE(this.version, 6)
    pre.writeInt32BE(correlationId, 8)
    fixed.copy(pre, 12)
    let pos = 12 + fixed.length
    if (lenBytes) for (const b of lenBytes) pre[pos++] = b
    else pre.writeInt32BE(recordsLen, pos)
    const out = [pre, ...batch]
    if (this.trailer.length) out.push(this.trailer)
    return out
  }

  /** Decodes a request this encoder built with the generic codec and checks every field. */
  selfCheck(source: BatchSource, n: number, batch: Buffer[]): void {
    const frame = Buffer.concat(this.chunks(0, 12345, batch))
    if (frame.readInt32BE(0) !== frame.length - 4) throw new Error('self-check: size prefix is wrong')
    const req = decodeRequest(frame.subarray(4))
    if (req.apiKey !== ApiKey.Produce || req.header.correlationId !== 12345 || req.header.clientId !== CLIENT_ID) throw new Error('self-check: header mismatch')
    const body = req.body as { acks: number; topicData: { name: string; partitionData: { index: number; records: Buffer | null }[] }[] }
    const pd = body.topicData[0]?.partitionData[0]
    if (body.acks !== this.acks || body.topicData[0]?.name !== this.topic || pd?.index !== 0) throw new Error('self-check: body mismatch')
    const records = Buffer.concat(batch)
    if (!pd.records || !pd.records.equals(records)) throw new Error('self-check: records bytes differ')
    if (!verifyBatchCrc(records, 0)) throw new Error(`self-check: batch of ${n} records has a bad CRC`)
    if (records.readInt32BE(BatchField.RecordCount) !== n) throw new Error('self-check: record count')
    void source
  }
}

export interface ProduceOptions {
  host: string
  port: number
  topic: string
  /** Partitions to spread batches over, round-robin (created when the topic is missing). */
  partitions: number
  numRecords: number
  /** Stop issuing after this long (ms); 0 = no limit. */
  durationMs?: number
  recordSize: number
  /** Records per second; -1 = unthrottled. */
  throughput: number
  acks: number
  batchBytes: number
  lingerMs: number
  maxInFlight: number
  compression: string
  /** Produce version; default: the highest of v7-v9 the broker offers. */
  apiVersion?: number
  /** Skip ApiVersions and topic set-up (for the ceiling sinks, which only take Produce). */
  skipSetup?: boolean
  reportingIntervalMs?: number
  /**
   * Records that arrive in the first `warmupMs` of the run are sent and counted but left out of
   * the latency figures (a fresh broker compiles its hot paths then), as EndToEndLatency-style
   * tools skip warm-up messages.
   */
  warmupMs?: number
  log?: (line: string) => void
}

export interface ProduceResult {
  records: number
  seconds: number
  recordsPerSec: number
  /** Payload MiB/s (records × record size), as kafka-producer-perf-test prints. */
  mibPerSec: number
  /** Bytes written to the socket, MiB/s. */
  wireMibPerSec: number
  requests: number
  requestsPerSec: number
  batchRecords: number
  batchBytes: number
  requestBytes: number
  apiVersion: number
  latency: LatencySummary
  /** Leading milliseconds of the run whose records are not in `latency`. */
  warmupMs: number
  errors: Record<string, number>
}

export async function runProducer(o: ProduceOptions): Promise<ProduceResult> {
  const log = o.log ?? ((line: string) => process.stdout.write(line + '\n'))
  const codec = COMPRESSION_NAMES[o.compression]
  if (codec === undefined) throw new Error(`unknown compression ${o.compression}`)
  if (!(o.numRecords > 0) && !(o.durationMs && o.durationMs > 0)) throw new Error('need --num-records or --duration-ms')
  const numRecords = o.numRecords > 0 ? o.numRecords : Number.MAX_SAFE_INTEGER
  const conn = await RawConnection.open(o.host, o.port)
  let version = o.apiVersion ?? 9
  if (!o.skipSetup) {
    const versions = await apiVersions(conn)
    version = o.apiVersion ?? requireVersion(versions, ApiKey.Produce, 7, 9, 'Produce')
    await ensureTopic(conn, versions, o.topic, o.partitions)
  }
  const source = await BatchSource.create({ recordSize: o.recordSize, batchBytes: o.batchBytes, compression: codec })
  const enc = new ProduceEncoder(version, o.topic, o.partitions, o.acks)
  enc.selfCheck(source, source.batchRecords, await source.batch(source.batchRecords))
  if (source.batchRecords > 1) enc.selfCheck(source, 1, await source.batch(1))
  const requestBytes = enc.chunks(0, 1, [source.full]).reduce((a, b) => a + b.length, 0)

  const hist = new LatencyHistogram()
  const errors: Record<string, number> = {}
  let sent = 0
  let acked = 0
  let requests = 0
  let inflight = 0
  let consecutiveErrors = 0
  let rr = 0
  let stopIssuing = false
  let busy = false
  let blocked = false
  let timer: NodeJS.Timeout | null = null
  let timerAt = Infinity
  let fatal: Error | null = null
  // progress window
  let wRecords = 0
  let wLatSum = 0
  let wLatMax = 0
  let wStart = nowUs()
  const throttled = o.throughput > 0
  const stepUs = throttled ? 1e6 / o.throughput : 0
  const lingerUs = o.lingerMs * 1000
  const t0 = nowUs()
  const measuredFromUs = t0 + (o.warmupMs ?? 0) * 1000
  let tEnd = t0
  let finish!: () => void
  const done = new Promise<void>(resolve => (finish = resolve))

  const progress = setInterval(() => {
    const now = nowUs()
    const secs = (now - wStart) / 1e6
    log(
      `${fmt(wRecords)} records sent, ${fmt(wRecords / secs, 1)} records/sec (${(mib(wRecords * o.recordSize) / secs).toFixed(2)} MB/sec), ` +
        `${(wRecords ? wLatSum / wRecords / 1000 : 0).toFixed(1)} ms avg latency, ${(wLatMax / 1000).toFixed(1)} ms max latency.`,
    )
    wRecords = wLatSum = wLatMax = 0
    wStart = now
  }, o.reportingIntervalMs ?? 5000)

  const schedule = (atUs: number): void => {
    if (timer && timerAt <= atUs) return
    if (timer) clearTimeout(timer)
    timerAt = atUs
    timer = setTimeout(() => {
      timer = null
      timerAt = Infinity
      pump()
    }, Math.max(1, (atUs - nowUs()) / 1000))
  }

  const onAck = (frame: Buffer | null, err: Error | undefined, n: number, firstUs: number, step: number): void => {
    const ack = nowUs()
    inflight--
    if (!frame) {
      fatal ??= err ?? new Error('no response')
      stopIssuing = true
    } else {
      let code = 0
      try {
        const res = decodeResponse(ApiKey.Produce, version, frame).body
        for (const t of res.responses) for (const p of t.partitionResponses) if (p.errorCode !== 0) code = p.errorCode
      } catch (e) {
        fatal ??= e as Error
        stopIssuing = true
      }
      if (code !== 0) {
        const name = errorName(code)
        errors[name] = (errors[name] ?? 0) + n
        if (++consecutiveErrors >= 50) {
          fatal ??= new Error(`50 produce requests in a row failed (${name})`)
          stopIssuing = true
        }
      } else {
        consecutiveErrors = 0
        acked += n
        wRecords += n
        if (step === 0) {
          const l = ack - firstUs
          if (firstUs >= measuredFromUs) hist.record(l, n)
          wLatSum += l * n
          if (l > wLatMax) wLatMax = l
        } else {
          // Record i arrived at firstUs + i * step; the ones before the warm-up's end are skipped.
          const from = firstUs >= measuredFromUs ? 0 : Math.min(n, Math.ceil((measuredFromUs - firstUs) / step))
          const first = ack - firstUs
          hist.recordSeries(first - from * step, step, n - from)
          wLatSum += n * first - (step * n * (n - 1)) / 2
          if (first > wLatMax) wLatMax = first
        }
      }
    }
    tEnd = ack
    pump()
  }

  const dispatch = (n: number, batch: Buffer[], firstUs: number, step: number): void => {
    const partition = rr++ % o.partitions
    const id = conn.correlationId()
    const chunks = enc.chunks(partition, id, batch)
    requests++
    if (o.acks === 0) {
      const ok = conn.send(chunks, id, null)
      acked += n
      wRecords += n
      tEnd = nowUs()
      if (!ok) {
        blocked = true
        conn.socket.once('drain', () => {
          blocked = false
          pump()
        })
      }
      return
    }
    inflight++
    conn.send(chunks, id, (frame, err) => onAck(frame, err, n, firstUs, step))
  }

  function pump(): void {
    if (busy || blocked) return
    let now = nowUs()
    if (o.durationMs && now - t0 >= o.durationMs * 1000) stopIssuing = true
    while (!stopIssuing && inflight < o.maxInFlight && sent < numRecords && !blocked) {
      let n: number
      let firstUs: number
      if (throttled) {
        const arrived = Math.min(numRecords, Math.floor((now - t0) / stepUs) + 1)
        const available = arrived - sent
        if (available <= 0) {
          schedule(t0 + sent * stepUs)
          break
        }
        n = Math.min(available, source.batchRecords)
        firstUs = t0 + sent * stepUs
        if (n < source.batchRecords && sent + n < numRecords && now - firstUs < lingerUs) {
          schedule(Math.min(firstUs + lingerUs, t0 + (sent + source.batchRecords - 1) * stepUs))
          break
        }
      } else {
        n = Math.min(source.batchRecords, numRecords - sent)
        firstUs = now
      }
      const batch = source.batch(n)
      sent += n
      if (Array.isArray(batch)) dispatch(n, batch, firstUs, throttled ? stepUs : 0)
      else {
        busy = true
        const f = firstUs
        batch.then(
          b => {
            busy = false
            dispatch(n, b, f, throttled ? stepUs : 0)
            pump()
          },
          e => {
            busy = false
            fatal ??= e as Error
            stopIssuing = true
            pump()
          },
        )
        return
      }
      now = nowUs()
    }
    if (throttled && !stopIssuing && sent < numRecords && o.durationMs) schedule(Math.min(timerAt, t0 + o.durationMs * 1000))
    if ((stopIssuing || sent >= numRecords) && inflight === 0 && !busy) finish()
  }

  pump()
  if (o.acks === 0 && !throttled) {
    // Nothing comes back to drive the loop: keep pumping until done.
    const keep = setInterval(pump, 1)
    await done
    clearInterval(keep)
  } else await done
  clearInterval(progress)
  if (timer) clearTimeout(timer)
  conn.close()
  if (fatal && acked === 0) throw fatal
  if (fatal) log(`stopped early: ${(fatal as Error).message}`)
  const seconds = Math.max(1e-9, (tEnd - t0) / 1e6)
  return {
    records: acked,
    seconds,
    recordsPerSec: acked / seconds,
    mibPerSec: mib(acked * o.recordSize) / seconds,
    wireMibPerSec: mib(conn.bytesOut) / seconds,
    requests,
    requestsPerSec: requests / seconds,
    batchRecords: source.batchRecords,
    batchBytes: source.full.length,
    requestBytes,
    apiVersion: version,
    latency: hist.summaryMs(),
    warmupMs: o.warmupMs ?? 0,
    errors,
  }
}

/**
 * Runs of one stream taken in pieces, as one result: counts and times add up; the latency
 * percentiles are the highest of the pieces' (an upper bound: the histograms are not kept).
 */
export function combineProduceRuns(runs: readonly ProduceResult[]): ProduceResult {
  if (runs.length === 0) throw new Error('no runs to combine')
  const sum = (f: (r: ProduceResult) => number): number => runs.reduce((a, r) => a + f(r), 0)
  const top = (f: (r: ProduceResult) => number): number => Math.max(...runs.map(f))
  const first = runs[0]!
  const records = sum(r => r.records)
  const seconds = sum(r => r.seconds)
  const count = sum(r => r.latency.count)
  const errors: Record<string, number> = {}
  for (const r of runs) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v
  return {
    ...first,
    records,
    seconds,
    recordsPerSec: records / seconds,
    mibPerSec: sum(r => r.mibPerSec * r.seconds) / seconds,
    wireMibPerSec: sum(r => r.wireMibPerSec * r.seconds) / seconds,
    requests: sum(r => r.requests),
    requestsPerSec: sum(r => r.requests) / seconds,
    latency: {
      count,
      avg: count ? Math.round((sum(r => r.latency.avg * r.latency.count) / count) * 1000) / 1000 : NaN,
      p50: top(r => r.latency.p50),
      p95: top(r => r.latency.p95),
      p99: top(r => r.latency.p99),
      p999: top(r => r.latency.p999),
      max: top(r => r.latency.max),
    },
    errors,
  }
}

export function produceSummary(r: ProduceResult, recordSize: number): string {
  const errs = Object.entries(r.errors)
  return (
    `${fmt(r.records)} records sent, ${fmt(r.recordsPerSec, 1)} records/sec (${r.mibPerSec.toFixed(2)} MB/sec), ${latencyLine(r.latency)}` +
    (r.warmupMs > 0 ? ` (records of the first ${fmt(r.warmupMs)} ms left out)` : '') +
    '.\n' +
    `  ${fmt(r.requests)} requests (${fmt(r.requestsPerSec, 1)}/s), ${fmt(r.batchRecords)} records of ${recordSize} B per full batch (${fmt(r.batchBytes)} B), ` +
    `${r.wireMibPerSec.toFixed(2)} MiB/s on the wire, Produce v${r.apiVersion}` +
    (errs.length ? `\n  errors: ${errs.map(([k, v]) => `${k}: ${fmt(v)} records`).join(', ')}` : '')
  )
}

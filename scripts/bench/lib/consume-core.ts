// The reader behind consumer-perf: fetches N records from the beginning of a topic with several
// Fetch requests in flight at once (different partitions, or later offsets of one partition).
//
// An untimed probe fetch first learns the log's layout (records and bytes per batch). The
// offsets to read are then cut into segments of whole fetches (R records, a multiple of the
// batch size that fits --fetch-size) and fetched with up to --max-in-flight requests
// outstanding. Each record is counted once, in the segment holding its offset; a fetch that
// stops short of its segment's end is followed by one from where it stopped, so any layout is
// read correctly, a uniform one (what producer-perf writes) without waste. Every batch's CRC is
// checked unless --verify false.

import { ApiKey, BatchField, decodeResponse, errorName, readInt64Number, verifyBatchCrc } from '../../../src/wire/index.js'
import { RawConnection } from './raw-connection.js'
import { apiVersions, call, describeTopic, ensureTopic, listOffsets, requestChunks, requireVersion, type VersionTable } from './kafka.js'
import { runProducer } from './produce-core.js'
import { fmt, mib, nowUs } from './stats.js'

export interface ConsumeOptions {
  host: string
  port: number
  topic: string
  numRecords: number
  /** Per-partition bytes per fetch (max.partition.fetch.bytes). */
  fetchSize: number
  /** Response bytes per fetch (fetch.max.bytes). */
  maxBytes: number
  maxInFlight: number
  verify: boolean
  apiVersion?: number
  /** Produce what is missing first (records of this size, spread over `partitions`). */
  produceIfNeeded: boolean
  recordSize: number
  partitions: number
  timeoutMs?: number
  log?: (line: string) => void
  /** Called after the untimed set-up (producing, probing), just before the timed reads. */
  beforeTimed?: () => Promise<void>
}

export interface ConsumeResult {
  records: number
  seconds: number
  recordsPerSec: number
  /** MiB/s of record-batch bytes delivered (what a client receives; includes batch and record framing). */
  mibPerSec: number
  fetches: number
  /** Bytes received that belonged to other segments (re-read), as a fraction of all. */
  overfetch: number
  apiVersion: number
  produced: number
}

interface Segment {
  partition: number
  pos: number
  end: number
}

function fetchBody(topic: string, partition: number, offset: number, fetchSize: number, maxBytes: number, maxWaitMs = 500) {
  return {
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: fetchSize, currentLeaderEpoch: -1, logStartOffset: -1 }] }],
    forgottenTopicsData: [],
    rackId: '',
  }
}

/** Walks the complete batches in a records buffer. */
function forEachBatch(records: Buffer, fn: (pos: number, size: number, base: number, last: number, count: number) => void): void {
  let pos = 0
  while (records.length - pos >= 61) {
    const size = 12 + records.readInt32BE(pos + 8)
    if (pos + size > records.length) break
    const base = readInt64Number(records, pos)
    fn(pos, size, base, base + records.readInt32BE(pos + BatchField.LastOffsetDelta), records.readInt32BE(pos + BatchField.RecordCount))
    pos += size
  }
}

export async function fetchVersion(versions: VersionTable, requested?: number): Promise<number> {
  return requested ?? requireVersion(versions, ApiKey.Fetch, 4, 12, 'Fetch')
}

export async function runConsumer(o: ConsumeOptions): Promise<ConsumeResult> {
  const log = o.log ?? ((line: string) => process.stdout.write(line + '\n'))
  const conn = await RawConnection.open(o.host, o.port, 8 * 1024 * 1024)
  const versions = await apiVersions(conn)
  const version = await fetchVersion(versions, o.apiVersion)
  let info = await describeTopic(conn, versions, o.topic)
  if (!info && !o.produceIfNeeded) throw new Error(`topic ${o.topic} does not exist`)
  if (!info) {
    await ensureTopic(conn, versions, o.topic, o.partitions)
    info = await describeTopic(conn, versions, o.topic)
  }
  const parts = info!.partitions
  const earliest = await listOffsets(conn, versions, o.topic, parts, -2)
  let latest = await listOffsets(conn, versions, o.topic, parts, -1)
  let available = latest.reduce((a, l, i) => a + (l - earliest[i]!), 0)
  let produced = 0
  if (available < o.numRecords) {
    if (!o.produceIfNeeded) throw new Error(`topic ${o.topic} holds ${available} records, fewer than ${o.numRecords}`)
    const missing = o.numRecords - available
    log(`# producing ${fmt(missing)} records of ${o.recordSize} B into ${o.topic} first (untimed)`)
    const r = await runProducer({
      host: o.host,
      port: o.port,
      topic: o.topic,
      partitions: parts,
      numRecords: missing,
      recordSize: o.recordSize,
      throughput: -1,
      acks: 1,
      batchBytes: 1024 * 1024,
      lingerMs: 0,
      maxInFlight: 5,
      compression: 'none',
      reportingIntervalMs: 60_000,
      log,
    })
    produced = r.records
    log(`# produced at ${fmt(r.recordsPerSec)} records/s`)
    latest = await listOffsets(conn, versions, o.topic, parts, -1)
    available = latest.reduce((a, l, i) => a + (l - earliest[i]!), 0)
  }

  // Probe the layout (untimed).
  const probe = await call(conn, ApiKey.Fetch, version, fetchBody(o.topic, 0, earliest[0]!, o.fetchSize, o.maxBytes) as never)
  const pd = probe.responses[0]?.partitions[0]
  if (!pd || pd.errorCode !== 0) throw new Error(`probe fetch failed: ${errorName(pd?.errorCode ?? -1)} (top-level ${errorName(probe.errorCode ?? 0)})`)
  let batchRecords = 1
  let batchesPerFetch = 1
  if (pd.records && pd.records.length >= 61) {
    const sizes: number[] = []
    forEachBatch(pd.records, (_pos, size, base, last) => {
      if (sizes.length === 0) batchRecords = last - base + 1
      sizes.push(size)
    })
    batchesPerFetch = Math.max(1, sizes.length)
  }
  const segRecords = batchRecords * batchesPerFetch

  // Plan the ranges: from the start of each partition until numRecords are covered.
  const ranges: { start: number; end: number }[] = []
  let left = o.numRecords
  for (let p = 0; p < parts; p++) {
    const take = Math.min(left, latest[p]! - earliest[p]!)
    ranges.push({ start: earliest[p]!, end: earliest[p]! + take })
    left -= take
  }
  const nextStart = ranges.map(r => r.start)
  const retry: Segment[] = []
  let rrPart = 0
  const nextSegment = (): Segment | null => {
    const r = retry.shift()
    if (r) return r
    for (let i = 0; i < parts; i++) {
      const p = (rrPart + i) % parts
      if (nextStart[p]! < ranges[p]!.end) {
        rrPart = p + 1
        const pos = nextStart[p]!
        const end = Math.min(ranges[p]!.end, pos + segRecords)
        nextStart[p] = end
        return { partition: p, pos, end }
      }
    }
    return null
  }

  let records = 0
  let countedBytes = 0
  let fetches = 0
  let inflight = 0
  let fatal: Error | null = null
  let emptyInARow = 0
  await o.beforeTimed?.()
  const in0 = conn.bytesIn
  const t0 = nowUs()
  let tEnd = t0
  let finish!: () => void
  const done = new Promise<void>(resolve => (finish = resolve))
  const deadline = o.timeoutMs ? t0 + o.timeoutMs * 1000 : Infinity

  const onResponse = (seg: Segment, frame: Buffer | null, err?: Error): void => {
    inflight--
    if (!frame) {
      fatal ??= err ?? new Error('no response')
      return pump()
    }
    try {
      const res = decodeResponse(ApiKey.Fetch, version, frame).body
      if (res.errorCode) throw new Error(`fetch failed: ${errorName(res.errorCode)}`)
      const part = res.responses[0]?.partitions[0]
      if (!part) throw new Error('fetch response without the partition')
      if (part.errorCode !== 0) throw new Error(`fetch ${o.topic}-${seg.partition}@${seg.pos}: ${errorName(part.errorCode)}`)
      let pos = seg.pos
      const recs = part.records
      if (recs && recs.length) {
        forEachBatch(recs, (bpos, size, base, last, count) => {
          if (last < pos || base >= seg.end) return
          if (o.verify && !verifyBatchCrc(recs, bpos)) throw new Error(`CRC mismatch in batch at offset ${base} of ${o.topic}-${seg.partition}`)
          const from = Math.max(base, pos)
          const to = Math.min(last, seg.end - 1)
          const n = from === base && to === last ? count : to - from + 1
          records += n
          countedBytes += from === base && to === last ? size : (size * n) / Math.max(1, count)
          pos = to + 1
        })
      }
      if (pos === seg.pos) {
        if (++emptyInARow > 100) throw new Error(`no progress reading ${o.topic}-${seg.partition} at ${seg.pos} (high watermark ${part.highWatermark})`)
      } else emptyInARow = 0
      if (pos < seg.end) retry.unshift({ partition: seg.partition, pos, end: seg.end })
    } catch (e) {
      fatal ??= e as Error
    }
    tEnd = nowUs()
    pump()
  }

  function pump(): void {
    if (fatal || nowUs() > deadline) {
      if (!fatal) fatal = new Error(`timed out after ${o.timeoutMs} ms`)
      if (inflight === 0) finish()
      return
    }
    while (inflight < o.maxInFlight) {
      const seg = nextSegment()
      if (!seg) break
      const id = conn.correlationId()
      inflight++
      fetches++
      conn.send(requestChunks(ApiKey.Fetch, version, id, fetchBody(o.topic, seg.partition, seg.pos, o.fetchSize, o.maxBytes) as never), id, (f, e) =>
        onResponse(seg, f, e),
      )
    }
    if (inflight === 0) finish()
  }
  pump()
  await done
  conn.close()
  if (fatal) throw fatal
  const seconds = Math.max(1e-9, (tEnd - t0) / 1e6)
  const received = conn.bytesIn - in0
  return {
    records,
    seconds,
    recordsPerSec: records / seconds,
    mibPerSec: mib(countedBytes) / seconds,
    fetches,
    overfetch: received > 0 ? Math.max(0, 1 - countedBytes / received) : 0,
    apiVersion: version,
    produced,
  }
}

export function consumeSummary(r: ConsumeResult): string {
  return (
    `${fmt(r.records)} records in ${r.seconds.toFixed(3)} s: ${fmt(r.recordsPerSec, 1)} records/sec, ${r.mibPerSec.toFixed(2)} MB/sec of record batches, ` +
    `${fmt(r.fetches)} fetches (${fmt(r.fetches / r.seconds, 1)}/s, Fetch v${r.apiVersion}), ${(r.overfetch * 100).toFixed(1)}% of received bytes were framing or re-read`
  )
}

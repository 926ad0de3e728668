/**
 * The log cleaner (compaction): keeps the latest record per key in the segments
 * below the active one. Offsets never change: a rewritten batch keeps its base
 * offset, producer fields and last offset. Tombstones (and transaction markers)
 * get a delete horizon (KIP-534: attribute bit 6, baseTimestamp = horizon) the
 * first time they are cleaned and are dropped by a later clean after it. Records
 * of aborted transactions are dropped. Cleaned segments are swapped in crash-safely
 * (see swap.ts and Log.replaceSegments).
 */
import { BatchField, buildBatch, buildBatchSync, decodeBatchRecords, type Record as WireRecord } from '../wire/index.js'
import { type Clock, type Logger, LONG_MAX, systemClock } from './config.js'
import type { Log } from './log.js'
import { readMarker } from './control-markers.js'
import type { ScannedBatch } from './scanner.js'
import { CLEANED_SUFFIX, LogSegment, sliceOf, type AppendBatchInfo } from './segment.js'
import { floorSegmentIndex } from './segment-list.js'

const INT32_MAX = 0x7fffffff
const OUT_BUFFER_SIZE = 1 << 20

export interface CleanerStats {
  logsCleaned: number
  segmentsRewritten: number
  bytesRead: number
  bytesWritten: number
  recordsRemoved: number
}

export interface CleanResult {
  /** The new first dirty offset (for cleaner-offset-checkpoint). */
  firstDirtyOffset: number
  stats: CleanerStats
}

export interface CleanerOptions {
  logger?: Logger
  clock?: Clock
  /** Most distinct keys mapped per pass; the dirty range is cut at a segment boundary past this. */
  maxMapEntries?: number
}

/** What decides whether the log needs cleaning now. */
export interface CleanableInfo {
  firstDirtyOffset: number
  /** Exclusive end of the whole segments that may be cleaned. */
  endOffset: number
  cleanBytes: number
  dirtyBytes: number
  dirtyRatio: number
  reason: 'ratio' | 'max-lag' | 'delete-horizon' | 'forced' | null
}

interface AbortedRange {
  producerId: number
  first: number
  last: number
}

export class LogCleaner {
  private readonly logger: Logger
  private readonly clock: Clock
  private readonly maxMapEntries: number

  constructor(opts: CleanerOptions = {}) {
    this.logger = opts.logger ?? { info() {}, warn() {}, error() {} }
    this.clock = opts.clock ?? systemClock
    this.maxMapEntries = opts.maxMapEntries ?? 2_000_000
  }

  /** Works out the cleanable range and whether it should be cleaned now. */
  async cleanable(log: Log, checkpointedDirty: number | undefined, force = false): Promise<CleanableInfo | null> {
    const now = this.clock.now()
    const cfg = log.config
    const segs = log.segmentList
    if (segs.length < 2) return null
    let firstDirty = checkpointedDirty ?? log.logStartOffset
    if (firstDirty < log.logStartOffset || firstDirty > log.logEndOffset) firstDirty = log.logStartOffset
    let uncleanable = log.activeSegment.baseOffset
    const fuo = log.producerState.firstUnstableOffset()
    if (fuo !== undefined) uncleanable = Math.min(uncleanable, fuo)
    if (cfg.minCompactionLagMs > 0) {
      for (let i = 0; i < segs.length - 1; i++) {
        const s = segs[i]!
        if (segs[i + 1]!.baseOffset <= firstDirty) continue
        if ((await s.getLargestTimestamp()) > now - cfg.minCompactionLagMs) {
          uncleanable = Math.min(uncleanable, s.baseOffset)
          break
        }
      }
    }
    let last = -1
    for (let i = 0; i < segs.length - 1; i++) {
      if (segs[i + 1]!.baseOffset <= uncleanable) last = i
      else break
    }
    if (last < 0) return null
    const endOffset = segs[last + 1]!.baseOffset
    let cleanBytes = 0
    let dirtyBytes = 0
    for (let i = 0; i <= last; i++) {
      const s = segs[i]!
      const size = await s.getSize()
      if (segs[i + 1]!.baseOffset <= firstDirty) cleanBytes += size
      else dirtyBytes += size
    }
    const total = cleanBytes + dirtyBytes
    const dirtyRatio = total > 0 ? dirtyBytes / total : 0
    let reason: CleanableInfo['reason'] = null
    if (force && (dirtyBytes > 0 || firstDirty < endOffset)) reason = 'forced'
    else if (dirtyBytes > 0 && dirtyRatio >= cfg.minCleanableDirtyRatio) reason = 'ratio'
    else if (log.latestDeleteHorizon >= 0 && log.latestDeleteHorizon <= now) reason = 'delete-horizon'
    else if (dirtyBytes > 0 && cfg.maxCompactionLagMs < LONG_MAX) {
      const info = firstDirty < endOffset ? await segs[floorSegmentIndex(segs, firstDirty)]!.translateOffset(firstDirty) : null
      if (info && info.maxTimestamp >= 0 && info.maxTimestamp < now - cfg.maxCompactionLagMs) reason = 'max-lag'
    }
    return { firstDirtyOffset: firstDirty, endOffset, cleanBytes, dirtyBytes, dirtyRatio, reason }
  }

  /** Cleans the log if it needs it (or `force`); null when nothing was done. */
  async clean(log: Log, checkpointedDirty: number | undefined, force = false): Promise<CleanResult | null> {
    const info = await this.cleanable(log, checkpointedDirty, force)
    if (!info || info.reason === null) return null
    return this.doClean(log, info)
  }

  private async doClean(log: Log, info: CleanableInfo): Promise<CleanResult | null> {
    const now = this.clock.now()
    const cfg = log.config
    const segs = log.segmentList
    const stats: CleanerStats = { logsCleaned: 1, segmentsRewritten: 0, bytesRead: 0, bytesWritten: 0, recordsRemoved: 0 }
    let lastIdx = floorSegmentIndex(segs, info.endOffset - 1)
    let mapEnd = info.endOffset

    // 1. Offset map over the dirty range: key -> latest offset (committed or non-transactional records only).
    const map = new Map<string, number>()
    const aborted: AbortedRange[] = []
    const pendingTxn = new Map<number, { first: number; keys: Array<[string, number]> }>()
    const firstDirtyIdx = Math.max(0, floorSegmentIndex(segs, info.firstDirtyOffset))
    if (info.firstDirtyOffset < info.endOffset) {
      for (let i = firstDirtyIdx; i <= lastIdx; i++) {
        const seg = segs[i]!
        const startPos = seg.baseOffset >= info.firstDirtyOffset ? 0 : ((await seg.translateOffset(info.firstDirtyOffset))?.position ?? seg.size)
        await seg.scan(startPos, async (b) => {
          if (b.lastOffset < info.firstDirtyOffset) return true
          stats.bytesRead += b.size
          const control = (b.attributes & 0x20) !== 0
          const txn = (b.attributes & 0x10) !== 0
          if (control) {
            if (b.producerId < 0) return true
            const marker = readMarker(b)
            const p = pendingTxn.get(b.producerId)
            if (marker && p) {
              if (marker.isAbort) aborted.push({ producerId: b.producerId, first: p.first, last: b.baseOffset })
              else for (const [k, o] of p.keys) map.set(k, o)
              pendingTxn.delete(b.producerId)
            }
            return true
          }
          const records = await decode(b)
          if (txn && b.producerId >= 0) {
            let p = pendingTxn.get(b.producerId)
            if (!p) {
              p = { first: b.baseOffset, keys: [] }
              pendingTxn.set(b.producerId, p)
            }
            for (const r of records) if (r.key) p.keys.push([r.key.toString('latin1'), r.offset])
          } else {
            for (const r of records) if (r.key) map.set(r.key.toString('latin1'), r.offset)
          }
          return true
        })
        if (map.size >= this.maxMapEntries && i < lastIdx) {
          lastIdx = i
          mapEnd = segs[i + 1]!.baseOffset
          break
        }
      }
      if (pendingTxn.size > 0) {
        // A transaction whose marker lies beyond the range: stop before the segment where it starts.
        let earliest = Infinity
        for (const p of pendingTxn.values()) earliest = Math.min(earliest, p.first)
        if (earliest < mapEnd) {
          const k = floorSegmentIndex(segs, earliest)
          lastIdx = Math.min(lastIdx, k - 1)
          mapEnd = segs[k]!.baseOffset
        }
      }
    }
    if (lastIdx < 0) return null

    // 2. Rewrite the segments from the start of the log to lastIdx, in groups that fit one segment.
    const groups: LogSegment[][] = []
    let group: LogSegment[] = []
    let groupBytes = 0
    for (let i = 0; i <= lastIdx; i++) {
      const s = segs[i]!
      const size = await s.getSize()
      const end = segs[i + 1]!.baseOffset
      if (group.length > 0 && (groupBytes + size > cfg.segmentBytes || end - 1 - group[0]!.baseOffset > INT32_MAX)) {
        groups.push(group)
        group = []
        groupBytes = 0
      }
      group.push(s)
      groupBytes += size
    }
    if (group.length) groups.push(group)

    let latestHorizon = -1
    const isAborted = (pid: number, offset: number): boolean => aborted.some((a) => a.producerId === pid && a.first <= offset && offset < a.last)
    const isLastBatchOfProducer = (b: ScannedBatch): boolean => {
      if (b.producerId < 0) return false
      const e = log.producerState.lastEntry(b.producerId)
      if (!e) return false
      const lastData = e.lastDataOffset
      if (lastData >= 0) return b.lastOffset === lastData && (b.attributes & 0x20) === 0
      return (b.attributes & 0x20) !== 0 && b.producerEpoch === e.producerEpoch
    }

    for (const g of groups) {
      const idxAfter = segs.indexOf(g[g.length - 1]!) + 1
      const groupEnd = segs[idxAfter]!.baseOffset
      const cleaned = await LogSegment.create(log.segmentContext, log.dir, g[0]!.baseOffset, CLEANED_SUFFIX)
      const out = Buffer.allocUnsafe(OUT_BUFFER_SIZE)
      let outLen = 0
      let outInfos: AppendBatchInfo[] = []
      const flushOut = async (): Promise<void> => {
        if (outLen === 0) return
        await cleaned.append(out.subarray(0, outLen), outInfos, false)
        stats.bytesWritten += outLen
        outLen = 0
        outInfos = []
      }
      const emit = async (bytes: Buffer, lastOffset: number, maxTimestamp: number): Promise<void> => {
        if (bytes.length > OUT_BUFFER_SIZE) {
          await flushOut()
          await cleaned.append(bytes, [{ size: bytes.length, lastOffset, maxTimestamp }], false)
          stats.bytesWritten += bytes.length
          return
        }
        if (outLen + bytes.length > OUT_BUFFER_SIZE) await flushOut()
        bytes.copy(out, outLen)
        outLen += bytes.length
        outInfos.push({ size: bytes.length, lastOffset, maxTimestamp })
      }
      try {
        for (const seg of g) {
          await seg.scan(0, async (b) => {
            const res = await this.filterBatch(b, { map, now, deleteRetentionMs: cfg.deleteRetentionMs, isAborted, isLastBatchOfProducer })
            stats.recordsRemoved += res.removed
            if (res.horizon >= 0) latestHorizon = Math.max(latestHorizon, res.horizon)
            if (res.bytes) await emit(res.bytes, b.lastOffset, res.maxTimestamp)
            return true
          })
        }
        await flushOut()
        for (const seg of g) for (const e of await seg.abortedTxns()) await cleaned.addAbortedTxn(e)
        await cleaned.onBecomeInactive()
        await log.replaceSegments(cleaned, g, groupEnd)
        stats.segmentsRewritten += g.length
      } catch (e) {
        await cleaned.deleteFiles().catch(() => {})
        throw e
      }
    }
    log.latestDeleteHorizon = latestHorizon
    this.logger.info(
      `${log.name}: cleaned ${stats.segmentsRewritten} segment(s) up to offset ${mapEnd}: ${stats.recordsRemoved} record(s) removed, ` +
        `${map.size} key(s) in the dirty range (dirty ratio ${info.dirtyRatio.toFixed(2)}, ${info.reason})`,
    )
    return { firstDirtyOffset: mapEnd, stats }
  }

  /**
   * Decides one batch: the original bytes, a rewritten batch (records removed
   * and/or a delete horizon stamped), an empty batch kept for producer state, or
   * nothing.
   */
  private async filterBatch(
    b: ScannedBatch,
    c: {
      map: Map<string, number>
      now: number
      deleteRetentionMs: number
      isAborted: (pid: number, offset: number) => boolean
      isLastBatchOfProducer: (b: ScannedBatch) => boolean
    },
  ): Promise<{ bytes: Buffer | null; removed: number; horizon: number; maxTimestamp: number }> {
    const attrs = b.attributes
    const control = (attrs & 0x20) !== 0
    const txn = (attrs & 0x10) !== 0
    const hasHorizon = (attrs & 0x40) !== 0
    const horizon = hasHorizon ? b.baseTimestamp : -1
    const original = (): Buffer => Buffer.from(b.buf.subarray(b.bufPos, b.bufPos + b.size))
    const lastOfProducer = c.isLastBatchOfProducer(b)

    if (control) {
      if (lastOfProducer) return { bytes: original(), removed: 0, horizon, maxTimestamp: b.maxTimestamp }
      if (hasHorizon && horizon <= c.now) return { bytes: null, removed: b.recordCount, horizon: -1, maxTimestamp: -1 }
      if (hasHorizon) return { bytes: original(), removed: 0, horizon, maxTimestamp: b.maxTimestamp }
      const newHorizon = c.now + c.deleteRetentionMs
      const records = await decode(b)
      return { bytes: await this.rebuild(b, records, newHorizon), removed: 0, horizon: newHorizon, maxTimestamp: b.maxTimestamp }
    }

    const records = txn && b.producerId >= 0 && c.isAborted(b.producerId, b.baseOffset) ? null : await decode(b)
    const retained: WireRecord[] = []
    if (records) {
      for (const r of records) {
        if (r.key === null) continue
        const found = c.map.get(r.key.toString('latin1')) ?? -1
        if (r.offset < found) continue
        if (r.value === null && hasHorizon && horizon <= c.now) continue
        retained.push(r)
      }
    }
    const removed = b.recordCount - retained.length
    if (retained.length === 0) {
      if (lastOfProducer) return { bytes: emptyBatchLike(b), removed, horizon: -1, maxTimestamp: b.maxTimestamp }
      return { bytes: null, removed, horizon: -1, maxTimestamp: -1 }
    }
    const tombstones = retained.some((r) => r.value === null)
    const needHorizon = tombstones && !hasHorizon
    if (removed === 0 && !needHorizon) {
      return { bytes: original(), removed: 0, horizon: tombstones ? horizon : -1, maxTimestamp: b.maxTimestamp }
    }
    const newHorizon = needHorizon ? c.now + c.deleteRetentionMs : horizon
    const bytes = await this.rebuild(b, retained, newHorizon)
    const maxTimestamp = bytes.readInt32BE(BatchField.MaxTimestamp) * 4294967296 + bytes.readUInt32BE(BatchField.MaxTimestamp + 4)
    return { bytes, removed, horizon: tombstones ? newHorizon : -1, maxTimestamp }
  }

  /** A batch with the same offsets and producer fields holding `records` (and a delete horizon when >= 0). */
  private async rebuild(b: ScannedBatch, records: WireRecord[], horizon: number): Promise<Buffer> {
    const logAppendTime = (b.attributes & 0x08) !== 0
    return buildBatch({
      baseOffset: b.baseOffset,
      partitionLeaderEpoch: b.partitionLeaderEpoch,
      baseTimestamp: horizon >= 0 ? horizon : b.baseTimestamp,
      compression: b.attributes & 0x07,
      timestampType: logAppendTime ? 1 : 0,
      producerId: b.producerId,
      producerEpoch: b.producerEpoch,
      baseSequence: b.baseSequence,
      transactional: (b.attributes & 0x10) !== 0,
      control: (b.attributes & 0x20) !== 0,
      deleteHorizon: horizon >= 0,
      maxTimestamp: logAppendTime ? b.maxTimestamp : undefined,
      lastOffsetDelta: b.lastOffsetDelta,
      records: records.map((r) => ({
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp: logAppendTime ? b.baseTimestamp + r.timestampDelta : r.timestamp,
        offsetDelta: r.offset - b.baseOffset,
      })),
    })
  }
}

/** Kafka's RETAIN_EMPTY: a header-only batch with the same offsets and producer fields. */
function emptyBatchLike(b: ScannedBatch): Buffer {
  return buildBatchSync({
    baseOffset: b.baseOffset,
    partitionLeaderEpoch: b.partitionLeaderEpoch,
    baseTimestamp: b.maxTimestamp,
    maxTimestamp: b.maxTimestamp,
    timestampType: (b.attributes & 0x08) !== 0 ? 1 : 0,
    producerId: b.producerId,
    producerEpoch: b.producerEpoch,
    baseSequence: b.baseSequence,
    transactional: (b.attributes & 0x10) !== 0,
    control: (b.attributes & 0x20) !== 0,
    lastOffsetDelta: b.lastOffsetDelta,
    records: [],
  })
}

async function decode(b: ScannedBatch): Promise<WireRecord[]> {
  const { buf, slice } = sliceOf(b)
  return decodeBatchRecords(buf, slice)
}

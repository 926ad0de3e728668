/**
 * Reading a log: whole batches from an offset, offsets by timestamp, and the
 * aborted transactions a read_committed fetch needs. Reads never take the
 * append queue; they work on the segment list of the moment (copy-on-write).
 */
import { ErrorCode, KafkaError } from '../wire/index.js'
import { isNotFound } from './fsutil.js'
import type { AbortedTxn, LogSegment } from './segment.js'
import { floorSegmentIndex } from './segment-list.js'

export interface ReadResult {
  /** Whole batches, possibly empty. */
  records: Buffer
  /** Base offset of the first batch (-1 if none). */
  firstOffset: number
  /** Offset after the last batch returned (the requested offset when none). */
  nextOffset: number
  logStartOffset: number
  logEndOffset: number
  highWatermark: number
}

export interface TimestampOffset {
  offset: number
  timestamp: number
  /** Leader epoch of the batch holding the offset (-1 when unknown). */
  leaderEpoch: number
}

/** What a read looks at, taken afresh on every attempt. */
export interface ReadableLog {
  readonly name: string
  readonly logStartOffset: number
  readonly logEndOffset: number
  readonly highWatermark: number
  readonly segmentList: readonly LogSegment[]
}

/**
 * Whole batches from the one holding `offset`, at most maxBytes (at least one
 * batch with minOneMessage), none at or past upperBound (default: log end).
 * Throws KafkaError OFFSET_OUT_OF_RANGE outside [logStartOffset, logEndOffset].
 */
export async function readLog(log: ReadableLog, offset: number, maxBytes: number, upperBound: number | undefined, minOneMessage: boolean): Promise<ReadResult> {
  for (let attempt = 0; ; attempt++) {
    const logStart = log.logStartOffset
    const leo = log.logEndOffset
    if (offset < logStart || offset > leo) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `Received request for offset ${offset} for partition ${log.name}, but we only have log segments in the range ${logStart} to ${leo}.`,
      )
    }
    const upper = Math.min(upperBound ?? leo, leo)
    const empty: ReadResult = {
      records: Buffer.alloc(0),
      firstOffset: -1,
      nextOffset: offset,
      logStartOffset: logStart,
      logEndOffset: leo,
      highWatermark: log.highWatermark,
    }
    if (offset >= upper) return empty
    const segs = log.segmentList
    try {
      let i = floorSegmentIndex(segs, offset)
      if (i < 0) i = 0
      for (; i < segs.length; i++) {
        const r = await segs[i]!.read(offset, maxBytes, upper, minOneMessage)
        if (r === null) continue
        if (r.records.length === 0) return empty
        return { ...empty, records: r.records, firstOffset: r.firstOffset, nextOffset: r.nextOffset }
      }
      return empty
    } catch (e) {
      // A segment deleted (retention, cleaning) while we read: try again with the current list.
      if (isNotFound(e) && attempt < 3) continue
      throw e
    }
  }
}

/** The first offset at or after logStart whose record timestamp is >= ts (Kafka's ListOffsets by time), or null. */
export async function offsetForTimestamp(segs: readonly LogSegment[], ts: number, logStart: number): Promise<TimestampOffset | null> {
  for (const s of segs) {
    if ((await s.getLargestTimestamp()) < ts) continue
    const hit = await s.findOffsetByTimestamp(ts, logStart)
    if (hit) return hit
  }
  return null
}

/** The record with the largest timestamp (ListOffsets -3), or null for an empty log. */
export async function maxTimestampOffset(segs: readonly LogSegment[]): Promise<TimestampOffset | null> {
  let best: LogSegment | null = null
  let bestTs = -1
  for (const s of segs) {
    await s.load()
    if (s.maxTimestampSoFar > bestTs) {
      bestTs = s.maxTimestampSoFar
      best = s
    }
  }
  if (!best) return null
  return best.maxTimestampRecord()
}

/**
 * Aborted transactions a read_committed fetch of [startOffset, upperBound) must
 * know about (FetchResponse aborted_transactions): entries whose marker is at or
 * after startOffset and whose first offset is below upperBound.
 */
export async function collectAbortedTransactions(segs: readonly LogSegment[], startOffset: number, upperBound: number): Promise<AbortedTxn[]> {
  const out: AbortedTxn[] = []
  for (let i = Math.max(0, floorSegmentIndex(segs, startOffset)); i < segs.length; i++) {
    const entries = await segs[i]!.abortedTxns()
    let complete = false
    for (const e of entries) {
      if (e.lastOffset >= startOffset && e.firstOffset < upperBound) out.push({ ...e })
      if (e.lastStableOffset >= upperBound) complete = true
    }
    if (complete) break
  }
  return out
}

/**
 * The log's side of producer state: checking an append's batches against it
 * (retried duplicates, sequences, epochs, transaction markers) before the
 * write, committing the changes after it, and rebuilding it from a snapshot
 * plus the log when the log is opened or truncated.
 */
import type { BatchSlice } from '../wire/index.js'
import { readMarker, readMarkerFromSlice } from './control-markers.js'
import type { LoadStats } from './log-recovery.js'
import {
  type AppendOrigin,
  type BatchMetadata,
  type CompletedTxn,
  type ProducerAppendInfo,
  type ProducerStateManager,
  incrementSequence,
} from './producer-state.js'
import type { LogSegment } from './segment.js'
import { floorSegmentIndex } from './segment-list.js'

/** What an append does to producer state: nothing but answer as a retried duplicate, or these updates. */
export type ProducerAppendPlan =
  | { duplicate: BatchMetadata }
  | { duplicate: null; pending: ReadonlyMap<number, ProducerAppendInfo>; completed: readonly CompletedTxn[] }

// Most appends come from producers without an id: their plan is this one, not a new Map and array each.
const NO_PENDING: ReadonlyMap<number, ProducerAppendInfo> = new Map()
const NO_COMPLETED: readonly CompletedTxn[] = Object.freeze([])

const CONTROL = 0x20

/**
 * Checks the (numbered) batches of an append against producer state without
 * changing it. A client's batch that repeats one of the producer's retained
 * batches makes the whole append a duplicate. Throws KafkaError.
 */
export function planProducerAppend(state: ProducerStateManager, records: Buffer, slices: readonly BatchSlice[], origin: AppendOrigin): ProducerAppendPlan {
  let pending: Map<number, ProducerAppendInfo> | null = null
  let completed: CompletedTxn[] | null = null
  for (const s of slices) {
    const h = s.header
    if (h.producerId < 0) continue
    const isControl = (h.attributes & CONTROL) !== 0
    if (origin === 'client' && !isControl) {
      const entry = state.lastEntry(h.producerId)
      const dup = entry?.findDuplicateBatch(h.producerEpoch, h.baseSequence, incrementSequence(h.baseSequence, h.lastOffsetDelta))
      if (dup) return { duplicate: dup }
    }
    pending ??= new Map()
    let info = pending.get(h.producerId)
    if (!info) {
      info = state.prepareUpdate(h.producerId, origin)
      pending.set(h.producerId, info)
    }
    const c = info.appendBatch(h, isControl ? readMarkerFromSlice(records, s) : null)
    if (c) (completed ??= []).push(c)
  }
  return { duplicate: null, pending: pending ?? NO_PENDING, completed: completed ?? NO_COMPLETED }
}

/** Commits a plan once its batches are written (up to `nextOffset`); aborted transactions go to `active`'s transaction index. */
/** Commits the plan; a promise only when an aborted transaction's index entry must be written. */
export function commitProducerAppend(
  state: ProducerStateManager,
  plan: Extract<ProducerAppendPlan, { duplicate: null }>,
  active: LogSegment,
  nextOffset: number,
): Promise<void> | undefined {
  for (const info of plan.pending.values()) state.update(info)
  if (plan.completed.length === 0) {
    state.updateMapEndOffset(nextOffset)
    return undefined
  }
  return completeTxns(state, plan, active, nextOffset)
}

async function completeTxns(
  state: ProducerStateManager,
  plan: Extract<ProducerAppendPlan, { duplicate: null }>,
  active: LogSegment,
  nextOffset: number,
): Promise<void> {
  for (const c of plan.completed) {
    const lso = state.lastStableOffset(c)
    if (c.isAborted) {
      await active.addAbortedTxn({ producerId: c.producerId, firstOffset: c.firstOffset, lastOffset: c.lastOffset, lastStableOffset: lso })
    }
    state.completeTxn(c)
  }
  state.updateMapEndOffset(nextOffset)
}

/** Loads the newest producer snapshot in [logStart, logEnd] and replays the log from there to the end. */
export async function rebuildProducerState(
  state: ProducerStateManager,
  segments: readonly LogSegment[],
  logStart: number,
  logEnd: number,
  now: number,
  stats: LoadStats,
): Promise<void> {
  const snap = await state.loadFromSnapshot(logStart, logEnd, now)
  const from = snap ?? logStart
  if (from < logEnd) await replayProducerState(state, segments, from, logEnd, stats)
  state.updateMapEndOffset(logEnd)
}

async function replayProducerState(state: ProducerStateManager, segments: readonly LogSegment[], from: number, to: number, stats: LoadStats): Promise<void> {
  for (let i = Math.max(0, floorSegmentIndex(segments, from)); i < segments.length; i++) {
    const seg = segments[i]!
    const pos = seg.baseOffset >= from ? 0 : (await seg.translateOffset(from))?.position
    if (pos === undefined) continue
    let done = false
    await seg.scan(pos, async (b) => {
      if (b.baseOffset >= to) {
        done = true
        return false
      }
      if (b.lastOffset < from) return true
      stats.producerReplayBatches++
      const c = state.replayBatch(b, b.producerId >= 0 && (b.attributes & CONTROL) !== 0 ? readMarker(b) : null)
      if (c && c.txn.isAborted) {
        await seg.addAbortedTxn({ producerId: c.txn.producerId, firstOffset: c.txn.firstOffset, lastOffset: c.txn.lastOffset, lastStableOffset: c.lastStableOffset })
      }
      return true
    })
    if (done) break
  }
}

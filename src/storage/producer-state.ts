/**
 * Producer state for idempotence and transactions (Kafka's ProducerStateManager):
 * per producer id the epoch, the metadata of its last 5 batches, the last
 * timestamp, the coordinator epoch and the first offset of its open transaction.
 * Snapshots use Kafka's `<offset>.snapshot` format (version 1, CRC-32C).
 */
import fs from 'node:fs'
import path from 'node:path'
import { ErrorCode, KafkaError, crc32c, readInt64Number, writeInt64Number } from '../wire/index.js'
import type { Logger } from './config.js'
import { atomicWriteFile, readFileOrNull, unlinkIfExists } from './fsutil.js'
import { SNAPSHOT_SUFFIX, offsetFileName, offsetFromFileName } from './segment.js'

export const NUM_BATCHES_TO_RETAIN = 5
const INT32_MAX = 0x7fffffff
const SNAPSHOT_VERSION = 1
const SNAPSHOT_ENTRY_SIZE = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8

export type AppendOrigin = 'client' | 'coordinator' | 'replication'

/** Kafka's DefaultRecordBatch.incrementSequence. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1
  return sequence + increment
}

/** Kafka's DefaultRecordBatch.decrementSequence. */
export function decrementSequence(sequence: number, decrement: number): number {
  if (sequence < decrement) return INT32_MAX - (decrement - sequence) + 1
  return sequence - decrement
}

export interface BatchMetadata {
  lastSeq: number
  lastOffset: number
  offsetDelta: number
  timestamp: number
}

export function firstSeqOf(m: BatchMetadata): number {
  return decrementSequence(m.lastSeq, m.offsetDelta)
}
export function firstOffsetOf(m: BatchMetadata): number {
  return m.lastOffset - m.offsetDelta
}

export class ProducerStateEntry {
  batchMetadata: BatchMetadata[] = []

  constructor(
    readonly producerId: number,
    public producerEpoch = -1,
    public coordinatorEpoch = -1,
    public lastTimestamp = -1,
    public currentTxnFirstOffset = -1,
  ) {}

  get isEmpty(): boolean {
    return this.batchMetadata.length === 0
  }
  get lastSeq(): number {
    return this.batchMetadata.length ? this.batchMetadata[this.batchMetadata.length - 1]!.lastSeq : -1
  }
  get firstSeq(): number {
    return this.batchMetadata.length ? firstSeqOf(this.batchMetadata[0]!) : -1
  }
  get lastDataOffset(): number {
    return this.batchMetadata.length ? this.batchMetadata[this.batchMetadata.length - 1]!.lastOffset : -1
  }
  get lastOffsetDelta(): number {
    return this.batchMetadata.length ? this.batchMetadata[this.batchMetadata.length - 1]!.offsetDelta : 0
  }

  clone(): ProducerStateEntry {
    const e = new ProducerStateEntry(this.producerId, this.producerEpoch, this.coordinatorEpoch, this.lastTimestamp, this.currentTxnFirstOffset)
    e.batchMetadata = this.batchMetadata.map((m) => ({ ...m }))
    return e
  }

  maybeUpdateProducerEpoch(epoch: number): boolean {
    if (this.producerEpoch !== epoch) {
      this.batchMetadata = []
      this.producerEpoch = epoch
      return true
    }
    return false
  }

  addBatch(epoch: number, lastSeq: number, lastOffset: number, offsetDelta: number, timestamp: number): void {
    this.maybeUpdateProducerEpoch(epoch)
    if (this.batchMetadata.length === NUM_BATCHES_TO_RETAIN) this.batchMetadata.shift()
    this.batchMetadata.push({ lastSeq, lastOffset, offsetDelta, timestamp })
    this.lastTimestamp = timestamp
  }

  /** The retained batch with exactly this epoch and sequence range, if any. */
  findDuplicateBatch(epoch: number, firstSeq: number, lastSeq: number): BatchMetadata | undefined {
    if (epoch !== this.producerEpoch) return undefined
    return this.batchMetadata.find((m) => m.lastSeq === lastSeq && firstSeqOf(m) === firstSeq)
  }

  /** Copies `other`'s state into this entry (Kafka's update). */
  update(other: ProducerStateEntry): void {
    this.maybeUpdateProducerEpoch(other.producerEpoch)
    for (const m of other.batchMetadata) {
      if (this.batchMetadata.length === NUM_BATCHES_TO_RETAIN) this.batchMetadata.shift()
      this.batchMetadata.push({ ...m })
    }
    this.coordinatorEpoch = other.coordinatorEpoch
    this.currentTxnFirstOffset = other.currentTxnFirstOffset
    this.lastTimestamp = other.lastTimestamp
  }
}

export interface TxnMetadata {
  producerId: number
  firstOffset: number
  /** Offset of the COMMIT/ABORT marker once completed. */
  lastOffset: number
}

export interface CompletedTxn {
  producerId: number
  firstOffset: number
  lastOffset: number
  isAborted: boolean
}

/** The producer fields of a batch header that producer state looks at. */
export interface ProducerBatchInfo {
  producerId: number
  producerEpoch: number
  baseSequence: number
  lastOffsetDelta: number
  maxTimestamp: number
  attributes: number
  /** Offsets once assigned (for checks before assignment they may be 0). */
  baseOffset: number
}

/** What a COMMIT/ABORT control batch tells producer state. */
export interface EndTxnMarker {
  isAbort: boolean
  coordinatorEpoch: number
  timestamp: number
}

export type ProducerCheckResult =
  | { kind: 'ok' }
  | { kind: 'duplicate'; firstOffset: number; lastOffset: number; timestamp: number }
  | { kind: 'error'; errorCode: number; message: string }

/** Validates and accumulates one producer's batches of one append before they are committed. */
export class ProducerAppendInfo {
  readonly updated: ProducerStateEntry
  readonly startedTransactions: TxnMetadata[] = []

  constructor(
    readonly producerId: number,
    private readonly current: ProducerStateEntry,
    private readonly origin: AppendOrigin,
    private readonly strictUnknown: boolean,
    private readonly logger?: Logger,
    private readonly name = '',
  ) {
    this.updated = new ProducerStateEntry(producerId, current.producerEpoch, current.coordinatorEpoch, current.lastTimestamp, current.currentTxnFirstOffset)
    // Like Kafka, the updated entry starts without batch metadata and validation falls back to the current entry.
  }

  private checkProducerEpoch(epoch: number, offset: number): void {
    const current = this.updated.producerEpoch
    if (epoch < current) {
      const msg = `Epoch of producer ${this.producerId} at offset ${offset} in ${this.name} is ${epoch}, which is smaller than the last seen epoch ${current}`
      if (this.origin === 'replication') this.logger?.warn(msg)
      else throw new KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, msg)
    }
  }

  private checkSequence(epoch: number, firstSeq: number, offset: number): void {
    if (epoch !== this.updated.producerEpoch) {
      if (firstSeq !== 0) {
        if (this.updated.producerEpoch !== -1) {
          throw new KafkaError(
            ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
            `Invalid sequence number for new epoch of producer ${this.producerId} at offset ${offset} in ${this.name}: ${epoch} (request epoch), ${firstSeq} (seq. number), ${this.updated.producerEpoch} (current producer epoch)`,
          )
        }
        if (this.strictUnknown) {
          throw new KafkaError(
            ErrorCode.UNKNOWN_PRODUCER_ID,
            `Found no record of producerId=${this.producerId} on the broker at offset ${offset} in ${this.name}. It is possible that the last message with the producerId=${this.producerId} has been removed due to hitting the retention limit.`,
          )
        }
      }
    } else {
      let currentLastSeq: number
      if (!this.updated.isEmpty) currentLastSeq = this.updated.lastSeq
      else if (epoch === this.current.producerEpoch) currentLastSeq = this.current.lastSeq
      else currentLastSeq = -1
      // With no current epoch (e.g. the producer's records were all deleted) any sequence is accepted.
      if (!(this.current.producerEpoch === -1 || inSequence(currentLastSeq, firstSeq))) {
        throw new KafkaError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `Out of order sequence number for producer ${this.producerId} at offset ${offset} in ${this.name}: ${firstSeq} (incoming seq. number), ${currentLastSeq} (current end sequence number)`,
        )
      }
    }
  }

  /** Validates and records a data batch (offsets assigned). Throws KafkaError. */
  appendDataBatch(epoch: number, firstSeq: number, lastSeq: number, lastTimestamp: number, firstOffset: number, lastOffset: number, isTransactional: boolean): void {
    this.checkProducerEpoch(epoch, firstOffset)
    if (this.origin === 'client') this.checkSequence(epoch, firstSeq, firstOffset)
    this.updated.addBatch(epoch, lastSeq, lastOffset, lastOffset - firstOffset, lastTimestamp)
    const txnFirst = this.updated.currentTxnFirstOffset
    if (txnFirst >= 0 && !isTransactional) {
      throw new KafkaError(
        ErrorCode.INVALID_TXN_STATE,
        `Expected transactional write from producer ${this.producerId} at offset ${firstOffset} in partition ${this.name}`,
      )
    } else if (txnFirst < 0 && isTransactional) {
      this.updated.currentTxnFirstOffset = firstOffset
      this.startedTransactions.push({ producerId: this.producerId, firstOffset, lastOffset: -1 })
    }
  }

  /**
   * Validates and records one batch (offsets assigned): its data, or for a control
   * batch its marker (none when it could not be read). Returns the transaction a
   * marker completed. Throws KafkaError.
   */
  appendBatch(h: ProducerBatchInfo, marker: EndTxnMarker | null | undefined): CompletedTxn | null {
    if ((h.attributes & 0x20) !== 0) {
      return marker ? this.appendEndTxnMarker(marker.isAbort, marker.coordinatorEpoch, h.producerEpoch, h.baseOffset, marker.timestamp) : null
    }
    this.appendDataBatch(
      h.producerEpoch,
      h.baseSequence,
      incrementSequence(h.baseSequence, h.lastOffsetDelta),
      h.maxTimestamp,
      h.baseOffset,
      h.baseOffset + h.lastOffsetDelta,
      (h.attributes & 0x10) !== 0,
    )
    return null
  }

  /** Records a COMMIT/ABORT marker; returns the completed transaction when one was open. */
  appendEndTxnMarker(isAbort: boolean, coordinatorEpoch: number, epoch: number, offset: number, timestamp: number): CompletedTxn | null {
    this.checkProducerEpoch(epoch, offset)
    if (this.updated.coordinatorEpoch > coordinatorEpoch) {
      const msg = `Invalid coordinator epoch for producerId ${this.producerId} at offset ${offset} in ${this.name}: ${coordinatorEpoch} (zombie), ${this.updated.coordinatorEpoch} (current)`
      if (this.origin === 'replication') this.logger?.info(msg)
      else throw new KafkaError(ErrorCode.TRANSACTION_COORDINATOR_FENCED, msg)
    }
    const first = this.updated.currentTxnFirstOffset
    const completed = first >= 0 ? { producerId: this.producerId, firstOffset: first, lastOffset: offset, isAborted: isAbort } : null
    this.updated.maybeUpdateProducerEpoch(epoch)
    this.updated.currentTxnFirstOffset = -1
    this.updated.coordinatorEpoch = coordinatorEpoch
    this.updated.lastTimestamp = timestamp
    return completed
  }
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX)
}

export class ProducerStateManager {
  readonly producers = new Map<number, ProducerStateEntry>()
  /** Open transactions by first offset. */
  private readonly ongoingTxns = new Map<number, TxnMetadata>()
  /** Completed transactions whose marker is not yet below the high watermark. */
  private readonly unreplicatedTxns = new Map<number, TxnMetadata>()
  /** Snapshot offsets on disk, ascending. */
  private snapshots: number[] = []
  /** Next offset after the last batch applied. */
  mapEndOffset = 0
  private lastSnapOffset = 0

  constructor(
    public dir: string,
    readonly name: string,
    private readonly logger: Logger,
    public producerIdExpirationMs: number,
    public strictUnknownProducer = false,
  ) {}

  static snapshotPath(dir: string, offset: number): string {
    return path.join(dir, offsetFileName(offset) + SNAPSHOT_SUFFIX)
  }

  /** Finds the snapshot files in the directory (called once at load, with the names already listed). */
  setSnapshotFiles(names: Iterable<string>): void {
    const offs: number[] = []
    for (const n of names) {
      if (n.endsWith(SNAPSHOT_SUFFIX)) {
        const o = offsetFromFileName(n)
        if (Number.isFinite(o)) offs.push(o)
      }
    }
    this.snapshots = offs.sort((a, b) => a - b)
  }

  get snapshotOffsets(): readonly number[] {
    return this.snapshots
  }
  latestSnapshotOffset(): number | undefined {
    return this.snapshots[this.snapshots.length - 1]
  }

  get isEmpty(): boolean {
    return this.producers.size === 0 && this.unreplicatedTxns.size === 0
  }

  lastEntry(producerId: number): ProducerStateEntry | undefined {
    return this.producers.get(producerId)
  }

  prepareUpdate(producerId: number, origin: AppendOrigin): ProducerAppendInfo {
    const current = this.producers.get(producerId) ?? new ProducerStateEntry(producerId)
    return new ProducerAppendInfo(producerId, current, origin, this.strictUnknownProducer, this.logger, this.name)
  }

  /**
   * The outcome of appending a data batch with these producer fields now, without
   * changing anything: ok, a duplicate of a retained batch (with its offsets), or
   * an error code (OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH,
   * UNKNOWN_PRODUCER_ID, INVALID_TXN_STATE).
   */
  checkProducerBatch(h: ProducerBatchInfo, origin: AppendOrigin = 'client'): ProducerCheckResult {
    if (h.producerId < 0) return { kind: 'ok' }
    const entry = this.producers.get(h.producerId)
    const lastSeq = incrementSequence(h.baseSequence, h.lastOffsetDelta)
    if (entry && origin === 'client' && (h.attributes & 0x20) === 0) {
      const dup = entry.findDuplicateBatch(h.producerEpoch, h.baseSequence, lastSeq)
      if (dup) return { kind: 'duplicate', firstOffset: firstOffsetOf(dup), lastOffset: dup.lastOffset, timestamp: dup.timestamp }
    }
    try {
      const info = this.prepareUpdate(h.producerId, origin)
      info.appendBatch(h, null)
      return { kind: 'ok' }
    } catch (e) {
      if (e instanceof KafkaError) return { kind: 'error', errorCode: e.code, message: e.message }
      throw e
    }
  }

  /** Commits an append's producer changes. */
  update(info: ProducerAppendInfo): void {
    const existing = this.producers.get(info.producerId)
    if (existing) existing.update(info.updated)
    else this.producers.set(info.producerId, info.updated)
    for (const t of info.startedTransactions) this.ongoingTxns.set(t.firstOffset, t)
  }

  updateMapEndOffset(offset: number): void {
    this.mapEndOffset = offset
  }

  completeTxn(t: CompletedTxn): void {
    const meta = this.ongoingTxns.get(t.firstOffset)
    if (!meta) {
      this.logger.warn(`${this.name}: completed transaction at ${t.firstOffset} of producer ${t.producerId} was not open`)
      return
    }
    this.ongoingTxns.delete(t.firstOffset)
    meta.lastOffset = t.lastOffset
    this.unreplicatedTxns.set(t.firstOffset, meta)
  }

  /** The first offset of an undecided transaction, or of a decided one whose marker is above the high watermark. */
  firstUnstableOffset(): number | undefined {
    let min: number | undefined
    for (const k of this.ongoingTxns.keys()) if (min === undefined || k < min) min = k
    for (const k of this.unreplicatedTxns.keys()) if (min === undefined || k < min) min = k
    return min
  }

  /** The first offset of an undecided transaction. */
  firstUndecidedOffset(): number | undefined {
    let min: number | undefined
    for (const k of this.ongoingTxns.keys()) if (min === undefined || k < min) min = k
    return min
  }

  /** LSO computation for a completed transaction (Kafka's lastStableOffset(completedTxn)). */
  lastStableOffset(t: CompletedTxn): number {
    let min: number | undefined
    for (const m of this.ongoingTxns.values()) {
      if (m.producerId !== t.producerId && (min === undefined || m.firstOffset < min)) min = m.firstOffset
    }
    return min ?? t.lastOffset + 1
  }

  onHighWatermarkUpdated(hw: number): void {
    for (const [k, t] of this.unreplicatedTxns) if (t.lastOffset < hw) this.unreplicatedTxns.delete(k)
  }

  onLogStartOffsetIncremented(logStartOffset: number): void {
    for (const [k, t] of this.unreplicatedTxns) if (t.lastOffset < logStartOffset) this.unreplicatedTxns.delete(k)
    if (this.mapEndOffset < logStartOffset) this.mapEndOffset = logStartOffset
    this.lastSnapOffset = this.latestSnapshotOffset() ?? logStartOffset
  }

  /** Forgets producers idle longer than producer.id.expiration.ms (never one with an open transaction). */
  removeExpiredProducers(now: number): number {
    let n = 0
    for (const [pid, e] of this.producers) {
      if (e.currentTxnFirstOffset < 0 && now - e.lastTimestamp >= this.producerIdExpirationMs) {
        this.producers.delete(pid)
        n++
      }
    }
    return n
  }

  /**
   * Applies a batch read back from the log (recovery, follower, truncation
   * reload): no sequence checks; a control batch needs its marker fields.
   */
  replayBatch(h: ProducerBatchInfo & { lastOffset: number }, marker?: EndTxnMarker | null): { txn: CompletedTxn; lastStableOffset: number } | null {
    let completed: CompletedTxn | null = null
    let lso = -1
    if (h.producerId >= 0) {
      const info = this.prepareUpdate(h.producerId, 'replication')
      try {
        completed = info.appendBatch(h, marker)
        this.update(info)
        if (completed) {
          lso = this.lastStableOffset(completed)
          this.completeTxn(completed)
        }
      } catch (e) {
        this.logger.warn(`${this.name}: producer state replay at offset ${h.baseOffset}: ${(e as Error).message}`)
      }
    }
    this.mapEndOffset = h.lastOffset + 1
    return completed ? { txn: completed, lastStableOffset: lso } : null
  }

  // ------------------------------------------------------------------------------------------
  // Snapshots

  /** Writes a snapshot at mapEndOffset when it moved since the last one. */
  async takeSnapshot(sync = true): Promise<void> {
    if (this.mapEndOffset <= this.lastSnapOffset) return
    const offset = this.mapEndOffset
    await atomicWriteFile(ProducerStateManager.snapshotPath(this.dir, offset), encodeSnapshot(this.producers), sync)
    if (!this.snapshots.includes(offset)) {
      this.snapshots.push(offset)
      this.snapshots.sort((a, b) => a - b)
    }
    this.lastSnapOffset = offset
  }

  /**
   * Loads the newest readable snapshot at or below maxOffset (deleting newer and
   * corrupt ones); returns its offset, or undefined when there is none (state
   * then starts empty at logStartOffset).
   */
  async loadFromSnapshot(logStartOffset: number, maxOffset: number, now: number): Promise<number | undefined> {
    this.producers.clear()
    this.ongoingTxns.clear()
    this.unreplicatedTxns.clear()
    for (const off of [...this.snapshots]) if (off > maxOffset) await this.removeSnapshot(off)
    while (this.snapshots.length) {
      const off = this.snapshots[this.snapshots.length - 1]!
      const buf = await readFileOrNull(ProducerStateManager.snapshotPath(this.dir, off))
      try {
        if (buf === null) throw new Error('file is missing')
        for (const e of decodeSnapshot(buf)) {
          if (e.currentTxnFirstOffset < 0 && now - e.lastTimestamp >= this.producerIdExpirationMs) continue
          this.producers.set(e.producerId, e)
          if (e.currentTxnFirstOffset >= 0) {
            this.ongoingTxns.set(e.currentTxnFirstOffset, { producerId: e.producerId, firstOffset: e.currentTxnFirstOffset, lastOffset: -1 })
          }
        }
        this.mapEndOffset = this.lastSnapOffset = off
        return off
      } catch (e) {
        this.logger.warn(`${this.name}: cannot load producer snapshot at offset ${off}: ${(e as Error).message}; deleting it`)
        this.producers.clear()
        this.ongoingTxns.clear()
        await this.removeSnapshot(off)
      }
    }
    this.mapEndOffset = this.lastSnapOffset = logStartOffset
    return undefined
  }

  async removeSnapshot(offset: number): Promise<void> {
    this.snapshots = this.snapshots.filter((o) => o !== offset)
    await unlinkIfExists(ProducerStateManager.snapshotPath(this.dir, offset))
  }

  /** Deletes snapshots with offset < `offset`. */
  async deleteSnapshotsBefore(offset: number): Promise<void> {
    for (const o of [...this.snapshots]) if (o < offset) await this.removeSnapshot(o)
  }

  /** Deletes snapshots with offset > `offset`. */
  async deleteSnapshotsAfter(offset: number): Promise<void> {
    for (const o of [...this.snapshots]) if (o > offset) await this.removeSnapshot(o)
  }

  /** Clears all state and snapshots; the map starts at `offset`. */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    this.producers.clear()
    this.ongoingTxns.clear()
    this.unreplicatedTxns.clear()
    for (const o of [...this.snapshots]) await this.removeSnapshot(o)
    this.lastSnapOffset = 0
    this.mapEndOffset = offset
  }

  /** Deletes every snapshot file in dir that is not tracked (strays from a crash). */
  async removeStraySnapshots(keepAtOrAbove: number): Promise<void> {
    let names: string[]
    try {
      names = await fs.promises.readdir(this.dir)
    } catch {
      return
    }
    for (const n of names) {
      if (!n.endsWith(SNAPSHOT_SUFFIX)) continue
      const o = offsetFromFileName(n)
      if (Number.isFinite(o) && !this.snapshots.includes(o) && o < keepAtOrAbove) await unlinkIfExists(path.join(this.dir, n))
    }
  }
}

/** Kafka's producer snapshot file: version int16, crc uint32 (CRC-32C of what follows), then an array of entries. */
export function encodeSnapshot(producers: Map<number, ProducerStateEntry>): Buffer {
  const n = producers.size
  const buf = Buffer.alloc(2 + 4 + 4 + n * SNAPSHOT_ENTRY_SIZE)
  buf.writeInt16BE(SNAPSHOT_VERSION, 0)
  buf.writeInt32BE(n, 6)
  let p = 10
  for (const [pid, e] of producers) {
    writeInt64Number(buf, p, pid)
    buf.writeInt16BE(e.producerEpoch, p + 8)
    buf.writeInt32BE(e.lastSeq, p + 10)
    writeInt64Number(buf, p + 14, e.lastDataOffset)
    buf.writeInt32BE(e.lastOffsetDelta, p + 22)
    writeInt64Number(buf, p + 26, e.lastTimestamp)
    buf.writeInt32BE(e.coordinatorEpoch, p + 34)
    writeInt64Number(buf, p + 38, e.currentTxnFirstOffset)
    p += SNAPSHOT_ENTRY_SIZE
  }
  buf.writeUInt32BE(crc32c(buf.subarray(6)), 2)
  return buf
}

export function decodeSnapshot(buf: Buffer): ProducerStateEntry[] {
  if (buf.length < 10) throw new Error(`snapshot is ${buf.length} bytes, too short`)
  const version = buf.readInt16BE(0)
  if (version !== SNAPSHOT_VERSION) throw new Error(`unknown snapshot version ${version}`)
  const crc = buf.readUInt32BE(2)
  const computed = crc32c(buf.subarray(6))
  if (crc !== computed) throw new Error(`snapshot CRC mismatch (stored ${crc}, computed ${computed})`)
  const n = buf.readInt32BE(6)
  if (n < 0 || buf.length !== 10 + n * SNAPSHOT_ENTRY_SIZE) throw new Error(`snapshot size ${buf.length} does not match ${n} entries`)
  const out: ProducerStateEntry[] = []
  let p = 10
  for (let i = 0; i < n; i++) {
    const pid = readInt64Number(buf, p)
    const epoch = buf.readInt16BE(p + 8)
    const seq = buf.readInt32BE(p + 10)
    const offset = readInt64Number(buf, p + 14)
    const offsetDelta = buf.readInt32BE(p + 22)
    const timestamp = readInt64Number(buf, p + 26)
    const coordinatorEpoch = buf.readInt32BE(p + 34)
    const txnFirst = readInt64Number(buf, p + 38)
    const e = new ProducerStateEntry(pid, epoch, coordinatorEpoch, timestamp, txnFirst >= 0 ? txnFirst : -1)
    if (offset >= 0) e.batchMetadata.push({ lastSeq: seq, lastOffset: offset, offsetDelta, timestamp })
    out.push(e)
    p += SNAPSHOT_ENTRY_SIZE
  }
  return out
}

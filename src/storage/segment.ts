/**
 * LogSegment: one `<baseOffset>.log` file with its `.index` and `.timeindex`.
 * Batches are stored as they arrived; the indexes are kept in memory (loaded
 * lazily for inactive segments) and persisted on flush, roll and close.
 */
import fs from 'node:fs'
import path from 'node:path'
import { BATCH_HEADER_SIZE, BatchField, ErrorCode, KafkaError, decodeBatchRecords, readInt64Number, writeInt64Number, type BatchSlice } from '../wire/index.js'
import type { Clock, LogConfig, Logger } from './config.js'
import type { FilePool, PooledFile } from './file-pool.js'
import { fdatasync, ftruncate, isNotFound, readFileOrNull, readFully, renameIfExists, unlinkIfExists, withShortLivedFile, writeAt, writevAtSync, readFullySync } from './fsutil.js'
import { ftruncateSync } from 'node:fs'
import { writeAtTurnEnd, type StagedWriter } from '../util/index.js'

/**
 * Appends up to this size are written on the event loop: a copy into the page cache (~250 us per
 * MiB here) costs less than a thread-pool round trip, whose wake-ups and contention with the event
 * loop cost 10-25% of append throughput in scripts/bench-storage.ts. Larger appends (only with a
 * raised max.message.bytes) go to the pool so that one request cannot hold the loop for long.
 */
const SYNC_WRITE_MAX_BYTES = 4 * 1024 * 1024
/** Reads up to this size (a consumer at the tail, a batch header) are done on the event loop too. */
const SYNC_READ_MAX_BYTES = 256 * 1024

function readAtMostSync(fd: number, buf: Buffer, length: number, position: number): number | Promise<number> {
  return length <= SYNC_READ_MAX_BYTES ? readFullySync(fd, buf, 0, length, position) : readFully(fd, buf, 0, length, position)
}
import { IndexCorruptError, OffsetIndex, TimeIndex } from './indexes.js'
import { BatchScanner, type ScannedBatch } from './scanner.js'

export const LOG_SUFFIX = '.log'
export const INDEX_SUFFIX = '.index'
export const TIME_INDEX_SUFFIX = '.timeindex'
export const TXN_INDEX_SUFFIX = '.txnindex'
export const SNAPSHOT_SUFFIX = '.snapshot'
export const DELETED_SUFFIX = '.deleted'
export const CLEANED_SUFFIX = '.cleaned'
export const SWAP_SUFFIX = '.swap'

const INT32_MAX = 0x7fffffff

/** The 20-digit zero-padded file name prefix for an offset. */
export function offsetFileName(offset: number): string {
  return String(offset).padStart(20, '0')
}

/** Parses the base offset from a name like 00000000000000000042.log(.deleted); NaN if it is not one. */
export function offsetFromFileName(name: string): number {
  const m = /^(\d{20})\./.exec(name)
  return m ? Number(m[1]) : NaN
}

/** What a segment needs from its log. */
export interface SegmentContext {
  pool: FilePool
  logger: Logger
  clock: Clock
  config(): LogConfig
  /** "topic-partition", for log lines. */
  name: string
  /** Told once when a write fails: the log goes offline (Kafka's log directory failure). */
  onWriteFailure(e: Error): void
}

/** Per-batch facts the log passes to append. */
export interface AppendBatchInfo {
  size: number
  lastOffset: number
  maxTimestamp: number
}

export interface SegmentReadResult {
  records: Buffer
  /** Base offset of the first batch returned (-1 when records is empty). */
  firstOffset: number
  /** Last offset of the last batch returned + 1 (-1 when records is empty). */
  nextOffset: number
}

/** An aborted transaction (Kafka's AbortedTxn, an entry of the .txnindex file). */
export interface AbortedTxn {
  producerId: number
  firstOffset: number
  lastOffset: number
  lastStableOffset: number
}

const TXN_ENTRY_SIZE = 34

export function encodeAbortedTxns(list: readonly AbortedTxn[]): Buffer {
  const buf = Buffer.alloc(list.length * TXN_ENTRY_SIZE)
  list.forEach((e, i) => {
    const p = i * TXN_ENTRY_SIZE
    buf.writeInt16BE(0, p)
    writeInt64Number(buf, p + 2, e.producerId)
    writeInt64Number(buf, p + 10, e.firstOffset)
    writeInt64Number(buf, p + 18, e.lastOffset)
    writeInt64Number(buf, p + 26, e.lastStableOffset)
  })
  return buf
}

export function decodeAbortedTxns(buf: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = []
  for (let p = 0; p + TXN_ENTRY_SIZE <= buf.length; p += TXN_ENTRY_SIZE) {
    if (buf.readInt16BE(p) !== 0) break
    out.push({
      producerId: readInt64Number(buf, p + 2),
      firstOffset: readInt64Number(buf, p + 10),
      lastOffset: readInt64Number(buf, p + 18),
      lastStableOffset: readInt64Number(buf, p + 26),
    })
  }
  return out
}

export interface RecoveryResult {
  validBytes: number
  truncatedBytes: number
  /** Next offset after the last good batch (baseOffset when there is none). */
  nextOffset: number
  reason?: string
}

export class LogSegment implements PooledFile, StagedWriter {
  offsetIndex: OffsetIndex | null = null
  timeIndex: TimeIndex | null = null
  /** Bytes of good data (-1 until known for a lazily opened segment). */
  size = -1
  maxTimestampSoFar = -1
  offsetOfMaxTimestampSoFar = -1
  /** Next offset after the last batch, when known (always for the active segment). */
  nextOffsetKnown = -1
  created: number
  /** maxTimestamp of the first batch appended (Kafka's rollingBasedTimestamp), -1 if none. */
  rollingBasedTimestamp = -1
  lastModified = 0
  active = false
  deleted = false
  /** Data written since the last fsync. */
  unflushed = false
  private bytesSinceLastIndexEntry = 0
  /** Whether a .txnindex file exists (so segments without one need no I/O). */
  hasTxnIndexFile = false
  private txnEntries: AbortedTxn[] | null = null
  private suffix: string
  private loading: Promise<void> | null = null
  /** Appended batches not yet in the file (see append); `size` counts them. */
  private staged: Buffer[] = []
  private stagedBytes = 0
  /** The failed write that took this segment (and its log) offline. */
  private writeError: Error | null = null

  private constructor(
    private readonly ctx: SegmentContext,
    readonly dir: string,
    readonly baseOffset: number,
    suffix = '',
  ) {
    this.suffix = suffix
    this.created = ctx.clock.now()
  }

  get name(): string {
    return `${this.ctx.name} segment ${this.baseOffset}`
  }

  private pathFor(kind: string): string {
    return path.join(this.dir, offsetFileName(this.baseOffset) + kind + this.suffix)
  }
  filePath(): string {
    return this.pathFor(LOG_SUFFIX)
  }
  indexPath(): string {
    return this.pathFor(INDEX_SUFFIX)
  }
  timeIndexPath(): string {
    return this.pathFor(TIME_INDEX_SUFFIX)
  }
  txnIndexPath(): string {
    return this.pathFor(TXN_INDEX_SUFFIX)
  }

  /** The aborted transactions whose markers are in this segment. */
  async abortedTxns(): Promise<AbortedTxn[]> {
    if (this.txnEntries) return this.txnEntries
    if (!this.hasTxnIndexFile) return (this.txnEntries = [])
    const buf = await readFileOrNull(this.txnIndexPath())
    this.txnEntries = buf ? decodeAbortedTxns(buf) : []
    return this.txnEntries
  }

  /** Records an aborted transaction (written to the .txnindex file at once; duplicates ignored). */
  async addAbortedTxn(e: AbortedTxn): Promise<void> {
    const list = await this.abortedTxns()
    if (list.some((x) => x.lastOffset === e.lastOffset && x.producerId === e.producerId)) return
    list.push(e)
    await fs.promises.appendFile(this.txnIndexPath(), encodeAbortedTxns([e]))
    this.hasTxnIndexFile = true
  }

  /** Drops aborted-transaction entries whose marker is at or after `offset`. */
  async truncateTxnIndex(offset: number): Promise<void> {
    if (!this.hasTxnIndexFile && !this.txnEntries?.length) return
    const list = await this.abortedTxns()
    const kept = list.filter((e) => e.lastOffset < offset)
    if (kept.length === list.length) return
    this.txnEntries = kept
    const bytes = encodeAbortedTxns(kept)
    await withShortLivedFile(() => fs.promises.writeFile(this.txnIndexPath(), bytes))
  }
  get currentSuffix(): string {
    return this.suffix
  }

  /** Creates a new empty segment (log and index files) on disk. */
  static async create(ctx: SegmentContext, dir: string, baseOffset: number, suffix = ''): Promise<LogSegment> {
    const seg = new LogSegment(ctx, dir, baseOffset, suffix)
    const cfg = ctx.config()
    await withShortLivedFile(async () => (await fs.promises.open(seg.filePath(), 'w')).close())
    // The index files are created by their first persist (flush, roll or close).
    seg.offsetIndex = new OffsetIndex(seg.indexPath(), baseOffset, cfg.segmentIndexBytes)
    seg.timeIndex = new TimeIndex(seg.timeIndexPath(), baseOffset, cfg.segmentIndexBytes)
    seg.offsetIndex.markUnpersisted(-1)
    seg.timeIndex.markUnpersisted(-1)
    seg.size = 0
    seg.nextOffsetKnown = baseOffset
    seg.lastModified = ctx.clock.now()
    return seg
  }

  /** A segment that exists on disk; nothing is read until it is used. */
  static existing(ctx: SegmentContext, dir: string, baseOffset: number, suffix = ''): LogSegment {
    return new LogSegment(ctx, dir, baseOffset, suffix)
  }

  get loaded(): boolean {
    return this.offsetIndex !== null && this.timeIndex !== null && this.size >= 0
  }

  /** Loads the indexes (rebuilding them when missing or corrupt) and the size. */
  async load(): Promise<void> {
    if (this.loading) return this.loading
    if (this.loaded) return
    if (!this.loading) {
      this.loading = this.doLoad().finally(() => {
        this.loading = null
      })
    }
    return this.loading
  }

  private async doLoad(): Promise<void> {
    const cfg = this.ctx.config()
    const st = await fs.promises.stat(this.filePath())
    const size = st.size
    this.lastModified = st.mtimeMs
    const oi = new OffsetIndex(this.indexPath(), this.baseOffset, cfg.segmentIndexBytes)
    const ti = new TimeIndex(this.timeIndexPath(), this.baseOffset, cfg.segmentIndexBytes)
    if (size === 0) {
      // An empty log has empty indexes, whatever index files lie beside it: none when it was never
      // written (flush writes none for an empty segment). Whatever is there is overwritten and cut
      // by the first persist once the log has batches.
      oi.markUnpersisted(-1)
      ti.markUnpersisted(-1)
      this.offsetIndex = oi
      this.timeIndex = ti
      this.size = 0
      this.bytesSinceLastIndexEntry = 0
      return
    }
    let problem: string | null = null
    try {
      const oiBytes = await readFileOrNull(oi.path)
      const tiBytes = await readFileOrNull(ti.path)
      if (oiBytes === null) problem = 'offset index is missing'
      else if (tiBytes === null) problem = 'time index is missing'
      else {
        oi.loadFrom(oiBytes)
        oi.checkAgainstLog(size)
        ti.loadFrom(tiBytes)
      }
    } catch (e) {
      if (!(e instanceof IndexCorruptError)) throw e
      problem = e.message
    }
    if (problem !== null) {
      this.ctx.logger.warn(`${this.name}: ${problem}; rebuilding the indexes from the log`)
      this.offsetIndex = oi
      this.timeIndex = ti
      oi.reset()
      ti.reset()
      oi.markUnpersisted(-1)
      ti.markUnpersisted(-1)
      this.size = size
      await this.withLoadedFd(async (fd) => {
        await this.recoverFrom(fd, 0, this.baseOffset, true)
      })
      await oi.persist(true)
      await ti.persist(true)
      return
    }
    this.offsetIndex = oi
    this.timeIndex = ti
    this.size = size
    const last = ti.lastEntry()
    this.maxTimestampSoFar = last.timestamp
    this.offsetOfMaxTimestampSoFar = last.timestamp >= 0 ? last.offset : -1
    this.bytesSinceLastIndexEntry = size - oi.lastEntry().position
  }

  /** Runs fn with the file descriptor leased from the pool (the segment must be loaded or loading). */
  private async withLoadedFd<T>(fn: (fd: number) => Promise<T>): Promise<T> {
    this.settle()
    return this.ctx.pool.withFd(this, fn)
  }

  /** Loads the segment and runs fn with its descriptor leased. */
  async withFd<T>(fn: (fd: number) => Promise<T>): Promise<T> {
    this.settle()
    const fd = await this.ctx.pool.acquire(this)
    try {
      await this.load()
      return await fn(fd)
    } finally {
      this.ctx.pool.release(this, fd)
    }
  }

  onPoolEvict(): void {
    // Inactive segments give their index memory back with their descriptor.
    if (!this.active && this.offsetIndex && !this.offsetIndex.dirty && this.timeIndex && !this.timeIndex.dirty && !this.loading) {
      this.offsetIndex = null
      this.timeIndex = null
      this.txnEntries = null
    }
  }

  /** The largest timestamp in the segment (its file's mtime when no batch has a timestamp). */
  get largestTimestamp(): number {
    return this.maxTimestampSoFar >= 0 ? this.maxTimestampSoFar : this.lastModified
  }

  /** Size in bytes without loading indexes (stat for a lazily opened segment). */
  async getSize(): Promise<number> {
    if (this.size >= 0) return this.size
    const st = await fs.promises.stat(this.filePath())
    return st.size
  }

  /** Largest timestamp, loading the segment's time index if needed. */
  async getLargestTimestamp(): Promise<number> {
    await this.load()
    return this.largestTimestamp
  }

  /** Whether an append of `bytes` with this many batches must go to a new segment. */
  shouldRoll(bytes: number, maxTimestampInBatches: number, lastOffset: number, now: number): string | null {
    const cfg = this.ctx.config()
    if (this.size <= 0) return null
    if (this.size > cfg.segmentBytes - bytes) return 'segment.bytes'
    const waited = this.rollingBasedTimestamp >= 0 && maxTimestampInBatches >= 0
      ? maxTimestampInBatches - this.rollingBasedTimestamp
      : now - this.created
    if (waited > cfg.segmentMs - cfg.segmentJitterMs) return 'segment.ms'
    if (this.offsetIndex!.isFull() || this.timeIndex!.isFull()) return 'index full'
    if (lastOffset - this.baseOffset > INT32_MAX) return 'offset overflow'
    return null
  }

  /**
   * Appends `records` (batches already validated and numbered) at the end of the segment and
   * updates the indexes.
   *
   * With `deferWrite` the bytes are staged and written at the end of the event loop's turn, with
   * one writev for everything appended in that turn (util/turn-end.ts): whoever acknowledges the
   * append must let the acknowledgement out through releaseAtTurnEnd, as the broker's connections
   * do. Without it they are in the file when this returns. Anything that reads or changes the file
   * writes what is staged first. A failed write takes the segment and its log offline (Kafka's log
   * directory failure): the staged batches may already be acknowledged in memory, so nothing short
   * of recovery at the next start can make the log consistent again.
   *
   * A staged `records` buffer is written later as it is then: the caller must not reuse it.
   * Returns a promise only for appends above SYNC_WRITE_MAX_BYTES, which go to the thread pool.
   */
  append(records: Buffer, batches: readonly AppendBatchInfo[], deferWrite: boolean): Promise<void> | undefined {
    if (this.writeError) throw this.offlineError()
    if (records.length > SYNC_WRITE_MAX_BYTES) return this.appendLarge(records, batches)
    if (deferWrite && this.stagedBytes === 0) writeAtTurnEnd(this)
    const position = this.size
    this.staged.push(records)
    this.stagedBytes += records.length
    this.recordAppend(position, batches)
    if (!deferWrite) this.settle()
    return undefined
  }

  private async appendLarge(records: Buffer, batches: readonly AppendBatchInfo[]): Promise<void> {
    this.settle()
    const position = this.size
    const fd = await this.ctx.pool.acquire(this)
    try {
      await writeAt(fd, records, 0, records.length, position)
    } catch (e) {
      this.fail(e as Error, fd, position)
      throw this.offlineError()
    } finally {
      this.ctx.pool.release(this, fd)
    }
    this.recordAppend(position, batches)
  }

  /** Size and index bookkeeping for batches now at `position`. */
  private recordAppend(position: number, batches: readonly AppendBatchInfo[]): void {
    this.unflushed = true
    const cfg = this.ctx.config()
    let pos = position
    for (const b of batches) {
      this.indexBatch(pos, b.size, b.lastOffset, b.maxTimestamp, cfg.indexIntervalBytes)
      pos += b.size
    }
    if (this.rollingBasedTimestamp < 0 && batches.length > 0) this.rollingBasedTimestamp = batches[0]!.maxTimestamp
    this.size = pos
    this.nextOffsetKnown = batches.length > 0 ? batches[batches.length - 1]!.lastOffset + 1 : this.nextOffsetKnown
  }

  /** Writes the staged batches with one positional writev. False when the write failed. */
  writeStaged(): boolean {
    if (this.stagedBytes === 0) return this.writeError === null
    const bufs = this.staged
    const position = this.size - this.stagedBytes
    this.staged = []
    this.stagedBytes = 0
    let fd = -1
    try {
      fd = this.ctx.pool.acquireSync(this)
      writevAtSync(fd, bufs, position)
      return true
    } catch (e) {
      this.fail(e as Error, fd, position)
      return false
    } finally {
      if (fd >= 0) this.ctx.pool.release(this, fd)
    }
  }

  /** Writes what is staged; throws KAFKA_STORAGE_ERROR if the segment is offline. */
  private settle(): void {
    if (!this.writeStaged()) throw this.offlineError()
  }

  private fail(e: Error, fd: number, position: number): void {
    if (this.writeError) return
    this.writeError = e
    this.ctx.logger.error(`${this.name}: write at position ${position} failed, the log goes offline until the next start: ${e.message}`)
    // Leave no partial batch behind (recovery would cut it anyway).
    try {
      if (fd >= 0) ftruncateSync(fd, position)
    } catch {}
    this.ctx.onWriteFailure(e)
  }

  private offlineError(): KafkaError {
    return new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${this.name} is offline after a failed write: ${this.writeError?.message}`)
  }

  /** Index bookkeeping for one batch at `pos` (Kafka's rule: an entry once more than index.interval.bytes went by). */
  private indexBatch(pos: number, size: number, lastOffset: number, maxTimestamp: number, interval: number): void {
    if (maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = maxTimestamp
      this.offsetOfMaxTimestampSoFar = lastOffset
    }
    if (this.bytesSinceLastIndexEntry > interval) {
      if (!this.offsetIndex!.isFull()) this.offsetIndex!.append(lastOffset, pos)
      if (this.offsetOfMaxTimestampSoFar >= 0) this.timeIndex!.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar)
      this.bytesSinceLastIndexEntry = 0
    }
    this.bytesSinceLastIndexEntry += size
  }

  /**
   * Reads whole batches starting with the one that holds `startOffset`: at most
   * maxBytes (but one batch anyway with minOneMessage), none whose last offset is
   * >= upperBound. Null when no batch in this segment ends at or after startOffset.
   */
  async read(startOffset: number, maxBytes: number, upperBound: number, minOneMessage: boolean): Promise<SegmentReadResult | null> {
    return this.withFd(async (fd) => {
      const end = this.size
      const startPos = this.offsetIndex!.lookup(startOffset).position
      if (startPos + BATCH_HEADER_SIZE > end) return null
      const cfg = this.ctx.config()
      const want = Math.min(end - startPos, Math.max(maxBytes, 0) + cfg.indexIntervalBytes + 2 * BATCH_HEADER_SIZE)
      const chunk = Buffer.allocUnsafe(want)
      const got = await readAtMostSync(fd, chunk, want, startPos)
      const small = Buffer.allocUnsafe(BATCH_HEADER_SIZE)
      // Header of the batch at absolute position abs: [size, baseOffset, lastOffset] or null.
      const hdr = async (abs: number): Promise<[number, number, number] | null> => {
        if (abs + BATCH_HEADER_SIZE > end) return null
        let b = chunk
        let rel = abs - startPos
        if (rel + BATCH_HEADER_SIZE > got) {
          if (readFullySync(fd, small, 0, BATCH_HEADER_SIZE, abs) < BATCH_HEADER_SIZE) return null
          b = small
          rel = 0
        }
        const size = 12 + b.readInt32BE(rel + BatchField.BatchLength)
        if (size < BATCH_HEADER_SIZE || abs + size > end) return null
        const base = readInt64Number(b, rel)
        return [size, base, base + b.readInt32BE(rel + BatchField.LastOffsetDelta)]
      }
      let abs = startPos
      let h: [number, number, number] | null
      for (;;) {
        h = await hdr(abs)
        if (h === null) return null
        if (h[2] >= startOffset) break
        abs += h[0]
      }
      const startAbs = abs
      const firstOffset = h[1]
      let nextOffset = -1
      let total = 0
      while (h !== null) {
        if (h[2] >= upperBound) break
        if (total + h[0] > maxBytes) {
          if (total === 0 && minOneMessage) {
            total += h[0]
            nextOffset = h[2] + 1
          }
          break
        }
        total += h[0]
        nextOffset = h[2] + 1
        abs += h[0]
        h = await hdr(abs)
      }
      if (total === 0) return { records: Buffer.alloc(0), firstOffset: -1, nextOffset: -1 }
      const rel = startAbs - startPos
      let records: Buffer
      if (rel + total <= got) records = chunk.subarray(rel, rel + total)
      else {
        records = Buffer.allocUnsafe(total)
        const n = await readAtMostSync(fd, records, total, startAbs)
        if (n < total) return null
      }
      return { records, firstOffset, nextOffset }
    })
  }

  /**
   * Position and header facts of the first batch whose last offset is >= offset
   * (the batch holding it), or null when there is none in this segment.
   */
  async translateOffset(offset: number): Promise<ScannedBatchInfo | null> {
    return this.withFd(async (fd) => {
      const start = this.offsetIndex!.lookup(offset).position
      const scanner = new BatchScanner(fd, start, this.size, { chunkSize: 64 * 1024 })
      for (let b = await scanner.next(); b !== null; b = await scanner.next()) {
        if (b.lastOffset >= offset) return copyInfo(b)
      }
      return null
    })
  }

  /**
   * The first record at or after startingOffset whose timestamp is >= ts (Kafka's
   * ListOffsets by timestamp), or null when this segment has none.
   */
  async findOffsetByTimestamp(ts: number, startingOffset: number): Promise<{ offset: number; timestamp: number; leaderEpoch: number } | null> {
    return this.withFd(async (fd) => {
      const te = this.timeIndex!.lookup(ts)
      const startPos = this.offsetIndex!.lookup(Math.max(te.offset, startingOffset)).position
      const scanner = new BatchScanner(fd, startPos, this.size, { chunkSize: 256 * 1024, wholeBatches: true })
      for (let b = await scanner.next(); b !== null; b = await scanner.next()) {
        if (b.maxTimestamp < ts || b.lastOffset < startingOffset) continue
        const hit = await firstRecordAtOrAfter(b, ts, startingOffset)
        if (hit) return { ...hit, leaderEpoch: b.partitionLeaderEpoch }
      }
      return null
    })
  }

  /** The record with the segment's max timestamp: {offset, timestamp} (decodes that one batch). */
  async maxTimestampRecord(): Promise<{ offset: number; timestamp: number; leaderEpoch: number } | null> {
    await this.load()
    if (this.maxTimestampSoFar < 0 || this.offsetOfMaxTimestampSoFar < 0) return null
    const target = this.offsetOfMaxTimestampSoFar
    const ts = this.maxTimestampSoFar
    return this.withFd(async (fd) => {
      const start = this.offsetIndex!.lookup(target).position
      const scanner = new BatchScanner(fd, start, this.size, { chunkSize: 256 * 1024, wholeBatches: true })
      for (let b = await scanner.next(); b !== null; b = await scanner.next()) {
        if (b.lastOffset < target) continue
        const hit = await firstRecordAtOrAfter(b, ts, b.baseOffset)
        return { offset: hit?.offset ?? b.lastOffset, timestamp: ts, leaderEpoch: b.partitionLeaderEpoch }
      }
      return null
    })
  }

  /**
   * Scans from `fromPosition` checking every batch (length, magic, CRC, offsets
   * moving forward), rebuilds the index entries from there, and cuts the file at
   * the first bad batch. `onBatch` sees each good batch (valid until the next).
   */
  async recover(fromPosition: number, minOffset: number, onBatch?: (b: ScannedBatch) => void | Promise<void>): Promise<RecoveryResult> {
    return this.withFd(async (fd) => {
      this.size = await statSize(fd)
      return this.recoverFrom(fd, fromPosition, minOffset, false, onBatch)
    })
  }

  private async recoverFrom(
    fd: number,
    fromPosition: number,
    minOffset: number,
    logErrors: boolean,
    onBatch?: (b: ScannedBatch) => void | Promise<void>,
  ): Promise<RecoveryResult> {
    const cfg = this.ctx.config()
    const oi = this.offsetIndex!
    const ti = this.timeIndex!
    // Bring the in-memory state to what it was just before fromPosition.
    const pre = await this.stateBefore(fd, fromPosition)
    oi.truncateToPosition(fromPosition)
    ti.truncateToOffset(pre.nextOffset)
    this.maxTimestampSoFar = pre.maxTimestamp
    this.offsetOfMaxTimestampSoFar = pre.offsetOfMaxTimestamp
    this.bytesSinceLastIndexEntry = fromPosition - oi.lastEntry().position
    const scanner = new BatchScanner(fd, fromPosition, this.size, { verifyCrc: true, chunkSize: 4 << 20 })
    let next = Math.max(minOffset, pre.nextOffset)
    for (let b = await scanner.next(); b !== null; b = await scanner.next()) {
      if (b.baseOffset < next) {
        scanner.reject(b, `batch offset ${b.baseOffset} is below the expected ${next}`)
        break
      }
      if (b.baseOffset < this.baseOffset || b.lastOffset - this.baseOffset > INT32_MAX) {
        scanner.reject(b, `batch offsets ${b.baseOffset}..${b.lastOffset} do not fit segment ${this.baseOffset}`)
        break
      }
      this.indexBatch(b.position, b.size, b.lastOffset, b.maxTimestamp, cfg.indexIntervalBytes)
      if (this.rollingBasedTimestamp < 0) this.rollingBasedTimestamp = b.maxTimestamp
      next = b.lastOffset + 1
      if (onBatch) await onBatch(b)
    }
    const validBytes = scanner.position
    const truncatedBytes = this.size - validBytes
    const result: RecoveryResult = { validBytes, truncatedBytes, nextOffset: next }
    if (scanner.stopReason !== undefined) result.reason = scanner.stopReason
    if (truncatedBytes > 0) {
      if (logErrors) {
        this.ctx.logger.error(
          `${this.ctx.name}: corrupt data in segment ${this.baseOffset} at position ${validBytes} (offset ${next}): ${result.reason}; truncating the segment there`,
        )
      }
      await ftruncate(fd, validBytes)
      this.size = validBytes
    }
    this.nextOffsetKnown = next
    return result
  }

  /** Max timestamp (and its offset) and next offset of the batches before `position`, using the indexes and a short walk. */
  private async stateBefore(
    fd: number,
    position: number,
  ): Promise<{ maxTimestamp: number; offsetOfMaxTimestamp: number; nextOffset: number; endPosition: number; stopReason?: string }> {
    if (position <= 0) return { maxTimestamp: -1, offsetOfMaxTimestamp: -1, nextOffset: this.baseOffset, endPosition: 0 }
    const oi = this.offsetIndex!
    const ti = this.timeIndex!
    // Entries strictly before the position are trusted; walk from the last of them.
    let n = oi.entries
    while (n > 0 && oi.positionAt(n - 1) >= position) n--
    const walkFrom = n > 0 ? oi.positionAt(n - 1) : 0
    const walkFromOffset = n > 0 ? oi.offsetAt(n - 1) : this.baseOffset
    // Time index entries before that batch.
    let maxTs = -1
    let maxTsOffset = -1
    for (let i = ti.entries - 1; i >= 0; i--) {
      if (ti.offsetAt(i) < walkFromOffset) {
        maxTs = ti.timestampAt(i)
        maxTsOffset = ti.offsetAt(i)
        break
      }
    }
    let next = this.baseOffset
    const scanner = new BatchScanner(fd, walkFrom, position, { chunkSize: 256 * 1024 })
    for (let b = await scanner.next(); b !== null; b = await scanner.next()) {
      if (b.maxTimestamp > maxTs) {
        maxTs = b.maxTimestamp
        maxTsOffset = b.lastOffset
      }
      next = b.lastOffset + 1
    }
    const out = { maxTimestamp: maxTs, offsetOfMaxTimestamp: maxTsOffset, nextOffset: next, endPosition: scanner.position }
    return scanner.stopReason !== undefined ? { ...out, stopReason: scanner.stopReason } : out
  }

  /** Position of the batch starting exactly at or holding `offset`, by index + header walk (no CRC checks). */
  async positionOf(offset: number): Promise<number> {
    const info = await this.translateOffset(offset)
    return info ? info.position : this.size
  }

  /**
   * For a segment loaded after a clean shutdown: the next offset and timestamps
   * from the last index entry to the end (a short walk, no CRC checks).
   */
  async loadTail(): Promise<number> {
    return this.withFd(async (fd) => {
      const st = await this.stateBefore(fd, this.size)
      if (st.stopReason !== undefined && st.endPosition < this.size) {
        this.ctx.logger.warn(
          `${this.ctx.name}: segment ${this.baseOffset} has ${this.size - st.endPosition} unreadable bytes at position ${st.endPosition} (offset ${st.nextOffset}): ${st.stopReason}; truncating them`,
        )
        await ftruncate(fd, st.endPosition)
        this.size = st.endPosition
        this.offsetIndex!.truncateToPosition(st.endPosition)
        this.timeIndex!.truncateToOffset(st.nextOffset)
      }
      const oi = this.offsetIndex!
      this.maxTimestampSoFar = st.maxTimestamp
      this.offsetOfMaxTimestampSoFar = st.offsetOfMaxTimestamp
      this.bytesSinceLastIndexEntry = this.size - oi.lastEntry().position
      this.nextOffsetKnown = st.nextOffset
      return st.nextOffset
    })
  }

  /**
   * Removes every batch whose last offset is >= offset (the batch holding offset
   * goes too). Returns the bytes removed.
   */
  async truncateTo(offset: number): Promise<number> {
    const info = await this.translateOffset(offset)
    if (info === null) {
      // Nothing at or after offset here; make sure the tail state is current (the segment may become active again).
      await this.loadTail()
      return 0
    }
    return this.withFd(async (fd) => {
      const pos = info.position
      const removed = this.size - pos
      await ftruncate(fd, pos)
      this.size = pos
      this.offsetIndex!.truncateToPosition(pos)
      this.timeIndex!.truncateToOffset(info.baseOffset)
      const st = await this.stateBefore(fd, pos)
      this.maxTimestampSoFar = st.maxTimestamp
      this.offsetOfMaxTimestampSoFar = st.offsetOfMaxTimestamp
      this.bytesSinceLastIndexEntry = pos - this.offsetIndex!.lastEntry().position
      this.nextOffsetKnown = st.nextOffset
      if (pos === 0) this.rollingBasedTimestamp = -1
      await this.offsetIndex!.persist(false)
      await this.timeIndex!.persist(false)
      return removed
    })
  }

  /** fsyncs the log file (if written since) and writes pending index entries. */
  async flush(syncIndexes = false): Promise<void> {
    this.settle()
    if (this.unflushed) {
      this.unflushed = false
      try {
        await this.ctx.pool.withFd(this, (fd) => fdatasync(fd))
      } catch (e) {
        this.unflushed = true
        throw e
      }
    }
    // An empty segment needs no index files (loading ignores them while the log is empty): a
    // partition never written to, most of a 10,000-partition topic, costs no index file
    // creations and fsyncs at shutdown.
    if (this.size === 0) return
    if (this.offsetIndex) await this.offsetIndex.persist(syncIndexes)
    if (this.timeIndex) await this.timeIndex.persist(syncIndexes)
  }

  /** Called when a newer segment becomes active: final time index entry, everything written and synced. */
  async onBecomeInactive(): Promise<void> {
    this.active = false
    if (this.timeIndex && this.maxTimestampSoFar >= 0 && this.offsetOfMaxTimestampSoFar >= 0) {
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, true)
    }
    // Written now, fsynced by the log's background flush of this segment.
    if (this.offsetIndex) await this.offsetIndex.persist(false)
    if (this.timeIndex) await this.timeIndex.persist(false)
    this.offsetIndex?.trim()
    this.timeIndex?.trim()
  }

  /** Renames the segment's files to carry `suffix` ('' for the live name): indexes first, the log last. */
  async changeSuffix(suffix: string): Promise<void> {
    if (suffix === this.suffix) return
    this.settle()
    const oldLog = this.filePath()
    const oldIdx = this.indexPath()
    const oldTime = this.timeIndexPath()
    const oldTxn = this.txnIndexPath()
    this.suffix = suffix
    if (this.offsetIndex) this.offsetIndex.path = this.indexPath()
    if (this.timeIndex) this.timeIndex.path = this.timeIndexPath()
    await renameIfExists(oldIdx, this.indexPath())
    await renameIfExists(oldTime, this.timeIndexPath())
    if (this.hasTxnIndexFile) await renameIfExists(oldTxn, this.txnIndexPath())
    await fs.promises.rename(oldLog, this.filePath())
  }

  /** Fresh, empty in-memory indexes (recovery rebuilds them; the files are rewritten on the next persist). */
  async prepareForRecovery(): Promise<void> {
    this.settle()
    const cfg = this.ctx.config()
    const st = await fs.promises.stat(this.filePath())
    this.size = st.size
    this.lastModified = st.mtimeMs
    this.offsetIndex = new OffsetIndex(this.indexPath(), this.baseOffset, cfg.segmentIndexBytes)
    this.timeIndex = new TimeIndex(this.timeIndexPath(), this.baseOffset, cfg.segmentIndexBytes)
    this.offsetIndex.markUnpersisted(-1)
    this.timeIndex.markUnpersisted(-1)
  }

  /** Deletes the files (under their current suffix) and forgets the descriptor. */
  async deleteFiles(): Promise<void> {
    this.writeStaged()
    await this.ctx.pool.forget(this)
    await unlinkIfExists(this.filePath())
    await unlinkIfExists(this.indexPath())
    await unlinkIfExists(this.timeIndexPath())
    await unlinkIfExists(this.txnIndexPath())
  }

  /** Closes the descriptor (if open). */
  async close(): Promise<void> {
    this.writeStaged()
    await this.ctx.pool.forget(this)
  }

  /** Walks the batches with whole bytes available (cleaner, replay). */
  async scan(fromPosition: number, visit: (b: ScannedBatch) => void | Promise<void | boolean> | boolean, opts: { wholeBatches?: boolean; chunkSize?: number } = {}): Promise<void> {
    await this.withFd(async (fd) => {
      const scanner = new BatchScanner(fd, fromPosition, this.size, { wholeBatches: opts.wholeBatches ?? true, chunkSize: opts.chunkSize ?? 1 << 20 })
      for (let b = await scanner.next(); b !== null; b = await scanner.next()) {
        if ((await visit(b)) === false) break
      }
    })
  }

}

export interface ScannedBatchInfo {
  position: number
  size: number
  baseOffset: number
  lastOffset: number
  maxTimestamp: number
  partitionLeaderEpoch: number
}

function copyInfo(b: ScannedBatch): ScannedBatchInfo {
  return {
    position: b.position,
    size: b.size,
    baseOffset: b.baseOffset,
    lastOffset: b.lastOffset,
    maxTimestamp: b.maxTimestamp,
    partitionLeaderEpoch: b.partitionLeaderEpoch,
  }
}

async function statSize(fd: number): Promise<number> {
  return new Promise((resolve, reject) => fs.fstat(fd, (err, st) => (err ? reject(err) : resolve(st.size))))
}

/** The scanned batch as a BatchSlice over its own buffer. */
export function sliceOf(b: ScannedBatch): { buf: Buffer; slice: BatchSlice } {
  const buf = b.buf.subarray(b.bufPos, b.bufPos + b.size)
  return {
    buf,
    slice: {
      pos: 0,
      size: b.size,
      header: {
        baseOffset: b.baseOffset,
        batchLength: b.size - 12,
        partitionLeaderEpoch: b.partitionLeaderEpoch,
        magic: 2,
        crc: buf.readUInt32BE(BatchField.Crc),
        attributes: b.attributes,
        lastOffsetDelta: b.lastOffsetDelta,
        baseTimestamp: b.baseTimestamp,
        maxTimestamp: b.maxTimestamp,
        producerId: b.producerId,
        producerEpoch: b.producerEpoch,
        baseSequence: b.baseSequence,
        recordCount: b.recordCount,
      },
    },
  }
}

async function firstRecordAtOrAfter(b: ScannedBatch, ts: number, startingOffset: number): Promise<{ offset: number; timestamp: number } | null> {
  const { buf, slice } = sliceOf(b)
  const records = await decodeBatchRecords(buf, slice)
  for (const r of records) {
    if (r.timestamp >= ts && r.offset >= startingOffset) return { offset: r.offset, timestamp: r.timestamp }
  }
  return null
}

export { isNotFound }

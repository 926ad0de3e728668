/**
 * Log: one partition's append-only sequence of segments, with its leader epoch
 * cache and producer state. Appends are serialised through an internal queue;
 * reads run concurrently against a copy-on-write list of segments.
 */
import fs from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import {
  BATCH_HEADER_SIZE,
  ControlRecordType,
  ErrorCode,
  KafkaError,
  RecordBatchError,
  decodeBatchRecordsSync,
  decodeControlRecordKey,
  decodeEndTxnMarkerValue,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  splitBatches,
  type BatchSlice,
} from '../wire/index.js'
import { type Clock, type LogConfig, type Logger, consoleLogger, isDeletePolicy, makeLogConfig, systemClock } from './config.js'
import { FilePool } from './file-pool.js'
import { fsyncDir, isNotFound, unlinkIfExists } from './fsutil.js'
import { LeaderEpochCache, type EpochEndOffset } from './leader-epoch.js'
import {
  type AppendOrigin,
  type CompletedTxn,
  type ProducerAppendInfo,
  type ProducerCheckResult,
  ProducerStateManager,
  firstOffsetOf,
  incrementSequence,
} from './producer-state.js'
import { BatchScanner, type ScannedBatch } from './scanner.js'
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  LogSegment,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
  TXN_INDEX_SUFFIX,
  offsetFileName,
  offsetFromFileName,
  sliceOf,
  type AbortedTxn,
  type AppendBatchInfo,
  type SegmentContext,
} from './segment.js'
import { completeSwaps, removeSwapEnd, writeSwapEnd } from './swap.js'
import { checkBatchCrcs, checkBatchStructure } from './validation.js'

/** ListOffsets special timestamps. */
export const LATEST_TIMESTAMP = -1
export const EARLIEST_TIMESTAMP = -2
export const MAX_TIMESTAMP = -3
export const EARLIEST_LOCAL_TIMESTAMP = -4

export interface LogHooks {
  /** The log start offset moved (deleteRecordsBefore, retention): persist the checkpoint. */
  onLogStartOffsetChanged?(log: Log): Promise<void> | void
}

export interface LogOpenOptions {
  /** The partition directory, `<logDir>/<topic>-<partition>`. */
  dir: string
  topic?: string
  partition?: number
  config?: Partial<LogConfig>
  logger?: Logger
  clock?: Clock
  /** Shared descriptor pool (a private one when absent). */
  pool?: FilePool
  /** From recovery-point-offset-checkpoint; 0 (recover everything) when unknown. */
  recoveryPoint?: number
  /** From log-start-offset-checkpoint. */
  logStartOffset?: number
  /** From replication-offset-checkpoint. */
  highWatermark?: number
  /** The clean-shutdown marker was present: trust the files and skip recovery. */
  hadCleanShutdown?: boolean
  hooks?: LogHooks
}

export interface AppendOptions {
  /** Who is appending: 'client' (full producer checks, default), 'coordinator' (epoch checks only). */
  origin?: Exclude<AppendOrigin, 'replication'>
}

export interface AppendResult {
  /** Offset of the first record (for a duplicate: of the original batch). */
  firstOffset: number
  lastOffset: number
  /** The broker time stamped on the batches, or -1 under CreateTime. */
  logAppendTime: number
  logStartOffset: number
  logEndOffset: number
  /** Largest batch max timestamp in the append and the last offset of that batch. */
  maxTimestamp: number
  offsetOfMaxTimestamp: number
  /** True when the batch was a retried duplicate: nothing was written and the offsets are the original ones. */
  duplicate: boolean
  appendedBytes: number
  recordCount: number
  /** Transactions a COMMIT/ABORT marker in this append completed. */
  completedTxns: CompletedTxn[]
}

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

export interface LoadStats {
  cleanShutdown: boolean
  /** Whether any segment was scanned batch by batch (unclean start). */
  recoveryRan: boolean
  recoveredSegments: number
  recoveredBytes: number
  truncatedBytes: number
  producerReplayBatches: number
  loadTimeMs: number
}

interface ValidatedAppend {
  slices: BatchSlice[]
  recordCount: number
}

const INT32_MAX = 0x7fffffff

export class Log {
  readonly dir: string
  readonly topic: string
  readonly partition: number
  readonly name: string
  config: LogConfig
  readonly logger: Logger
  readonly clock: Clock
  readonly pool: FilePool
  private readonly ownsPool: boolean
  private readonly hooks: LogHooks
  private readonly ctx: SegmentContext

  /** Copy-on-write: replaced, never mutated, so readers can hold a snapshot. */
  private segments: LogSegment[] = []
  private _logStartOffset = 0
  private _logEndOffset = 0
  private _recoveryPoint = 0
  private _highWatermark = 0
  private hwKnown = false
  leaderEpochCache!: LeaderEpochCache
  readonly producerState: ProducerStateManager
  private queue: Promise<unknown> = Promise.resolve()
  private flushChain: Promise<void> = Promise.resolve()
  private unflushedMessages = 0
  private lastFlushTime: number
  private closed = false
  private readonly deleteTimers = new Set<NodeJS.Timeout>()
  /** Highest delete horizon the cleaner stamped (KIP-534), -1 if none. */
  latestDeleteHorizon = -1
  readonly loadStats: LoadStats = {
    cleanShutdown: false,
    recoveryRan: false,
    recoveredSegments: 0,
    recoveredBytes: 0,
    truncatedBytes: 0,
    producerReplayBatches: 0,
    loadTimeMs: 0,
  }

  private constructor(opts: LogOpenOptions) {
    this.dir = path.resolve(opts.dir)
    const parsed = parseTopicPartitionName(path.basename(this.dir))
    this.topic = opts.topic ?? parsed?.topic ?? path.basename(this.dir)
    this.partition = opts.partition ?? parsed?.partition ?? 0
    this.name = `${this.topic}-${this.partition}`
    this.config = makeLogConfig(opts.config ?? {})
    this.logger = opts.logger ?? consoleLogger
    this.clock = opts.clock ?? systemClock
    this.ownsPool = !opts.pool
    this.pool = opts.pool ?? new FilePool(64)
    this.hooks = opts.hooks ?? {}
    this.lastFlushTime = this.clock.now()
    this.ctx = { pool: this.pool, logger: this.logger, clock: this.clock, config: () => this.config, name: this.name }
    this.producerState = new ProducerStateManager(
      this.dir,
      this.name,
      this.logger,
      this.config.producerIdExpirationMs,
      this.config.rejectUnknownProducerSequence,
    )
  }

  /** Opens (creating if needed) the log in opts.dir, recovering it after an unclean shutdown. */
  static async open(opts: LogOpenOptions): Promise<Log> {
    const log = new Log(opts)
    try {
      await log.load(opts)
    } catch (e) {
      await log.closeSegments().catch(() => {})
      throw e
    }
    return log
  }

  // ---------------------------------------------------------------------------------------------
  // Offsets and state

  get logStartOffset(): number {
    return this._logStartOffset
  }
  get logEndOffset(): number {
    return this._logEndOffset
  }
  get recoveryPoint(): number {
    return this._recoveryPoint
  }
  get highWatermark(): number {
    return this._highWatermark
  }
  /** The high watermark if one was loaded or set, else undefined (for the replication layer). */
  get highWatermarkCheckpoint(): number | undefined {
    return this.hwKnown ? this._highWatermark : undefined
  }
  set highWatermarkCheckpoint(hw: number | undefined) {
    if (hw !== undefined) this.updateHighWatermark(hw)
  }

  /** Sets the high watermark (clamped to [logStartOffset, logEndOffset]); returns the value kept. */
  updateHighWatermark(hw: number): number {
    const v = Math.min(Math.max(hw, this._logStartOffset), this._logEndOffset)
    this._highWatermark = v
    this.hwKnown = true
    this.producerState.onHighWatermarkUpdated(v)
    return v
  }

  /** Kafka's last stable offset: the first unstable transaction offset below the high watermark, else the high watermark. */
  get lastStableOffset(): number {
    const fuo = this.producerState.firstUnstableOffset()
    return fuo !== undefined && fuo < this._highWatermark ? fuo : this._highWatermark
  }

  get activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1]!
  }
  get numberOfSegments(): number {
    return this.segments.length
  }
  /** Base offsets of the segments, ascending. */
  get segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset)
  }
  /** A snapshot of the segment list (for the cleaner and tests). */
  get segmentList(): readonly LogSegment[] {
    return this.segments
  }

  /** Total bytes of all segments. */
  async size(): Promise<number> {
    let total = 0
    for (const s of this.segments) total += await s.getSize()
    return total
  }

  get isClosed(): boolean {
    return this.closed
  }

  // ---------------------------------------------------------------------------------------------
  // Loading and recovery

  private async load(opts: LogOpenOptions): Promise<void> {
    const t0 = performance.now()
    await fs.promises.mkdir(this.dir, { recursive: true })
    let names = await fs.promises.readdir(this.dir)
    // Leftovers of interrupted deletes, cleanings and atomic writes.
    for (const n of names) {
      if (n.endsWith(DELETED_SUFFIX) || n.endsWith(CLEANED_SUFFIX) || n.endsWith('.tmp')) await unlinkIfExists(path.join(this.dir, n))
    }
    if (names.some((n) => n.endsWith(SWAP_SUFFIX) || n.endsWith('.swap.end'))) {
      await completeSwaps(this.dir, this.logger, this.name)
      names = await fs.promises.readdir(this.dir)
    }
    const nameSet = new Set(names)
    const bases = names
      .filter((n) => n.endsWith(LOG_SUFFIX) && n.length === 20 + LOG_SUFFIX.length)
      .map(offsetFromFileName)
      .filter((o) => Number.isFinite(o))
      .sort((a, b) => a - b)
    this.segments = bases.map((b) => {
      const seg = LogSegment.existing(this.ctx, this.dir, b)
      seg.hasTxnIndexFile = nameSet.has(offsetFileName(b) + TXN_INDEX_SUFFIX)
      return seg
    })
    this.producerState.setSnapshotFiles(names)
    this.leaderEpochCache = await LeaderEpochCache.load(this.dir, this.logger)

    const cleanShutdown = opts.hadCleanShutdown === true
    this.loadStats.cleanShutdown = cleanShutdown
    if (this.segments.length === 0) {
      const start = Math.max(opts.logStartOffset ?? 0, 0)
      const seg = await LogSegment.create(this.ctx, this.dir, start)
      this.segments = [seg]
      this._logEndOffset = start
    } else if (cleanShutdown) {
      const active = this.activeSegment
      const missing = !nameSet.has(offsetFileName(active.baseOffset) + INDEX_SUFFIX) || !nameSet.has(offsetFileName(active.baseOffset) + TIME_INDEX_SUFFIX)
      if (missing) this.logger.warn(`${this.name}: index files of the active segment ${active.baseOffset} are missing; rebuilding them`)
      await active.load()
      this._logEndOffset = await active.loadTail()
    } else {
      await this.recoverUnclean(opts.recoveryPoint ?? 0, nameSet)
    }
    for (const s of this.segments.slice(0, -1)) s.active = false
    this.activeSegment.active = true
    await this.activeSegment.load()

    // Log start offset: at least the first segment's base.
    let logStart = Math.max(opts.logStartOffset ?? 0, this.segments[0]!.baseOffset)
    if (logStart > this._logEndOffset) {
      this.logger.warn(
        `${this.name}: log start offset ${logStart} is above the log end offset ${this._logEndOffset}; starting the log empty at ${logStart}`,
      )
      this._logStartOffset = logStart
      await this.doTruncateFullyAndStartAt(logStart)
      logStart = this._logStartOffset
    }
    this._logStartOffset = logStart
    this._recoveryPoint = this._logEndOffset
    if (opts.highWatermark !== undefined) {
      this._highWatermark = Math.min(Math.max(opts.highWatermark, logStart), this._logEndOffset)
      this.hwKnown = true
    } else this._highWatermark = logStart

    await this.leaderEpochCache.truncateFromEnd(this._logEndOffset)
    await this.leaderEpochCache.truncateFromStart(this._logStartOffset)
    await this.rebuildProducerState()
    this.loadStats.loadTimeMs = performance.now() - t0
  }

  /** Scans every batch after the recovery point, cutting the log at the first bad one. */
  private async recoverUnclean(recoveryPoint: number, names: Set<string>): Promise<void> {
    this.loadStats.recoveryRan = true
    let idx = this.floorSegmentIndex(recoveryPoint)
    if (idx < 0) idx = 0
    const first = this.segments[idx]!
    let fromPos = 0
    const prefix = offsetFileName(first.baseOffset)
    const indexesPresent = names.has(prefix + INDEX_SUFFIX) && names.has(prefix + TIME_INDEX_SUFFIX)
    if (recoveryPoint > first.baseOffset && indexesPresent) {
      await first.load()
      fromPos = await this.recoveryStartPosition(first, recoveryPoint)
    } else await first.prepareForRecovery()
    let minOffset = first.baseOffset
    let lastGood = idx
    for (let i = idx; i < this.segments.length; i++) {
      const seg = this.segments[i]!
      if (i > idx) await seg.prepareForRecovery()
      const res = await seg.recover(i === idx ? fromPos : 0, minOffset)
      this.loadStats.recoveredSegments++
      this.loadStats.recoveredBytes += res.validBytes - (i === idx ? fromPos : 0)
      await seg.flush(true)
      lastGood = i
      if (res.reason !== undefined) {
        this.loadStats.truncatedBytes += res.truncatedBytes
        const dropped = this.segments.slice(i + 1)
        this.logger.warn(
          `${this.name}: recovery stopped at offset ${res.nextOffset} (segment ${seg.baseOffset}, position ${res.validBytes}): ${res.reason}; ` +
            `truncating ${res.truncatedBytes} bytes` +
            (dropped.length ? ` and deleting ${dropped.length} later segment(s) from offset ${dropped[0]!.baseOffset}` : ''),
        )
        for (const d of dropped) {
          this.loadStats.truncatedBytes += await d.getSize().catch(() => 0)
          await d.deleteFiles()
        }
        break
      }
      minOffset = res.nextOffset
    }
    this.segments = this.segments.slice(0, lastGood + 1)
    this._logEndOffset = this.activeSegment.nextOffsetKnown
    if (this._logEndOffset < 0) this._logEndOffset = this.activeSegment.baseOffset
    // Aborted-transaction entries past the recovered end are void (replay re-adds any that are missing).
    for (const seg of this.segments.slice(idx)) await seg.truncateTxnIndex(this._logEndOffset)
  }

  /** Position in `seg` where recovery of data from `offset` on starts (the batch holding it, or where a header walk fails). */
  private async recoveryStartPosition(seg: LogSegment, offset: number): Promise<number> {
    return seg.withFd(async (fd) => {
      const start = seg.offsetIndex!.lookup(offset).position
      const scanner = new BatchScanner(fd, start, seg.size, { chunkSize: 256 * 1024 })
      for (let b = await scanner.next(); b !== null; b = await scanner.next()) {
        if (b.lastOffset >= offset) return b.position
      }
      return scanner.position
    })
  }

  /** Loads the newest producer snapshot and replays the log from there to the end. */
  private async rebuildProducerState(): Promise<void> {
    const now = this.clock.now()
    const snap = await this.producerState.loadFromSnapshot(this._logStartOffset, this._logEndOffset, now)
    const from = snap ?? this._logStartOffset
    if (from < this._logEndOffset) {
      await this.replayProducerState(from, this._logEndOffset)
    }
    this.producerState.updateMapEndOffset(this._logEndOffset)
  }

  private async replayProducerState(from: number, to: number): Promise<void> {
    let i = Math.max(0, this.floorSegmentIndex(from))
    for (; i < this.segments.length; i++) {
      const seg = this.segments[i]!
      const pos = seg.baseOffset >= from ? 0 : (await seg.translateOffset(from))?.position
      if (pos === undefined) continue
      let done = false
      await seg.scan(pos, async (b) => {
        if (b.baseOffset >= to) {
          done = true
          return false
        }
        if (b.lastOffset < from) return true
        this.loadStats.producerReplayBatches++
        const c = this.producerState.replayBatch(b, b.producerId >= 0 && (b.attributes & 0x20) !== 0 ? readMarker(b) : null)
        if (c && c.txn.isAborted) {
          await seg.addAbortedTxn({ producerId: c.txn.producerId, firstOffset: c.txn.firstOffset, lastOffset: c.txn.lastOffset, lastStableOffset: c.lastStableOffset })
        }
        return true
      })
      if (done) break
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Append

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn)
    this.queue = p.catch(() => {})
    return p
  }

  private checkOpen(): void {
    if (this.closed) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `log ${this.name} is closed`)
  }

  private validate(records: Buffer, origin: AppendOrigin): ValidatedAppend {
    let slices: BatchSlice[]
    try {
      slices = splitBatches(records)
    } catch (e) {
      throw toKafkaError(e, `${this.name}: `)
    }
    const cfg = this.config
    if (records.length > cfg.segmentBytes) {
      throw new KafkaError(
        ErrorCode.RECORD_LIST_TOO_LARGE,
        `Message batch size is ${records.length} bytes in append to partition ${this.name} which exceeds the maximum configured segment size of ${cfg.segmentBytes}.`,
      )
    }
    const opts = {
      maxBatchBytes: origin === 'replication' ? Number.MAX_SAFE_INTEGER : cfg.maxMessageBytes,
      fromClient: origin === 'client',
      strictCounts: origin !== 'replication',
    }
    let recordCount = 0
    for (let i = 0; i < slices.length; i++) {
      checkBatchStructure(records, slices[i]!, i, opts)
      recordCount += slices[i]!.header.recordCount
    }
    return { slices, recordCount }
  }

  /**
   * Appends a produced record set as leader: validates every batch, assigns
   * offsets (and LogAppendTime when configured) in place, checks producer state,
   * and writes the bytes with one positional write. A retried duplicate is not
   * written again: the result then has duplicate=true and the original offsets.
   * Errors are KafkaErrors with Kafka's codes; on error nothing is written.
   */
  append(records: Buffer, leaderEpoch: number, opts: AppendOptions = {}): Promise<AppendResult> {
    const origin = opts.origin ?? 'client'
    let v: ValidatedAppend
    try {
      this.checkOpen()
      v = this.validate(records, origin)
    } catch (e) {
      return Promise.reject(e)
    }
    return this.enqueue(() => this.doAppend(records, v, leaderEpoch, origin, true))
  }

  /** Alias of append (the replication layer's name). */
  appendAsLeader(records: Buffer, leaderEpoch: number, opts: AppendOptions = {}): Promise<AppendResult> {
    return this.append(records, leaderEpoch, opts)
  }

  /** Appends batches fetched from the leader, keeping their offsets and epochs. */
  appendAsFollower(records: Buffer): Promise<AppendResult> {
    let v: ValidatedAppend
    try {
      this.checkOpen()
      v = this.validate(records, 'replication')
    } catch (e) {
      return Promise.reject(e)
    }
    return this.enqueue(() => this.doAppend(records, v, -1, 'replication', false))
  }

  private async doAppend(records: Buffer, v: ValidatedAppend, leaderEpoch: number, origin: AppendOrigin, assignOffsets: boolean): Promise<AppendResult> {
    this.checkOpen()
    const cfg = this.config
    const now = this.clock.now()
    const { slices } = v
    const result: AppendResult = {
      firstOffset: -1,
      lastOffset: -1,
      logAppendTime: -1,
      logStartOffset: this._logStartOffset,
      logEndOffset: this._logEndOffset,
      maxTimestamp: -1,
      offsetOfMaxTimestamp: -1,
      duplicate: false,
      appendedBytes: 0,
      recordCount: 0,
      completedTxns: [],
    }
    if (slices.length === 0) return result

    // 1. Offsets and timestamps. The CRCs are checked while the bytes are being written (below),
    //    except when LogAppendTime rewrites them: then first.
    const logAppendTime = assignOffsets && cfg.messageTimestampType === 'LogAppendTime'
    let crcChecked = false
    if (logAppendTime) {
      checkBatchCrcs(records, slices)
      crcChecked = true
    }
    let next = this._logEndOffset
    if (!assignOffsets) {
      const first = slices[0]!.header.baseOffset
      if (first < this._logEndOffset) {
        throw new KafkaError(
          ErrorCode.OFFSET_OUT_OF_RANGE,
          `${this.name}: follower append at offset ${first} is below the log end offset ${this._logEndOffset}`,
        )
      }
    }
    const infos: AppendBatchInfo[] = new Array(slices.length)
    for (let i = 0; i < slices.length; i++) {
      const s = slices[i]!
      const h = s.header
      if (assignOffsets) {
        h.baseOffset = next
        setBaseOffset(records, s.pos, next)
        setPartitionLeaderEpoch(records, s.pos, leaderEpoch)
        h.partitionLeaderEpoch = leaderEpoch
        if (logAppendTime) {
          setLogAppendTime(records, s.pos, now)
          h.maxTimestamp = now
          h.attributes |= 0x08
        } else if ((h.attributes & 0x20) === 0) {
          if (h.maxTimestamp > now + cfg.messageTimestampAfterMaxMs || (h.baseTimestamp >= 0 && h.baseTimestamp < now - cfg.messageTimestampBeforeMaxMs)) {
            const err = new KafkaError(
              ErrorCode.INVALID_TIMESTAMP,
              `${this.name}: batch ${i} has a timestamp out of range (base ${h.baseTimestamp}, max ${h.maxTimestamp}, now ${now})`,
            )
            ;(err as KafkaError & { batchIndex?: number }).batchIndex = i
            throw err
          }
        }
      } else if (h.baseOffset < next) {
        throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${this.name}: follower batch offsets go backwards at ${h.baseOffset} (expected >= ${next})`)
      }
      const last = h.baseOffset + h.lastOffsetDelta
      infos[i] = { size: s.size, lastOffset: last, maxTimestamp: h.maxTimestamp }
      if (h.maxTimestamp > result.maxTimestamp) {
        result.maxTimestamp = h.maxTimestamp
        result.offsetOfMaxTimestamp = last
      }
      next = last + 1
    }
    const firstOffset = slices[0]!.header.baseOffset
    const lastOffset = next - 1

    // 2. Producer state (nothing is committed until the write succeeded).
    const pending = new Map<number, ProducerAppendInfo>()
    const completed: CompletedTxn[] = []
    for (const s of slices) {
      const h = s.header
      if (h.producerId < 0) continue
      const isControl = (h.attributes & 0x20) !== 0
      if (origin === 'client' && !isControl) {
        const entry = this.producerState.lastEntry(h.producerId)
        const dup = entry?.findDuplicateBatch(h.producerEpoch, h.baseSequence, incrementSequence(h.baseSequence, h.lastOffsetDelta))
        if (dup) {
          if (!crcChecked) checkBatchCrcs(records, slices)
          result.firstOffset = firstOffsetOf(dup)
          result.lastOffset = dup.lastOffset
          result.duplicate = true
          result.logAppendTime = cfg.messageTimestampType === 'LogAppendTime' ? dup.timestamp : -1
          result.maxTimestamp = dup.timestamp
          result.offsetOfMaxTimestamp = dup.lastOffset
          return result
        }
      }
      let info = pending.get(h.producerId)
      if (!info) {
        info = this.producerState.prepareUpdate(h.producerId, origin)
        pending.set(h.producerId, info)
      }
      if (isControl) {
        const marker = readMarkerFrom(records, s)
        if (marker) {
          const c = info.appendEndTxnMarker(marker.isAbort, marker.coordinatorEpoch, h.producerEpoch, h.baseOffset, marker.timestamp)
          if (c) completed.push(c)
        }
      } else {
        info.appendDataBatch(
          h.producerEpoch,
          h.baseSequence,
          incrementSequence(h.baseSequence, h.lastOffsetDelta),
          h.maxTimestamp,
          h.baseOffset,
          h.baseOffset + h.lastOffsetDelta,
          (h.attributes & 0x10) !== 0,
        )
      }
    }

    // 3. Leader epochs, roll, write (with the CRC checks overlapping the write).
    const epochsBefore = this.leaderEpochCache.latestEpoch
    for (const s of slices) {
      const e = s.header.partitionLeaderEpoch
      if (e >= 0 && this.leaderEpochCache.needsAssign(e, s.header.baseOffset)) {
        if (e < this.leaderEpochCache.latestEpoch && assignOffsets) continue
        await this.leaderEpochCache.assign(e, s.header.baseOffset)
      }
    }
    if (this.activeSegment.shouldRoll(records.length, result.maxTimestamp, lastOffset, now) !== null || lastOffset - this.activeSegment.baseOffset > INT32_MAX) {
      await this.maybeRoll(records.length, result.maxTimestamp, firstOffset, lastOffset, now)
    }
    const active = this.activeSegment
    try {
      await active.append(records, infos, crcChecked ? undefined : () => checkBatchCrcs(records, slices))
    } catch (e) {
      if (this.leaderEpochCache.latestEpoch !== epochsBefore) await this.leaderEpochCache.truncateFromEnd(this._logEndOffset)
      if (e instanceof KafkaError) throw e
      this.logger.error(`${this.name}: append of ${records.length} bytes at offset ${firstOffset} failed: ${(e as Error).message}`)
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${this.name}: ${(e as Error).message}`)
    }
    this._logEndOffset = next

    // 4. Commit producer state; aborted transactions go to the transaction index.
    for (const info of pending.values()) this.producerState.update(info)
    for (const c of completed) {
      const lso = this.producerState.lastStableOffset(c)
      if (c.isAborted) {
        await active.addAbortedTxn({ producerId: c.producerId, firstOffset: c.firstOffset, lastOffset: c.lastOffset, lastStableOffset: lso })
      }
      this.producerState.completeTxn(c)
    }
    this.producerState.updateMapEndOffset(next)

    result.firstOffset = firstOffset
    result.lastOffset = lastOffset
    result.logAppendTime = logAppendTime ? now : -1
    result.logEndOffset = next
    result.logStartOffset = this._logStartOffset
    result.appendedBytes = records.length
    result.recordCount = v.recordCount
    result.completedTxns = completed

    // 5. Durability.
    this.unflushedMessages += v.recordCount
    if (this.unflushedMessages >= cfg.flushMessages) await this.flushActive()
    return result
  }

  /** Checks a batch header against producer state without changing anything. */
  checkProducerBatch(h: { producerId: number; producerEpoch: number; baseSequence: number; lastOffsetDelta: number; maxTimestamp?: number; attributes?: number; baseOffset?: number }, origin: AppendOrigin = 'client'): ProducerCheckResult {
    return this.producerState.checkProducerBatch(
      {
        producerId: h.producerId,
        producerEpoch: h.producerEpoch,
        baseSequence: h.baseSequence,
        lastOffsetDelta: h.lastOffsetDelta,
        maxTimestamp: h.maxTimestamp ?? -1,
        attributes: h.attributes ?? 0,
        baseOffset: h.baseOffset ?? this._logEndOffset,
      },
      origin,
    )
  }

  private async maybeRoll(bytes: number, maxTimestamp: number, firstOffset: number, lastOffset: number, now: number): Promise<void> {
    const active = this.activeSegment
    const why = active.shouldRoll(bytes, maxTimestamp, lastOffset, now)
    if (why === null) {
      if (lastOffset - active.baseOffset > INT32_MAX && active.size === 0 && firstOffset > active.baseOffset) {
        await this.roll(firstOffset)
      }
      return
    }
    await this.roll(firstOffset)
  }

  /** Starts a new active segment at max(expectedNextOffset, logEndOffset). Must run inside the queue. */
  private async roll(expectedNextOffset = 0): Promise<LogSegment> {
    const newBase = Math.max(expectedNextOffset, this._logEndOffset)
    const old = this.activeSegment
    if (old.baseOffset === newBase && old.size === 0) return old
    if (newBase <= old.baseOffset) return old
    await old.onBecomeInactive()
    const seg = await LogSegment.create(this.ctx, this.dir, newBase)
    seg.active = true
    this.segments = [...this.segments, seg]
    if (this.producerState.mapEndOffset < newBase) this.producerState.updateMapEndOffset(newBase)
    // Not fsynced: a snapshot lost in a power failure is detected (CRC, size) and an older one used.
    await this.producerState.takeSnapshot(false)
    // Flush the finished segment in the background (in order); the recovery point follows.
    this.flushChain = this.flushChain.then(async () => {
      try {
        await old.flush(true)
        if (!old.deleted && this._recoveryPoint < newBase && this._logEndOffset >= newBase) this._recoveryPoint = newBase
      } catch (e) {
        this.logger.error(`${this.name}: flushing segment ${old.baseOffset} failed: ${(e as Error).message}`)
      }
    })
    this.logger.info(`${this.name}: rolled new log segment at offset ${newBase}`)
    return seg
  }

  /** Rolls the active segment now (serialised with appends). */
  rollNow(): Promise<LogSegment> {
    return this.enqueue(() => this.roll(this._logEndOffset))
  }

  // ---------------------------------------------------------------------------------------------
  // Durability

  private async flushActive(): Promise<void> {
    const upTo = this._logEndOffset
    await this.flushChain
    await this.activeSegment.flush(false)
    this.unflushedMessages = 0
    this.lastFlushTime = this.clock.now()
    if (upTo > this._recoveryPoint && upTo <= this._logEndOffset) this._recoveryPoint = upTo
  }

  /** fsyncs everything appended so far (serialised with appends); the recovery point moves to the log end. */
  flush(): Promise<void> {
    return this.enqueue(async () => {
      if (!this.closed) await this.flushActive()
    })
  }

  /** Flushes when flush.ms has passed since the last flush and there is unflushed data (called by the LogManager). */
  async maybeFlushByTime(now = this.clock.now()): Promise<boolean> {
    if (this.unflushedMessages === 0 || this.config.flushMs >= Number.MAX_SAFE_INTEGER) return false
    if (now - this.lastFlushTime < this.config.flushMs) return false
    await this.flush()
    return true
  }

  // ---------------------------------------------------------------------------------------------
  // Read

  /**
   * Whole batches from the one holding `offset`, at most maxBytes (at least one
   * batch with minOneMessage), none at or past upperBound (default: log end).
   * Throws KafkaError OFFSET_OUT_OF_RANGE outside [logStartOffset, logEndOffset].
   */
  async read(offset: number, maxBytes: number, upperBound?: number, minOneMessage = true): Promise<ReadResult> {
    this.checkOpen()
    for (let attempt = 0; ; attempt++) {
      const logStart = this._logStartOffset
      const leo = this._logEndOffset
      if (offset < logStart || offset > leo) {
        throw new KafkaError(
          ErrorCode.OFFSET_OUT_OF_RANGE,
          `Received request for offset ${offset} for partition ${this.name}, but we only have log segments in the range ${logStart} to ${leo}.`,
        )
      }
      const upper = Math.min(upperBound ?? leo, leo)
      const empty: ReadResult = {
        records: Buffer.alloc(0),
        firstOffset: -1,
        nextOffset: offset,
        logStartOffset: logStart,
        logEndOffset: leo,
        highWatermark: this._highWatermark,
      }
      if (offset >= upper) return empty
      const segs = this.segments
      try {
        let i = floorIndex(segs, offset)
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

  // ---------------------------------------------------------------------------------------------
  // Offsets by time and epoch

  /** The first offset whose record timestamp is >= ts (Kafka's ListOffsets by time), or null. */
  async offsetForTimestamp(ts: number): Promise<TimestampOffset | null> {
    const segs = this.segments
    const logStart = this._logStartOffset
    for (const s of segs) {
      if ((await s.getLargestTimestamp()) < ts) continue
      const hit = await s.findOffsetByTimestamp(ts, logStart)
      if (hit) return hit
    }
    return null
  }

  /**
   * ListOffsets: EARLIEST (-2, also -4), LATEST (-1, the log end offset), MAX_TIMESTAMP (-3)
   * or a timestamp. Null when no record qualifies (Kafka answers offset -1 then).
   */
  async listOffset(timestamp: number): Promise<TimestampOffset | null> {
    if (timestamp === EARLIEST_TIMESTAMP || timestamp === EARLIEST_LOCAL_TIMESTAMP) {
      return { offset: this._logStartOffset, timestamp: -1, leaderEpoch: this.leaderEpochCache.epochForOffset(this._logStartOffset) }
    }
    if (timestamp === LATEST_TIMESTAMP) {
      return { offset: this._logEndOffset, timestamp: -1, leaderEpoch: this.leaderEpochCache.latestEpoch }
    }
    if (timestamp === MAX_TIMESTAMP) return this.maxTimestampOffset()
    if (timestamp < 0) return null
    return this.offsetForTimestamp(timestamp)
  }

  /** The record with the largest timestamp (ListOffsets -3), or null for an empty log. */
  async maxTimestampOffset(): Promise<TimestampOffset | null> {
    let best: LogSegment | null = null
    let bestTs = -1
    for (const s of this.segments) {
      await s.load()
      if (s.maxTimestampSoFar > bestTs) {
        bestTs = s.maxTimestampSoFar
        best = s
      }
    }
    if (!best) return null
    return best.maxTimestampRecord()
  }

  /** OffsetForLeaderEpoch: (epoch, end offset) per Kafka's rules; (-1, -1) when unknown. */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.leaderEpochCache.endOffsetFor(epoch, this._logEndOffset)
  }

  /** Records that `epoch` starts at `startOffset` (a new leader); persisted in the background, serialised with appends. */
  assignEpochStartOffset(epoch: number, startOffset: number): void {
    if (!this.leaderEpochCache.needsAssign(epoch, startOffset)) return
    void this.enqueue(() => this.leaderEpochCache.assign(epoch, startOffset)).catch((e) =>
      this.logger.error(`${this.name}: cannot persist leader epoch ${epoch}: ${(e as Error).message}`),
    )
  }

  /**
   * Aborted transactions a read_committed fetch of [startOffset, upperBound) must
   * know about (FetchResponse aborted_transactions): entries whose marker is at or
   * after startOffset and whose first offset is below upperBound.
   */
  async collectAbortedTransactions(startOffset: number, upperBound: number): Promise<AbortedTxn[]> {
    const segs = this.segments
    const out: AbortedTxn[] = []
    for (let i = Math.max(0, floorIndex(segs, startOffset)); i < segs.length; i++) {
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

  // ---------------------------------------------------------------------------------------------
  // Truncation and log start

  /** Removes everything at and after `offset` (follower truncation). Returns whether anything was removed. */
  truncateTo(offset: number): Promise<boolean> {
    if (offset < 0) return Promise.reject(new RangeError(`cannot truncate to a negative offset ${offset}`))
    return this.enqueue(async () => {
      this.checkOpen()
      if (offset >= this._logEndOffset) return false
      this.logger.info(`${this.name}: truncating to offset ${offset} (log end offset ${this._logEndOffset})`)
      if (this.segments[0]!.baseOffset > offset) {
        await this.doTruncateFullyAndStartAt(offset)
        return true
      }
      await this.flushChain
      const keep = this.segments.filter((s) => s.baseOffset <= offset)
      const drop = this.segments.filter((s) => s.baseOffset > offset)
      this.segments = keep
      for (const d of drop) await this.deleteSegment(d)
      const active = this.activeSegment
      await active.load()
      active.active = true
      await active.truncateTo(offset)
      this._logEndOffset = Math.max(active.nextOffsetKnown, active.baseOffset)
      await active.truncateTxnIndex(this._logEndOffset)
      this._recoveryPoint = Math.min(this._recoveryPoint, this._logEndOffset)
      if (this._highWatermark > this._logEndOffset) this._highWatermark = this._logEndOffset
      await this.leaderEpochCache.truncateFromEnd(this._logEndOffset)
      // Producer state: newest snapshot at or below the new end, then replay.
      await this.producerState.deleteSnapshotsAfter(this._logEndOffset)
      await this.rebuildProducerState()
      return true
    })
  }

  /** Deletes all data and starts the log empty at newOffset (follower far behind, or topic reset). */
  truncateFullyAndStartAt(newOffset: number): Promise<void> {
    return this.enqueue(async () => {
      this.checkOpen()
      await this.doTruncateFullyAndStartAt(newOffset)
    })
  }

  private async doTruncateFullyAndStartAt(newOffset: number): Promise<void> {
    this.logger.info(`${this.name}: truncating fully and starting at offset ${newOffset}`)
    await this.flushChain
    const old = this.segments
    const seg = await LogSegment.create(this.ctx, this.dir, newOffset, CLEANED_SUFFIX)
    seg.active = true
    for (const s of old) await this.deleteSegment(s)
    await seg.changeSuffix('')
    this.segments = [seg]
    this._logStartOffset = newOffset
    this._logEndOffset = newOffset
    this._recoveryPoint = newOffset
    this._highWatermark = newOffset
    this.unflushedMessages = 0
    await this.leaderEpochCache.clear()
    await this.producerState.truncateFullyAndStartAt(newOffset)
    await this.hooks.onLogStartOffsetChanged?.(this)
  }

  /**
   * DeleteRecords: moves the log start offset to `offset` (at most the high
   * watermark), removes the segments wholly below it and persists the new start
   * through the hook (the log-start-offset checkpoint). Returns the log start offset.
   */
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.enqueue(async () => {
      this.checkOpen()
      if (offset > this._highWatermark) {
        throw new KafkaError(
          ErrorCode.OFFSET_OUT_OF_RANGE,
          `Cannot increment the log start offset to ${offset} of partition ${this.name} since it is larger than the high watermark ${this._highWatermark}`,
        )
      }
      if (offset > this._logStartOffset) {
        await this.incrementLogStartOffset(offset)
        await this.deleteSegmentsWhile((s, next) => next !== undefined && next.baseOffset <= this._logStartOffset)
        await this.hooks.onLogStartOffsetChanged?.(this)
      }
      return this._logStartOffset
    })
  }

  private async incrementLogStartOffset(offset: number): Promise<void> {
    if (offset <= this._logStartOffset) return
    this._logStartOffset = offset
    if (this._highWatermark < offset) this._highWatermark = offset
    if (this._recoveryPoint < offset) this._recoveryPoint = Math.min(offset, this._logEndOffset)
    await this.leaderEpochCache.truncateFromStart(offset)
    this.producerState.onLogStartOffsetIncremented(offset)
  }

  // ---------------------------------------------------------------------------------------------
  // Retention

  /**
   * Deletes whole segments by retention.ms, retention.bytes (delete policy) and
   * below the log start offset (any policy). Only segments wholly below the high
   * watermark go; if the active segment qualifies it is rolled first. Returns the
   * number of segments deleted.
   */
  deleteOldSegments(): Promise<number> {
    return this.enqueue(async () => {
      if (this.closed) return 0
      let n = await this.deleteSegmentsWhile((s, next) => next !== undefined && next.baseOffset <= this._logStartOffset)
      const cfg = this.config
      if (isDeletePolicy(cfg)) {
        const now = this.clock.now()
        if (cfg.retentionMs >= 0) {
          n += await this.deleteSegmentsWhile(async (s) => now - (await s.getLargestTimestamp()) > cfg.retentionMs, 'retention.ms')
        }
        if (cfg.retentionBytes >= 0) {
          let diff = (await this.size()) - cfg.retentionBytes
          if (diff > 0) {
            n += await this.deleteSegmentsWhile(async (s) => {
              const sz = await s.getSize()
              if (diff - sz >= 0) {
                diff -= sz
                return true
              }
              return false
            }, 'retention.bytes')
          }
        }
      }
      if (n > 0) await this.hooks.onLogStartOffsetChanged?.(this)
      return n
    })
  }

  /** Deletes segments from the start while `pred` holds and they lie below the high watermark. Inside the queue. */
  private async deleteSegmentsWhile(pred: (s: LogSegment, next: LogSegment | undefined) => boolean | Promise<boolean>, reason?: string): Promise<number> {
    const segs = this.segments
    const deletable: LogSegment[] = []
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!
      const next = segs[i + 1]
      const upper = next ? next.baseOffset : this._logEndOffset
      const lastAndEmpty = !next && s.size === 0
      if (lastAndEmpty || this._highWatermark < upper) break
      if (!(await pred(s, next))) break
      deletable.push(s)
    }
    if (deletable.length === 0) return 0
    if (deletable.length === segs.length) await this.roll(this._logEndOffset)
    await this.flushChain
    const remaining = this.segments.filter((s) => !deletable.includes(s))
    this.segments = remaining
    for (const d of deletable) await this.deleteSegment(d)
    if (reason) {
      this.logger.info(
        `${this.name}: deleting ${deletable.length} segment(s) [${deletable.map((d) => d.baseOffset).join(', ')}] by ${reason}`,
      )
    }
    await this.incrementLogStartOffset(this.segments[0]!.baseOffset)
    await this.producerState.deleteSnapshotsBefore(Math.min(this.segments[0]!.baseOffset, this.producerState.latestSnapshotOffset() ?? Infinity))
    return deletable.length
  }

  /** Renames a segment's files to *.deleted and removes them after file.delete.delay.ms. */
  private async deleteSegment(seg: LogSegment, dropSnapshot = true): Promise<void> {
    seg.deleted = true
    seg.active = false
    try {
      await seg.changeSuffix(DELETED_SUFFIX)
    } catch (e) {
      if (!isNotFound(e)) throw e
    }
    if (dropSnapshot) await this.producerState.removeSnapshot(seg.baseOffset).catch(() => {})
    this.scheduleFileDelete(seg)
  }

  private scheduleFileDelete(seg: LogSegment): void {
    const run = (): void => {
      seg.deleteFiles().catch((e) => this.logger.warn(`${this.name}: deleting ${seg.filePath()}: ${(e as Error).message}`))
    }
    const delay = this.config.fileDeleteDelayMs
    const t = setTimeout(() => {
      this.deleteTimers.delete(t)
      run()
    }, Math.min(delay, 0x7fffffff))
    t.unref()
    this.deleteTimers.add(t)
  }

  // ---------------------------------------------------------------------------------------------
  // Segment replacement (the cleaner)

  /**
   * Replaces `oldSegs` (consecutive, not the active one) by `cleaned`, which was
   * written with the CLEANED suffix. Crash-safe: .cleaned → .swap (commit point,
   * after writing `<base>.swap.end`), old segments → .deleted, .swap → live names.
   */
  async replaceSegments(cleaned: LogSegment, oldSegs: LogSegment[], endOffset: number): Promise<void> {
    await this.enqueue(async () => {
      this.checkOpen()
      const current = this.segments
      if (!oldSegs.every((s) => current.includes(s)) || oldSegs.includes(this.activeSegment)) {
        throw new Error(`${this.name}: segments changed while cleaning; discarding the cleaned segment`)
      }
      await cleaned.flush(true)
      await writeSwapEnd(this.dir, cleaned.baseOffset, endOffset)
      await cleaned.changeSuffix(SWAP_SUFFIX)
      await fsyncDir(this.dir)
      // Old segments out (readers keep their open descriptors), then the swap in.
      for (const s of oldSegs) await this.deleteSegment(s, false)
      await cleaned.changeSuffix('')
      await fsyncDir(this.dir)
      await removeSwapEnd(this.dir, cleaned.baseOffset)
      const first = current.indexOf(oldSegs[0]!)
      const next = current.filter((s) => !oldSegs.includes(s))
      next.splice(first, 0, cleaned)
      this.segments = next
    })
  }

  /** The segment context (for the cleaner to create segments). */
  get segmentContext(): SegmentContext {
    return this.ctx
  }

  // ---------------------------------------------------------------------------------------------
  // Config and lifecycle

  /** Applies a new config (index sizes apply to new segments). */
  updateConfig(cfg: Partial<LogConfig>): void {
    this.config = makeLogConfig(cfg, this.config)
    this.producerState.producerIdExpirationMs = this.config.producerIdExpirationMs
    this.producerState.strictUnknownProducer = this.config.rejectUnknownProducerSequence
  }

  /** Forgets producers idle past producer.id.expiration.ms. */
  removeExpiredProducers(now = this.clock.now()): number {
    return this.producerState.removeExpiredProducers(now)
  }

  /** Runs fn serialised with appends (for the cleaner and tests). */
  runExclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.enqueue(fn)
  }

  /**
   * Clean close: waits for queued appends, fsyncs data and indexes, writes a
   * producer snapshot at the log end. The log cannot be used afterwards.
   */
  close(): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed) return
      await this.flushChain
      const active = this.activeSegment
      await active.flush(true)
      this._recoveryPoint = this._logEndOffset
      this.producerState.updateMapEndOffset(this._logEndOffset)
      await this.producerState.takeSnapshot()
      this.closed = true
      await this.closeSegments()
    })
  }

  private async closeSegments(): Promise<void> {
    for (const s of this.segments) await s.close()
    if (this.ownsPool) await this.pool.closeAll()
  }

  /** Closes without flushing (simulates a crash in tests; also used before deleting a log). */
  async closeAbruptly(): Promise<void> {
    this.closed = true
    await this.queue.catch(() => {})
    for (const t of this.deleteTimers) clearTimeout(t)
    this.deleteTimers.clear()
    await this.closeSegments()
  }

  /** Cancels pending delayed file deletions and deletes those files now. */
  async deletePendingFilesNow(): Promise<void> {
    for (const t of this.deleteTimers) clearTimeout(t)
    this.deleteTimers.clear()
    const names = await fs.promises.readdir(this.dir).catch(() => [] as string[])
    for (const n of names) if (n.endsWith(DELETED_SUFFIX)) await unlinkIfExists(path.join(this.dir, n))
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** Index of the segment with the largest base offset <= offset, or -1. */
  private floorSegmentIndex(offset: number): number {
    return floorIndex(this.segments, offset)
  }
}

function floorIndex(segs: readonly LogSegment[], offset: number): number {
  let lo = 0
  let hi = segs.length - 1
  let ans = -1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    if (segs[mid]!.baseOffset <= offset) {
      ans = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  return ans
}

/** Parses "<topic>-<partition>" (the partition is after the last dash). */
export function parseTopicPartitionName(name: string): { topic: string; partition: number } | null {
  const m = /^(.+)-(\d+)$/.exec(name)
  if (!m) return null
  return { topic: m[1]!, partition: Number(m[2]) }
}

function toKafkaError(e: unknown, prefix: string): KafkaError {
  if (e instanceof KafkaError) return e
  if (e instanceof RecordBatchError) return new KafkaError(e.errorCode, prefix + e.message)
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, prefix + String((e as Error)?.message ?? e))
}

interface Marker {
  isAbort: boolean
  coordinatorEpoch: number
  timestamp: number
}

function markerOf(buf: Buffer, slice: BatchSlice): Marker | null {
  try {
    const recs = decodeBatchRecordsSync(buf, slice, { zeroCopy: true })
    const r = recs[0]
    if (!r) return null
    const key = decodeControlRecordKey(r.key)
    if (key.type !== ControlRecordType.Abort && key.type !== ControlRecordType.Commit) return null
    const value = decodeEndTxnMarkerValue(r.value)
    return { isAbort: key.type === ControlRecordType.Abort, coordinatorEpoch: value.coordinatorEpoch, timestamp: r.timestamp }
  } catch {
    return null
  }
}

function readMarkerFrom(records: Buffer, s: BatchSlice): Marker | null {
  if (s.size < BATCH_HEADER_SIZE) return null
  return markerOf(records, s)
}

/** The COMMIT/ABORT marker of a scanned control batch (needs whole bytes). */
export function readMarker(b: ScannedBatch): Marker | null {
  if (!b.whole) return null
  const { buf, slice } = sliceOf(b)
  return markerOf(buf, slice)
}

/**
 * Log: one partition's append-only sequence of segments, with its leader epoch
 * cache and producer state. Appends are serialised through an internal queue;
 * reads run concurrently against a copy-on-write list of segments.
 */
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { ErrorCode, KafkaError, setBaseOffset, setLogAppendTime, setPartitionLeaderEpoch, type BatchSlice } from '../wire/index.js'
import { type Clock, type LogConfig, type Logger, consoleLogger, isDeletePolicy, makeLogConfig, systemClock } from './config.js'
import { FilePool } from './file-pool.js'
import { fsyncDir } from './fsutil.js'
import { LeaderEpochCache, type EpochEndOffset } from './leader-epoch.js'
import { collectAbortedTransactions, maxTimestampOffset, offsetForTimestamp, readLog, type ReadResult, type TimestampOffset } from './log-read.js'
import { commitProducerAppend, planProducerAppend, rebuildProducerState, type ProducerAppendPlan } from './log-producer-state.js'
import { emptyLoadStats, loadSegments, openPartitionDir, type LoadStats } from './log-recovery.js'
import { type AppendOrigin, type CompletedTxn, type ProducerCheckResult, ProducerStateManager, firstOffsetOf } from './producer-state.js'
import { CLEANED_SUFFIX, LogSegment, SWAP_SUFFIX, type AbortedTxn, type AppendBatchInfo, type SegmentContext } from './segment.js'
import { SegmentDeleter } from './segment-deleter.js'
import { removeSwapEnd, writeSwapEnd } from './swap.js'
import { checkAppendCrcs, checkBatchTimestamps, validateAppend, type ValidatedAppend } from './validation.js'

export type { LoadStats, ReadResult, TimestampOffset }

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
  /**
   * Write the batches at the end of the event loop's turn, with everything else appended in it,
   * instead of before the append resolves. Only for callers whose acknowledgement leaves through
   * util/turn-end's releaseAtTurnEnd (the broker's connections), so that it follows the write.
   */
  deferWrite?: boolean
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
  completedTxns: readonly CompletedTxn[]
}

const INT32_MAX = 0x7fffffff

/** A record set numbered and checked, on its way to the segment (Log.doAppend's steps 3-5). */
interface PreparedAppend {
  records: Buffer
  slices: BatchSlice[]
  infos: AppendBatchInfo[]
  result: AppendResult
  plan: Extract<ProducerAppendPlan, { duplicate: null }>
  /** The log end offset after the append. */
  next: number
  now: number
  logAppendTime: boolean
  recordCount: number
  assignOffsets: boolean
  deferWrite: boolean
}

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
  /** Operations in the queue (waiting or running): an append may run at once only when none are. */
  private queued = 0
  private flushChain: Promise<void> = Promise.resolve()
  private unflushedMessages = 0
  private lastFlushTime: number
  private closed = false
  /** A failed write took the log offline: every later call fails with KAFKA_STORAGE_ERROR. */
  private failure: Error | null = null
  private readonly deleter: SegmentDeleter
  /** Highest delete horizon the cleaner stamped (KIP-534), -1 if none. */
  latestDeleteHorizon = -1
  readonly loadStats: LoadStats = emptyLoadStats()

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
    this.ctx = {
      pool: this.pool,
      logger: this.logger,
      clock: this.clock,
      config: () => this.config,
      name: this.name,
      onWriteFailure: (e) => {
        this.failure ??= e
      },
    }
    this.deleter = new SegmentDeleter(this.dir, this.logger, this.name, () => this.config.fileDeleteDelayMs)
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
    const { names, segments } = await openPartitionDir(this.ctx, this.dir)
    this.segments = segments
    this.producerState.setSnapshotFiles(names)
    this.leaderEpochCache = await LeaderEpochCache.load(this.dir, this.logger)
    const loaded = await loadSegments(
      this.ctx,
      this.dir,
      segments,
      new Set(names),
      { cleanShutdown: opts.hadCleanShutdown === true, recoveryPoint: opts.recoveryPoint ?? 0, logStartOffset: opts.logStartOffset ?? 0 },
      this.loadStats,
    )
    this.segments = loaded.segments
    this._logEndOffset = loaded.logEndOffset
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

    // In memory only: the files say the same after every load (see truncateFromEnd).
    await this.leaderEpochCache.truncateFromEnd(this._logEndOffset, false)
    await this.leaderEpochCache.truncateFromStart(this._logStartOffset, false)
    await this.rebuildProducerState()
    this.loadStats.loadTimeMs = performance.now() - t0
  }

  /** Loads the newest producer snapshot and replays the log from there to the end. */
  private rebuildProducerState(): Promise<void> {
    return rebuildProducerState(this.producerState, this.segments, this._logStartOffset, this._logEndOffset, this.clock.now(), this.loadStats)
  }

  // ---------------------------------------------------------------------------------------------
  // Append

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    this.queued++
    const p = this.queue.then(fn)
    this.queue = p.then(this.dequeued, this.dequeued)
    return p
  }

  /** Counts an operation that started at once (nothing was queued) but must finish asynchronously. */
  private track<T>(p: Promise<T>): void {
    this.queued++
    this.queue = p.then(this.dequeued, this.dequeued)
  }

  private readonly dequeued = (): void => {
    this.queued--
  }

  private checkOpen(): void {
    if (this.closed) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `log ${this.name} is closed`)
    if (this.failure) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.name} is offline after a failed write: ${this.failure.message}`)
  }

  /**
   * Appends a produced record set as leader: validates every batch, assigns
   * offsets (and LogAppendTime when configured) in place, checks producer state,
   * and writes the bytes with one positional write. A retried duplicate is not
   * written again: the result then has duplicate=true and the original offsets.
   * Errors are KafkaErrors with Kafka's codes; on error nothing is written.
   */
  append(records: Buffer, leaderEpoch: number, opts: AppendOptions = {}): Promise<AppendResult> {
    try {
      return Promise.resolve(this.appendNowOrQueued(records, leaderEpoch, opts))
    } catch (e) {
      return Promise.reject(e)
    }
  }

  /** Alias of append (the replication layer's name). */
  appendAsLeader(records: Buffer, leaderEpoch: number, opts: AppendOptions = {}): Promise<AppendResult> {
    return this.append(records, leaderEpoch, opts)
  }

  /**
   * append() without a promise where none is needed, for the produce path: when nothing is queued
   * and the append waits for no I/O (no roll, no new leader epoch, no write above 4 MiB, no flush
   * due), it is complete when this returns; otherwise the result is a promise. Errors are thrown
   * (or rejected, for the promise) as append() rejects with them.
   */
  appendNowOrQueued(records: Buffer, leaderEpoch: number, opts: AppendOptions = {}): AppendResult | Promise<AppendResult> {
    this.checkOpen()
    const origin = opts.origin ?? 'client'
    const deferWrite = opts.deferWrite === true
    // The batch headers are checked at once: a bad request never waits for the queue.
    const v = validateAppend(records, origin, this.config, this.name)
    if (this.queued === 0) {
      const r = this.doAppend(records, v, leaderEpoch, origin, true, deferWrite)
      if (r instanceof Promise) this.track(r)
      return r
    }
    return this.enqueue(async () => this.doAppend(records, v, leaderEpoch, origin, true, deferWrite))
  }

  /** Appends batches fetched from the leader, keeping their offsets and epochs. */
  appendAsFollower(records: Buffer): Promise<AppendResult> {
    let v: ValidatedAppend
    try {
      this.checkOpen()
      v = validateAppend(records, 'replication', this.config, this.name)
    } catch (e) {
      return Promise.reject(e)
    }
    return this.enqueue(async () => this.doAppend(records, v, -1, 'replication', false, false))
  }

  /**
   * Numbers, checks and writes one record set. Synchronous unless a step needs I/O first (a new
   * leader epoch, a roll, a large write, an aborted transaction's index entry, a due flush).
   */
  private doAppend(records: Buffer, v: ValidatedAppend, leaderEpoch: number, origin: AppendOrigin, assignOffsets: boolean, deferWrite: boolean): AppendResult | Promise<AppendResult> {
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

    // 1. CRCs (before anything is rewritten in place: LogAppendTime recomputes them), offsets and timestamps.
    checkAppendCrcs(records, slices)
    const logAppendTime = assignOffsets && cfg.messageTimestampType === 'LogAppendTime'
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
          checkBatchTimestamps(h, i, now, cfg, this.name)
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

    // 2. Producer state (nothing is committed until the write succeeded).
    const plan = planProducerAppend(this.producerState, records, slices, origin)
    if (plan.duplicate) {
      const dup = plan.duplicate
      result.firstOffset = firstOffsetOf(dup)
      result.lastOffset = dup.lastOffset
      result.duplicate = true
      result.logAppendTime = cfg.messageTimestampType === 'LogAppendTime' ? dup.timestamp : -1
      result.maxTimestamp = dup.timestamp
      result.offsetOfMaxTimestamp = dup.lastOffset
      return result
    }

    const a: PreparedAppend = { records, slices, infos, result, plan, next, now, logAppendTime, recordCount: v.recordCount, assignOffsets, deferWrite }
    // 3. Leader epochs and a roll, when due, need I/O before the write.
    if (this.epochsToAssign(a) || this.rollDue(a)) return this.writeAfterEpochsAndRoll(a)
    return this.writeAndCommit(a, this.leaderEpochCache.latestEpoch)
  }

  private epochsToAssign(a: PreparedAppend): boolean {
    for (const s of a.slices) {
      const e = s.header.partitionLeaderEpoch
      if (e >= 0 && this.leaderEpochCache.needsAssign(e, s.header.baseOffset) && !(e < this.leaderEpochCache.latestEpoch && a.assignOffsets)) return true
    }
    return false
  }

  private rollDue(a: PreparedAppend): boolean {
    const lastOffset = a.next - 1
    return this.activeSegment.shouldRoll(a.records.length, a.result.maxTimestamp, lastOffset, a.now) !== null || lastOffset - this.activeSegment.baseOffset > INT32_MAX
  }

  private async writeAfterEpochsAndRoll(a: PreparedAppend): Promise<AppendResult> {
    const epochsBefore = this.leaderEpochCache.latestEpoch
    for (const s of a.slices) {
      const e = s.header.partitionLeaderEpoch
      if (e >= 0 && this.leaderEpochCache.needsAssign(e, s.header.baseOffset)) {
        if (e < this.leaderEpochCache.latestEpoch && a.assignOffsets) continue
        await this.leaderEpochCache.assign(e, s.header.baseOffset)
      }
    }
    if (this.rollDue(a)) await this.maybeRoll(a.records.length, a.result.maxTimestamp, a.slices[0]!.header.baseOffset, a.next - 1, a.now)
    return this.writeAndCommit(a, epochsBefore)
  }

  private writeAndCommit(a: PreparedAppend, epochsBefore: number): AppendResult | Promise<AppendResult> {
    const active = this.activeSegment
    let large: Promise<void> | undefined
    try {
      large = active.append(a.records, a.infos, a.deferWrite)
    } catch (e) {
      return this.writeFailed(e as Error, a, epochsBefore)
    }
    if (large) return large.then(() => this.commitAppend(a, active), (e: Error) => this.writeFailed(e, a, epochsBefore))
    return this.commitAppend(a, active)
  }

  private async writeFailed(e: Error, a: PreparedAppend, epochsBefore: number): Promise<never> {
    if (this.leaderEpochCache.latestEpoch !== epochsBefore) await this.leaderEpochCache.truncateFromEnd(this._logEndOffset)
    if (e instanceof KafkaError) throw e
    this.logger.error(`${this.name}: append of ${a.records.length} bytes at offset ${a.slices[0]!.header.baseOffset} failed: ${e.message}`)
    throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${this.name}: ${e.message}`)
  }

  /** 4. The write is done (or staged): the log end moves, producer state commits; 5. flush when due. */
  private commitAppend(a: PreparedAppend, active: LogSegment): AppendResult | Promise<AppendResult> {
    this._logEndOffset = a.next
    const txnIndexWrites = commitProducerAppend(this.producerState, a.plan, active, a.next)
    const r = a.result
    r.firstOffset = a.slices[0]!.header.baseOffset
    r.lastOffset = a.next - 1
    r.logAppendTime = a.logAppendTime ? a.now : -1
    r.logEndOffset = a.next
    r.logStartOffset = this._logStartOffset
    r.appendedBytes = a.records.length
    r.recordCount = a.recordCount
    r.completedTxns = a.plan.completed
    this.unflushedMessages += a.recordCount
    const flushDue = this.unflushedMessages >= this.config.flushMessages
    if (!txnIndexWrites && !flushDue) return r
    return (async () => {
      await txnIndexWrites
      if (flushDue) await this.flushActive()
      return r
    })()
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
    return readLog(this, offset, maxBytes, upperBound, minOneMessage)
  }

  // ---------------------------------------------------------------------------------------------
  // Offsets by time and epoch

  /** The first offset whose record timestamp is >= ts (Kafka's ListOffsets by time), or null. */
  offsetForTimestamp(ts: number): Promise<TimestampOffset | null> {
    return offsetForTimestamp(this.segments, ts, this._logStartOffset)
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
  maxTimestampOffset(): Promise<TimestampOffset | null> {
    return maxTimestampOffset(this.segments)
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
  collectAbortedTransactions(startOffset: number, upperBound: number): Promise<AbortedTxn[]> {
    return collectAbortedTransactions(this.segments, startOffset, upperBound)
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
    await this.deleter.retire(seg)
    if (dropSnapshot) await this.producerState.removeSnapshot(seg.baseOffset).catch(() => {})
    this.deleter.scheduleDelete(seg)
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
    this.deleter.cancelPending()
    await this.closeSegments()
  }

  /** Cancels pending delayed file deletions and deletes those files now. */
  deletePendingFilesNow(): Promise<void> {
    return this.deleter.deletePendingNow()
  }
}

/** Parses "<topic>-<partition>" (the partition is after the last dash). */
export function parseTopicPartitionName(name: string): { topic: string; partition: number } | null {
  const m = /^(.+)-(\d+)$/.exec(name)
  if (!m) return null
  return { topic: m[1]!, partition: Number(m[2]) }
}

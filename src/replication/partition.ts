// One partition replica on this node: its log, its role (leader or follower), its ISR and high
// watermark. The leader appends client batches; the high watermark is the smallest log end offset
// among the in-sync replicas, so a consumer never sees what a leader failover could take back.

import { ErrorCode, KafkaError, RecordBatchError, type Uuid } from '../wire/index.js'
import type { Log, AppendResult as LogAppendInfo } from '../storage/index.js'

export interface AppendResult {
  errorCode: number
  errorMessage: string | null
  baseOffset: number
  lastOffset: number
  logAppendTime: number
  logStartOffset: number
  recordErrors: Array<{ batchIndex: number; batchIndexErrorMessage: string | null }>
}

/** A window of recent appends: how many bytes lie between an offset and the high watermark. */
class RecentBytes {
  private readonly ends: number[] = []
  private readonly totals: number[] = []
  private total = 0

  add(endOffset: number, bytes: number): void {
    this.total += bytes
    this.ends.push(endOffset)
    this.totals.push(this.total)
    if (this.ends.length > 2048) {
      this.ends.splice(0, 1024)
      this.totals.splice(0, 1024)
    }
  }

  /** Bytes of batches that start at or after `from` and end at or before `upTo`. */
  between(from: number, upTo: number): number {
    if (from >= upTo) return 0
    const n = this.ends.length
    if (n === 0 || from < (this.ends[0] ?? 0) - 1) return Number.MAX_SAFE_INTEGER
    let hi = n - 1
    while (hi >= 0 && this.ends[hi] > upTo) hi--
    if (hi < 0) return 0
    let lo = 0
    while (lo < n && this.ends[lo] <= from) lo++
    if (lo > hi) return 0
    return this.totals[hi] - (lo > 0 ? this.totals[lo - 1] : 0)
  }
}

export class Partition {
  leader = -1
  leaderEpoch = -1
  partitionEpoch = -1
  replicas: number[] = []
  isr: number[] = []
  /** Log end offsets of followers, as reported by their fetches. */
  private readonly followerEnds = new Map<number, number>()
  private readonly recent = new RecentBytes()

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly topicId: Uuid,
    readonly localNode: number,
    readonly log: Log,
  ) {}

  get key(): string {
    return `${this.topic}-${this.index}`
  }

  get isLeader(): boolean {
    return this.leader === this.localNode
  }

  /** Kept by the log, so it is checkpointed with it (replication-offset-checkpoint). */
  get highWatermark(): number {
    return this.log.highWatermark
  }

  get logEndOffset(): number {
    return this.log.logEndOffset
  }

  get logStartOffset(): number {
    return this.log.logStartOffset
  }

  /** Bytes a consumer could fetch from `offset` right now (an estimate for Fetch min.bytes). */
  bytesAvailable(offset: number, upToLogEnd = false): number {
    return this.recent.between(offset, upToLogEnd ? this.log.logEndOffset : this.log.highWatermark)
  }

  /** Applies the metadata image's view of this partition. */
  updateState(s: { leader: number; leaderEpoch: number; partitionEpoch: number; replicas: number[]; isr: number[] }): void {
    const becameLeader = s.leader === this.localNode && (this.leader !== this.localNode || s.leaderEpoch !== this.leaderEpoch)
    this.leader = s.leader
    this.leaderEpoch = s.leaderEpoch
    this.partitionEpoch = s.partitionEpoch
    this.replicas = s.replicas
    this.isr = s.isr
    if (becameLeader) this.log.assignEpochStartOffset(s.leaderEpoch, this.log.logEndOffset)
    this.maybeAdvanceHighWatermark()
  }

  /** Records a follower's log end offset (from its Fetch); returns true if the high watermark moved. */
  updateFollower(replicaId: number, logEndOffset: number): boolean {
    this.followerEnds.set(replicaId, logEndOffset)
    return this.maybeAdvanceHighWatermark()
  }

  /** The high watermark is the smallest log end offset in the ISR (never moving backwards). */
  maybeAdvanceHighWatermark(): boolean {
    if (!this.isLeader) return false
    let min = this.log.logEndOffset
    for (const id of this.isr) {
      if (id === this.localNode) continue
      const end = this.followerEnds.get(id) ?? 0
      if (end < min) min = end
    }
    if (min > this.log.highWatermark) {
      this.log.updateHighWatermark(min)
      return true
    }
    return false
  }

  /**
   * Appends a client's records as leader; errors come back as codes, never as exceptions.
   * `deferWrite`: see Log's AppendOptions (the caller answers through a broker connection).
   * Synchronous when the log can append at once (Log.appendNowOrQueued).
   */
  appendAsLeader(records: Buffer, requiredAcks: number, minInsyncReplicas: number, deferWrite = false, origin: 'client' | 'coordinator' = 'client'): AppendResult | Promise<AppendResult> {
    const result: AppendResult = {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      baseOffset: -1,
      lastOffset: -1,
      logAppendTime: -1,
      logStartOffset: this.log.logStartOffset,
      recordErrors: [],
    }
    if (!this.isLeader) {
      result.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER
      return result
    }
    if (requiredAcks === -1 && this.isr.length < minInsyncReplicas) {
      result.errorCode = ErrorCode.NOT_ENOUGH_REPLICAS
      result.errorMessage = `The size of the current ISR [${this.isr.join(', ')}] is insufficient to satisfy the min.isr requirement of ${minInsyncReplicas} for partition ${this.key}`
      return result
    }
    let info: LogAppendInfo | Promise<LogAppendInfo>
    try {
      info = this.log.appendNowOrQueued(records, this.leaderEpoch, { deferWrite, origin })
    } catch (err) {
      return refused(result, err)
    }
    if (info instanceof Promise) return info.then(i => this.appended(result, i), err => refused(result, err))
    return this.appended(result, info)
  }

  private appended(result: AppendResult, info: LogAppendInfo): AppendResult {
    result.baseOffset = info.firstOffset
    result.lastOffset = info.lastOffset
    result.logAppendTime = info.logAppendTime
    result.logStartOffset = this.log.logStartOffset
    if (info.appendedBytes > 0) this.recent.add(info.lastOffset + 1, info.appendedBytes)
    this.maybeAdvanceHighWatermark()
    return result
  }
}

/** A refused append as codes (Produce v8+ names the batch at fault); anything else is a bug and is rethrown. */
function refused(result: AppendResult, err: unknown): AppendResult {
  if (!(err instanceof RecordBatchError || err instanceof KafkaError)) throw err
  result.errorCode = err instanceof RecordBatchError ? err.errorCode : err.code
  result.errorMessage = err.message
  const batchIndex = (err as { batchIndex?: number }).batchIndex
  if (batchIndex !== undefined) result.recordErrors.push({ batchIndex, batchIndexErrorMessage: err.message })
  return result
}

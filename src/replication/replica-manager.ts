// The partitions this node holds, kept in step with the metadata image, and the two hot paths:
// appending produced batches (waiting for the ISR when acks=all) and reading for fetches
// (long-polling until min.bytes are there or max.wait.ms passes).

import { BATCH_HEADER_SIZE, BatchAttribute, BatchField, ErrorCode, type DescribeProducersResponse, type Uuid } from '../wire/index.js'
import type { LogConfig, LogManager } from '../storage/index.js'
import { isInternalTopic, type ImageChange, type MetadataImage, type PartitionState } from '../kraft/index.js'
import type { Logger } from '../util/index.js'
import { Partition, type AppendResult } from './partition.js'
import { Purgatory, type DelayedOperation } from './purgatory.js'

export interface ReplicaManagerOptions {
  nodeId: number
  logs: LogManager
  image: MetadataImage
  /** The effective log config of a topic (its overrides over the broker's defaults). */
  logConfigFor: (topic: string) => LogConfig
  minInsyncReplicas: (topic: string) => number
  log: Logger
}

/** The first pause before opening a log that failed to open is tried again, and the longest. */
const OPEN_RETRY_FIRST_MS = 500
const OPEN_RETRY_MAX_MS = 30_000

export interface ProduceEntry {
  topic: string
  partition: number
  records: Buffer | null
  /** 'coordinator' for the broker's own writes (transaction markers, transactional offset commits): control batches allowed, no sequence checks. */
  origin?: 'client' | 'coordinator'
}

/**
 * Asks the transaction coordinator whether a producer's open transaction includes a partition
 * (KIP-890's verification): the error the write gets, or NONE.
 */
export type TxnVerifier = (topic: string, partition: number, producerId: number, producerEpoch: number) => number

export interface ProduceResult extends AppendResult {
  topic: string
  partition: number
}

export interface FetchTarget {
  topic: string
  partition: number
  fetchOffset: number
  maxBytes: number
  currentLeaderEpoch: number
}

export interface FetchPartitionResult {
  topic: string
  partition: number
  errorCode: number
  highWatermark: number
  lastStableOffset: number
  logStartOffset: number
  records: Buffer | null
  /** read_committed: the aborted transactions in the records returned (null otherwise). */
  abortedTransactions: Array<{ producerId: number; firstOffset: number }> | null
}

export interface FetchParams {
  /** -1 for consumers; a broker id for followers (reads up to the log end, reports progress). */
  replicaId: number
  maxWaitMs: number
  minBytes: number
  maxBytes: number
  isolationLevel: number
  targets: FetchTarget[]
}

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>()
  private readonly purgatory = new Purgatory()
  private readonly pendingCreates = new Map<string, Promise<void>>()
  /** Failed attempts to open each partition's log, for the pause before the next. */
  private readonly openFailures = new Map<string, number>()
  private stopped = false

  constructor(private readonly opts: ReplicaManagerOptions) {
    opts.image.onChange(c => this.onImageChange(c))
  }

  private static key(topic: string, partition: number): string {
    return `${topic}-${partition}`
  }

  getPartition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(ReplicaManager.key(topic, partition))
  }

  allPartitions(): IterableIterator<Partition> {
    return this.partitions.values()
  }

  /** Waits until every log the image asked for has been opened (after start-up replay). */
  async ready(): Promise<void> {
    while (this.pendingCreates.size > 0) await Promise.all(this.pendingCreates.values())
  }

  private onImageChange(c: ImageChange): void {
    if (c.kind === 'partition-changed') this.applyPartitionState(c.partition)
    else if (c.kind === 'topic-deleted') {
      for (const p of c.topic.partitions.values()) this.removePartition(p.topicName, p.partition)
    } else if (c.kind === 'config-changed' && c.resourceType === 2) {
      const cfg = this.opts.logConfigFor(c.resourceName)
      for (const p of this.partitions.values()) if (p.topic === c.resourceName) p.log.updateConfig(cfg)
    }
  }

  private applyPartitionState(s: PartitionState): void {
    const key = ReplicaManager.key(s.topicName, s.partition)
    if (!s.replicas.includes(this.opts.nodeId)) {
      this.removePartition(s.topicName, s.partition)
      return
    }
    const existing = this.partitions.get(key)
    if (existing) {
      existing.updateState(s)
      this.purgatory.checkAndComplete(key)
      return
    }
    const create = (async () => {
      const log = await this.opts.logs.getOrCreateLog(s.topicName, s.partition, this.opts.logConfigFor(s.topicName), s.topicId)
      // The image may have moved on while the log opened: apply its latest view.
      const current = this.opts.image.partition(s.topicName, s.partition)
      if (!current || current.topicId !== s.topicId) return
      const p = new Partition(s.topicName, s.partition, s.topicId, this.opts.nodeId, log)
      p.updateState(current)
      this.partitions.set(key, p)
    })()
      .then(
        () => void this.openFailures.delete(key),
        err => {
          const failures = (this.openFailures.get(key) ?? 0) + 1
          this.openFailures.set(key, failures)
          const delay = Math.min(OPEN_RETRY_MAX_MS, OPEN_RETRY_FIRST_MS * 2 ** (failures - 1))
          this.opts.log.error(`cannot open the log of ${key} (attempt ${failures}; trying again in ${delay} ms): ${(err as Error).stack ?? err}`)
          this.retryOpen(key, s, delay)
        },
      )
      .finally(() => this.pendingCreates.delete(key))
    this.pendingCreates.set(key, create)
  }

  /**
   * A log that failed to open (a full disk, too many open files) is tried again, with growing
   * pauses, for as long as this node still holds the partition; until then its clients get
   * LEADER_NOT_AVAILABLE, which they retry.
   */
  private retryOpen(key: string, s: PartitionState, delayMs: number): void {
    const timer = setTimeout(() => {
      if (this.stopped || this.partitions.has(key) || this.pendingCreates.has(key)) return
      const current = this.opts.image.partition(s.topicName, s.partition)
      if (!current || current.topicId !== s.topicId || !current.replicas.includes(this.opts.nodeId)) {
        this.openFailures.delete(key)
        return
      }
      this.applyPartitionState(current)
    }, delayMs)
    timer.unref()
  }

  private removePartition(topic: string, partition: number): void {
    const key = ReplicaManager.key(topic, partition)
    this.partitions.delete(key)
    this.purgatory.checkAndComplete(key)
    const pending = this.pendingCreates.get(key) ?? Promise.resolve()
    void pending
      .then(() => this.opts.logs.deleteLog(topic, partition))
      .catch(err => this.opts.log.error(`cannot delete the log of ${key}: ${(err as Error).message}`))
  }

  /** Whether this node leads the partition; the error code a client should see otherwise. */
  leaderError(topic: string, partition: number): number {
    const p = this.getPartition(topic, partition)
    if (p) return p.isLeader ? ErrorCode.NONE : ErrorCode.NOT_LEADER_OR_FOLLOWER
    const state = this.opts.image.partition(topic, partition)
    if (!state) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    // Known to the cluster but not (yet) open here.
    return state.leader === this.opts.nodeId ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NOT_LEADER_OR_FOLLOWER
  }

  /**
   * Appends to each partition; with acks=-1 the result waits until the ISR has the records
   * (the high watermark passes them) or the timeout ends it with REQUEST_TIMED_OUT.
   * `deferWrite`: the bytes reach the file at the end of the event loop's turn, with the rest of
   * the turn's appends (Log's AppendOptions): for a caller whose answer leaves through a broker
   * connection, which holds it until then. Synchronous when every append is (the usual
   * one-partition acks=1 request): no promise is made where none is needed.
   */
  appendRecords(requiredAcks: number, timeoutMs: number, entries: ProduceEntry[], deferWrite = false, verifyTxn?: TxnVerifier): ProduceResult[] | Promise<ProduceResult[]> {
    if (entries.length === 1) {
      const r = this.appendEntry(entries[0]!, requiredAcks, deferWrite, verifyTxn)
      if (r instanceof Promise) return r.then(one => this.awaitAcks(requiredAcks, timeoutMs, [one]))
      return this.awaitAcks(requiredAcks, timeoutMs, [r])
    }
    return Promise.all(entries.map(e => this.appendEntry(e, requiredAcks, deferWrite, verifyTxn))).then(all => this.awaitAcks(requiredAcks, timeoutMs, all))
  }

  /** acks=-1: the results once the high watermark passes every appended offset (or the timeout). */
  private awaitAcks(requiredAcks: number, timeoutMs: number, results: ProduceResult[]): ProduceResult[] | Promise<ProduceResult[]> {
    if (requiredAcks !== -1) return results
    const waiting = results.filter(r => r.errorCode === ErrorCode.NONE)
    if (this.replicated(waiting)) return results
    return new Promise(resolve => {
      const op: DelayedOperation = {
        tryComplete: () => {
          if (!this.replicated(waiting)) return false
          resolve(results)
          return true
        },
        onExpire: () => {
          for (const r of waiting) {
            const p = this.getPartition(r.topic, r.partition)
            if (!p || p.highWatermark <= r.lastOffset) r.errorCode = ErrorCode.REQUEST_TIMED_OUT
          }
          resolve(results)
        },
      }
      this.purgatory.watch(op, waiting.map(r => ReplicaManager.key(r.topic, r.partition)), timeoutMs)
    })
  }

  /** Whether the high watermark has passed every appended offset (a deleted partition counts as done). */
  private replicated(waiting: ProduceResult[]): boolean {
    for (const r of waiting) if ((this.getPartition(r.topic, r.partition)?.highWatermark ?? Infinity) <= r.lastOffset) return false
    return true
  }

  private appendEntry(e: ProduceEntry, requiredAcks: number, deferWrite: boolean, verifyTxn?: TxnVerifier): ProduceResult | Promise<ProduceResult> {
    const p = this.getPartition(e.topic, e.partition)
    if (!p) return produceResult(e, emptyAppend(this.leaderError(e.topic, e.partition)))
    if (e.records === null || e.records.length === 0) return produceResult(e, emptyAppend(ErrorCode.CORRUPT_MESSAGE, 'The produce request has no records.'))
    // Only the coordinators write to their own topics (Kafka's internalTopicsAllowed).
    if (e.origin !== 'coordinator' && isInternalTopic(e.topic)) return produceResult(e, emptyAppend(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${e.topic}`))
    if (verifyTxn) {
      const refused = this.verifyTransactionalWrite(p, e.records, verifyTxn)
      if (refused !== null) return produceResult(e, refused)
    }
    // min.insync.replicas only matters to acks=-1 (resolving the topic's config costs a lookup per request).
    const minIsr = requiredAcks === -1 ? this.opts.minInsyncReplicas(e.topic) : 1
    const r = p.appendAsLeader(e.records, requiredAcks, minIsr, deferWrite, e.origin)
    if (r instanceof Promise) return r.then(done => this.appended(e, p, done))
    return this.appended(e, p, r)
  }

  /**
   * A transactional batch that would begin a transaction in this partition must belong to an
   * open transaction that includes the partition (KIP-890), so that a late or stray write cannot
   * leave a transaction open here forever. Later batches of the same transaction need no check:
   * the partition already knows it. The check and the append happen in the same turn, before any
   * marker of that transaction can be queued behind this write.
   */
  private verifyTransactionalWrite(p: Partition, records: Buffer, verifyTxn: TxnVerifier): AppendResult | null {
    if (records.length < BATCH_HEADER_SIZE || (records.readInt16BE(BatchField.Attributes) & BatchAttribute.Transactional) === 0) return null
    const producerId = Number(records.readBigInt64BE(BatchField.ProducerId))
    const producerEpoch = records.readInt16BE(BatchField.ProducerEpoch)
    if ((p.log.producerState.producers.get(producerId)?.currentTxnFirstOffset ?? -1) >= 0) return null
    const code = verifyTxn(p.topic, p.index, producerId, producerEpoch)
    if (code === ErrorCode.NONE) return null
    return emptyAppend(code, code === ErrorCode.INVALID_TXN_STATE ? 'Partition was not added to the transaction' : null)
  }

  private appended(e: ProduceEntry, p: Partition, r: AppendResult): ProduceResult {
    if (r.errorCode === ErrorCode.NONE) this.purgatory.checkAndComplete(p.key)
    return produceResult(e, r)
  }

  /** Reads for a Fetch: answers at once if min.bytes are there, else when they arrive or max.wait.ms passes. */
  fetch(params: FetchParams): Promise<FetchPartitionResult[]> {
    const follower = params.replicaId >= 0
    const available = (): number => {
      let bytes = 0
      for (const t of params.targets) {
        const p = this.getPartition(t.topic, t.partition)
        // An error (the partition moved, was deleted) is worth answering at once.
        if (!p || !p.isLeader) return Number.MAX_SAFE_INTEGER
        bytes += p.bytesAvailable(t.fetchOffset, follower)
      }
      return bytes
    }
    if (params.maxWaitMs <= 0 || params.targets.length === 0 || available() >= Math.max(1, params.minBytes)) {
      return this.readAll(params)
    }
    return new Promise((resolve, reject) => {
      const finish = (): void => void this.readAll(params).then(resolve, reject)
      const op: DelayedOperation = {
        tryComplete: () => {
          if (available() < Math.max(1, params.minBytes)) return false
          finish()
          return true
        },
        onExpire: finish,
      }
      this.purgatory.watch(op, params.targets.map(t => ReplicaManager.key(t.topic, t.partition)), params.maxWaitMs)
    })
  }

  private async readAll(params: FetchParams): Promise<FetchPartitionResult[]> {
    const follower = params.replicaId >= 0
    let budget = params.maxBytes
    const out: FetchPartitionResult[] = []
    for (const t of params.targets) {
      const p = this.getPartition(t.topic, t.partition)
      const r: FetchPartitionResult = {
        topic: t.topic,
        partition: t.partition,
        errorCode: ErrorCode.NONE,
        highWatermark: -1,
        lastStableOffset: -1,
        logStartOffset: -1,
        records: null,
        abortedTransactions: null,
      }
      out.push(r)
      if (!p) {
        r.errorCode = this.leaderError(t.topic, t.partition)
        continue
      }
      if (!p.isLeader) {
        r.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER
        continue
      }
      if (t.currentLeaderEpoch >= 0 && t.currentLeaderEpoch !== p.leaderEpoch) {
        r.errorCode = t.currentLeaderEpoch < p.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH
        continue
      }
      if (follower && p.updateFollower(params.replicaId, t.fetchOffset)) this.purgatory.checkAndComplete(p.key)
      r.highWatermark = p.highWatermark
      r.lastStableOffset = p.log.lastStableOffset
      r.logStartOffset = p.logStartOffset
      // Followers read to the log end; read_committed consumers stop at the last stable offset.
      const upper = follower ? p.logEndOffset : params.isolationLevel === 1 ? r.lastStableOffset : p.highWatermark
      if (t.fetchOffset < p.logStartOffset || t.fetchOffset > p.logEndOffset) {
        r.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE
        continue
      }
      if (t.fetchOffset >= upper) {
        r.records = EMPTY
        continue
      }
      // The first partition with data always gets at least one whole batch (so clients progress).
      const max = Math.min(t.maxBytes, budget)
      const read = await p.log.read(t.fetchOffset, Math.max(0, max), upper, budget === params.maxBytes)
      r.records = read.records
      // A read_committed consumer drops the records of aborted transactions itself, told which by these.
      if (params.isolationLevel === 1 && !follower && read.records.length > 0) {
        const aborted = await p.log.collectAbortedTransactions(t.fetchOffset, read.nextOffset)
        // In first-offset order (the index holds them in abort order): kafkajs walks the list
        // assuming that order, and Kafka's own consumer sorts it anyway.
        r.abortedTransactions = aborted.map(a => ({ producerId: a.producerId, firstOffset: a.firstOffset })).sort((a, b) => a.firstOffset - b.firstOffset)
      }
      budget -= read.records.length
      if (budget <= 0) budget = 0
    }
    return out
  }

  /** The leader's answer for one partition, or the error a client should see. */
  private leaderFor(topic: string, partition: number, currentLeaderEpoch: number): Partition | number {
    const p = this.getPartition(topic, partition)
    if (!p) return this.leaderError(topic, partition)
    if (!p.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER
    if (currentLeaderEpoch >= 0 && currentLeaderEpoch !== p.leaderEpoch) {
      return currentLeaderEpoch < p.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH
    }
    return p
  }

  /**
   * ListOffsets for one partition: -1 latest (the high watermark), -2 earliest, -3 the record with
   * the largest timestamp, -4 earliest local, -5 latest tiered (none here), else the first offset
   * whose timestamp is at least `timestamp`. A read_committed asker (isolation level 1, v2+) sees
   * only up to the last stable offset, as its fetches do.
   */
  async listOffset(topic: string, partition: number, timestamp: number, currentLeaderEpoch: number, isolationLevel = 0): Promise<{ errorCode: number; offset: number; timestamp: number; leaderEpoch: number }> {
    const p = this.leaderFor(topic, partition, currentLeaderEpoch)
    if (typeof p === 'number') return { errorCode: p, offset: -1, timestamp: -1, leaderEpoch: -1 }
    const none = { errorCode: ErrorCode.NONE, offset: -1, timestamp: -1, leaderEpoch: -1 }
    // Consumers see up to the high watermark (read_committed ones: the last stable offset), so
    // "latest" is that, not the log end.
    const lastFetchable = isolationLevel === 1 ? p.log.lastStableOffset : p.highWatermark
    if (timestamp === -1) return { errorCode: ErrorCode.NONE, offset: lastFetchable, timestamp: -1, leaderEpoch: p.leaderEpoch }
    // -5 (latest tiered) has no meaning without tiered storage; other negatives are not defined.
    if (timestamp < -4) return timestamp === -5 ? none : { ...none, errorCode: ErrorCode.INVALID_REQUEST }
    const found = await p.log.listOffset(timestamp)
    // Kafka answers earliest (-2, -4) whatever it is; anything else only below what the asker may fetch.
    if (!found || (timestamp !== -2 && timestamp !== -4 && found.offset >= lastFetchable)) return none
    return { errorCode: ErrorCode.NONE, offset: found.offset, timestamp: found.timestamp, leaderEpoch: found.leaderEpoch }
  }

  /** OffsetForLeaderEpoch: the end offset of `epoch` in this leader's log (KIP-101/KIP-279). */
  endOffsetForEpoch(topic: string, partition: number, epoch: number, currentLeaderEpoch: number): { errorCode: number; leaderEpoch: number; endOffset: number } {
    const p = this.leaderFor(topic, partition, currentLeaderEpoch)
    if (typeof p === 'number') return { errorCode: p, leaderEpoch: -1, endOffset: -1 }
    const r = p.log.endOffsetForEpoch(epoch)
    return { errorCode: ErrorCode.NONE, leaderEpoch: r.leaderEpoch, endOffset: r.endOffset }
  }

  /** DeleteRecords: moves the log start offset up to `offset` (the handler has checked it against the high watermark). */
  async deleteRecordsBefore(topic: string, partition: number, offset: number): Promise<{ errorCode: number; lowWatermark: number }> {
    const p = this.leaderFor(topic, partition, -1)
    if (typeof p === 'number') return { errorCode: p, lowWatermark: -1 }
    if (offset > p.logStartOffset) await p.log.deleteRecordsBefore(offset)
    return { errorCode: ErrorCode.NONE, lowWatermark: p.logStartOffset }
  }

  /**
   * DescribeProducers for one partition: the producers its log still tracks, as Kafka's
   * UnifiedLog.activeProducers lists them. A follower answers too, as in Kafka.
   */
  activeProducers(topic: string, partition: number): { errorCode: number; producers: DescribeProducersResponse.ProducerState[] } {
    const p = this.getPartition(topic, partition)
    if (!p) {
      const known = this.opts.image.partition(topic, partition) !== undefined
      return { errorCode: known ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, producers: [] }
    }
    const producers = [...p.log.producerState.producers.values()].map(e => ({
      producerId: e.producerId,
      producerEpoch: e.producerEpoch,
      lastSequence: e.lastSeq,
      lastTimestamp: e.lastTimestamp,
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnStartOffset: e.currentTxnFirstOffset,
    }))
    return { errorCode: ErrorCode.NONE, producers }
  }

  /** Answers every waiting Fetch and Produce now (shutdown). */
  shutdown(): void {
    this.stopped = true
    this.purgatory.expireAll()
  }

  topicIdOf(topic: string): Uuid | undefined {
    return this.opts.image.topicsByName.get(topic)?.id
  }
}

const EMPTY = Buffer.alloc(0)

/** The partition's result with its topic and partition (completed in place: it is always a fresh object). */
function produceResult(e: ProduceEntry, r: AppendResult): ProduceResult {
  const result = r as ProduceResult
  result.topic = e.topic
  result.partition = e.partition
  return result
}

function emptyAppend(errorCode: number, errorMessage: string | null = null): AppendResult {
  return { errorCode, errorMessage, baseOffset: -1, lastOffset: -1, logAppendTime: -1, logStartOffset: -1, recordErrors: [] }
}

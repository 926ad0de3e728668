// Where transaction state lives (Kafka's TransactionStateManager): the __transaction_state
// partitions this node leads, loaded by replaying their logs; the transactional ids they hold;
// and every state change written there (acks=all) before it takes effect.

import { InternalTopic, type MetadataImage, type TopicCreator } from '../kraft/index.js'
import { replayBatches } from '../storage/index.js'
import { buildBatch, errorName, ErrorCode, isControlBatch } from '../wire/index.js'
import { partitionForKey, type Logger, type Time } from '../util/index.js'
import type { TxnConfig } from './config.js'
import type { TxnReplicaAccess } from './deps.js'
import { TransactionMetadata, TxnState, type TxnStateId, type TxnTransition } from './metadata.js'
import { TRANSACTION_STATE_TOPIC, decodeTxnKey, decodeTxnValue, encodeTxnKey, encodeTxnValue } from './records.js'

/** Kafka's request.timeout.ms default, which its coordinator uses for state writes. */
const STATE_WRITE_TIMEOUT_MS = 30_000

interface PartitionStatus {
  state: 'loading' | 'loaded'
  /** The partition's leader epoch when it was loaded: the coordinator epoch its markers carry. */
  coordinatorEpoch: number
  done: Promise<void>
}

export class TxnStateStore {
  readonly txns = new Map<string, TransactionMetadata>()
  private readonly partitions = new Map<number, PartitionStatus>()
  private readonly topic: InternalTopic
  active = true

  constructor(
    private readonly image: MetadataImage,
    private readonly replicas: TxnReplicaAccess,
    controller: TopicCreator,
    private readonly cfg: () => TxnConfig,
    private readonly log: Logger,
    private readonly time: Time,
    /** Called with the transactions of a partition once it has loaded (to finish what was prepared). */
    private readonly onLoaded: (txns: TransactionMetadata[], coordinatorEpoch: number) => void,
  ) {
    this.topic = new InternalTopic(
      image,
      controller,
      () => {
        const cfg = this.cfg()
        return {
          name: TRANSACTION_STATE_TOPIC,
          numPartitions: cfg.numPartitions,
          replicationFactor: cfg.replicationFactor,
          assignments: [],
          configs: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.bytes', value: String(cfg.segmentBytes) },
            { name: 'min.insync.replicas', value: String(cfg.minIsr) },
            { name: 'unclean.leader.election.enable', value: 'false' },
            { name: 'compression.type', value: 'uncompressed' },
          ],
        }
      },
      log,
    )
  }

  partitionCount(): number {
    const t = this.image.topicsByName.get(TRANSACTION_STATE_TOPIC)
    return t && t.partitions.size > 0 ? t.partitions.size : this.cfg().numPartitions
  }

  partitionFor(transactionalId: string): number {
    return partitionForKey(transactionalId, this.partitionCount())
  }

  /** NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, or null when this node serves the id. */
  status(transactionalId: string): number | null {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const st = this.partitions.get(this.partitionFor(transactionalId))
    if (!st) return ErrorCode.NOT_COORDINATOR
    if (st.state === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    return null
  }

  coordinatorEpochOf(transactionalId: string): number {
    return this.partitions.get(this.partitionFor(transactionalId))?.coordinatorEpoch ?? -1
  }

  isLoaded(p: number): boolean {
    return this.partitions.get(p)?.state === 'loaded'
  }

  /** Creates __transaction_state if it does not exist yet, as Kafka does on the first lookup. */
  ensureTopic(): Promise<void> {
    return this.topic.ensure()
  }

  /** Waits up to `ms` for partition `p` to finish loading (starting the load if it is led here and not loading). */
  async awaitLoad(p: number, leaderEpoch: number, ms: number): Promise<void> {
    if (!this.partitions.has(p)) this.scheduleLoad(p, leaderEpoch)
    const st = this.partitions.get(p)
    if (!st || st.state === 'loaded') return
    let timer: { cancel(): void } | null = null
    await Promise.race([st.done, new Promise<void>(r => (timer = this.time.schedule(ms, r)))])
    ;(timer as { cancel(): void } | null)?.cancel()
  }

  /** Loads every partition this node leads (after the replica manager is ready). */
  async loadAll(nodeId: number): Promise<void> {
    const t = this.image.topicsByName.get(TRANSACTION_STATE_TOPIC)
    if (!t) return
    for (const p of t.partitions.values()) if (p.leader === nodeId) this.scheduleLoad(p.partition, p.leaderEpoch)
    await Promise.all([...this.partitions.values()].map(s => s.done))
  }

  scheduleLoad(p: number, leaderEpoch: number): void {
    if (!this.active || this.partitions.has(p)) return
    const status: PartitionStatus = { state: 'loading', coordinatorEpoch: leaderEpoch, done: Promise.resolve() }
    this.partitions.set(p, status)
    status.done = this.load(p, status)
  }

  private async load(p: number, status: PartitionStatus): Promise<void> {
    const name = `${TRANSACTION_STATE_TOPIC}-${p}`
    const started = Date.now()
    try {
      await this.replicas.ready()
      const part = this.replicas.getPartition(TRANSACTION_STATE_TOPIC, p)
      if (this.partitions.get(p) !== status) return
      if (!part || !part.isLeader) {
        this.log.warn(`cannot load ${name}: its log is not open here as leader`)
        this.partitions.delete(p)
        return
      }
      status.coordinatorEpoch = part.leaderEpoch
      const loaded = new Map<string, TransactionMetadata>()
      await replayBatches(part, this.cfg().loadBufferSize, (h, records) => {
        if (isControlBatch(h.attributes)) return
        for (const r of records) {
          try {
            if (!r.key) throw new Error('record without a key')
            const id = decodeTxnKey(r.key)
            if (r.value === null) loaded.delete(id)
            else loaded.set(id, metadataFromValue(id, decodeTxnValue(r.value)))
          } catch (err) {
            this.log.warn(`${name}: skipping unreadable record at offset ${r.offset}: ${(err as Error).message}`)
          }
        }
      })
      if (this.partitions.get(p) !== status) return
      for (const [id, m] of loaded) if (m.state !== TxnState.Dead) this.txns.set(id, m)
      status.state = 'loaded'
      const line = `finished loading transaction state from ${name} in ${Date.now() - started} ms (${loaded.size} transactional ids)`
      if (loaded.size > 0) this.log.info(line)
      else this.log.debug(line)
      this.onLoaded([...loaded.values()], status.coordinatorEpoch)
    } catch (err) {
      this.log.error(`error loading transaction state from ${name}: ${(err as Error).stack ?? err}`)
      if (this.partitions.get(p) === status) this.partitions.delete(p)
    }
  }

  /** Stops serving the transactional ids of partition `p`. */
  unload(p: number, why: string): void {
    if (!this.partitions.delete(p)) return
    let n = 0
    for (const id of [...this.txns.keys()]) {
      if (this.partitionFor(id) !== p) continue
      this.txns.delete(id)
      n++
    }
    this.log.info(`unloaded ${n} transactional ids of ${TRANSACTION_STATE_TOPIC}-${p}: ${why}`)
  }

  unloadAll(why: string): void {
    for (const p of [...this.partitions.keys()]) this.unload(p, why)
  }

  /**
   * Writes `t` as the transaction's next state and, once the ISR has it, makes it current. While
   * it is written the transaction is busy (CONCURRENT_TRANSACTIONS to others). Returns the error
   * the request that caused it should answer.
   */
  async write(txn: TransactionMetadata, t: TxnTransition): Promise<number> {
    txn.pending = t
    const p = this.partitionFor(txn.transactionalId)
    const epoch = this.partitions.get(p)?.coordinatorEpoch
    try {
      const code = await this.append(p, encodeTxnKey(txn.transactionalId), encodeTxnValue(valueOf(t)))
      if (code !== ErrorCode.NONE) return code
      const st = this.partitions.get(p)
      // Written, but the partition moved away (or reloaded) meanwhile: another coordinator owns it now.
      if (!st || st.coordinatorEpoch !== epoch || this.txns.get(txn.transactionalId) !== txn) return ErrorCode.NOT_COORDINATOR
      txn.apply(t)
      return ErrorCode.NONE
    } finally {
      if (txn.pending === t) txn.pending = null
    }
  }

  /**
   * Removes an expired transactional id: a tombstone, then it is forgotten. While the tombstone is
   * written the id is busy (Kafka's pending Dead state), so that a producer initialising it
   * meanwhile retries instead of being forgotten with it.
   */
  async remove(txn: TransactionMetadata): Promise<void> {
    const dead: TxnTransition = { ...txn.snapshot(), state: TxnState.Dead }
    txn.pending = dead
    try {
      const p = this.partitionFor(txn.transactionalId)
      const code = await this.append(p, encodeTxnKey(txn.transactionalId), null)
      if (code === ErrorCode.NONE && this.txns.get(txn.transactionalId) === txn) this.txns.delete(txn.transactionalId)
    } finally {
      if (txn.pending === dead) txn.pending = null
    }
  }

  private async append(p: number, key: Buffer, value: Buffer | null): Promise<number> {
    const name = `${TRANSACTION_STATE_TOPIC}-${p}`
    if (!this.isLoaded(p)) return ErrorCode.NOT_COORDINATOR
    try {
      const batch = await buildBatch({ records: [{ key, value, timestamp: this.time.now() }] })
      const [res] = await this.replicas.appendRecords(-1, STATE_WRITE_TIMEOUT_MS, [{ topic: TRANSACTION_STATE_TOPIC, partition: p, records: batch, origin: 'coordinator' }])
      const code = res?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR
      if (code === ErrorCode.NONE) return code
      const answered = stateWriteErrorFor(code)
      this.log.warn(`failed to write transaction state to ${name}: ${errorName(code)}${res?.errorMessage ? ` (${res.errorMessage})` : ''}; answering ${errorName(answered)}`)
      return answered
    } catch (err) {
      this.log.error(`writing transaction state to ${name} failed: ${(err as Error).stack ?? err}`)
      return ErrorCode.UNKNOWN_SERVER_ERROR
    }
  }
}

/** Kafka's mapping of __transaction_state append errors to what transaction requests answer. */
function stateWriteErrorFor(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR
  }
}

function valueOf(t: TxnTransition) {
  return {
    producerId: t.producerId,
    producerEpoch: t.producerEpoch,
    transactionTimeoutMs: t.txnTimeoutMs,
    transactionStatus: t.state,
    transactionPartitions: TransactionMetadata.byTopic(t.partitions).map(x => ({ topic: x.topic, partitionIds: x.partitions })),
    transactionLastUpdateTimestampMs: t.txnLastUpdateTimestamp,
    transactionStartTimestampMs: t.txnStartTimestamp,
  }
}

function metadataFromValue(id: string, v: ReturnType<typeof decodeTxnValue>): TransactionMetadata {
  const m = new TransactionMetadata(id, v.producerId, v.producerEpoch, v.transactionTimeoutMs, v.transactionStatus as TxnStateId, v.transactionStartTimestampMs, v.transactionLastUpdateTimestampMs)
  m.setPartitions((v.transactionPartitions ?? []).flatMap(tp => tp.partitionIds.map(partition => ({ topic: tp.topic, partition }))))
  return m
}

// One transactional id's state, as Kafka's TransactionMetadata keeps it: the producer id and
// epoch it hands out, the state of its current transaction, the partitions in it, and the one
// state change that may be in flight (being written to __transaction_state) at a time.


/** Kafka's TransactionState ids (the TransactionStatus byte of TransactionLogValue) and names. */
export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const
export type TxnStateId = (typeof TxnState)[keyof typeof TxnState]

export const TXN_STATE_NAMES: readonly string[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence']

/** Epochs are int16; at Short.MAX_VALUE - 1 the coordinator moves the id to a new producer id (Kafka's isEpochExhausted). */
export const MAX_PRODUCER_EPOCH = 32767
export function isEpochExhausted(epoch: number): boolean {
  return epoch >= MAX_PRODUCER_EPOCH - 1
}

export interface TopicPartition {
  topic: string
  partition: number
}

/** What a state change writes: the fields of the next state. */
export interface TxnTransition {
  producerId: number
  lastProducerId: number
  producerEpoch: number
  lastProducerEpoch: number
  txnTimeoutMs: number
  state: TxnStateId
  partitions: TopicPartition[]
  txnStartTimestamp: number
  txnLastUpdateTimestamp: number
}

function tpKey(topic: string, partition: number): string {
  return `${partition}:${topic}`
}

export class TransactionMetadata {
  /** The id before the last move to a new producer id (epoch exhaustion), for retried InitProducerId calls. */
  lastProducerId = -1
  lastProducerEpoch = -1
  /** The state change being written, if any: other requests get CONCURRENT_TRANSACTIONS meanwhile. */
  pending: TxnTransition | null = null
  readonly partitions = new Map<string, TopicPartition>()

  constructor(
    readonly transactionalId: string,
    public producerId: number,
    public producerEpoch: number,
    public txnTimeoutMs: number,
    public state: TxnStateId,
    public txnStartTimestamp: number,
    public txnLastUpdateTimestamp: number,
  ) {}

  get stateName(): string {
    return TXN_STATE_NAMES[this.state] ?? 'Unknown'
  }

  /** The current state as a transition, for building the next one. */
  snapshot(): TxnTransition {
    return {
      producerId: this.producerId,
      lastProducerId: this.lastProducerId,
      producerEpoch: this.producerEpoch,
      lastProducerEpoch: this.lastProducerEpoch,
      txnTimeoutMs: this.txnTimeoutMs,
      state: this.state,
      partitions: [...this.partitions.values()],
      txnStartTimestamp: this.txnStartTimestamp,
      txnLastUpdateTimestamp: this.txnLastUpdateTimestamp,
    }
  }

  hasPartition(tp: TopicPartition): boolean {
    return this.partitions.has(tpKey(tp.topic, tp.partition))
  }

  /** Makes `t` the current state (after it has been written). */
  apply(t: TxnTransition): void {
    this.producerId = t.producerId
    this.lastProducerId = t.lastProducerId
    this.producerEpoch = t.producerEpoch
    this.lastProducerEpoch = t.lastProducerEpoch
    this.txnTimeoutMs = t.txnTimeoutMs
    this.state = t.state
    this.txnStartTimestamp = t.txnStartTimestamp
    this.txnLastUpdateTimestamp = t.txnLastUpdateTimestamp
    this.setPartitions(t.partitions)
  }

  setPartitions(partitions: Iterable<TopicPartition>): void {
    this.partitions.clear()
    for (const tp of partitions) this.partitions.set(tpKey(tp.topic, tp.partition), tp)
  }

  /** Partitions grouped by topic, as TransactionLogValue and DescribeTransactions list them. */
  static byTopic(partitions: Iterable<TopicPartition>): Array<{ topic: string; partitions: number[] }> {
    const m = new Map<string, number[]>()
    for (const tp of partitions) {
      let l = m.get(tp.topic)
      if (!l) m.set(tp.topic, (l = []))
      l.push(tp.partition)
    }
    return [...m].map(([topic, ps]) => ({ topic, partitions: ps.sort((a, b) => a - b) }))
  }
}

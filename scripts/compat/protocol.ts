// The language every compatibility driver speaks, and the messages every scenario produces.
//
// A driver is a child process that wraps one real Kafka client. The runner writes one JSON
// request per line to its stdin ({"id": 1, "op": "produce", ...}) and reads one JSON reply per
// line from its stdout ({"id": 1, "ok": true, "result": {...}} or {"id": 1, "ok": false,
// "error": "..."}). Whatever the client logs goes to the driver's stderr; the runner keeps it and
// prints it next to a failure. drivers/python_driver.py speaks the same protocol and must build
// the same messages as `messageAt` below.

/** Starts every reply line a driver writes to stdout; other stdout lines are client output. */
export const REPLY_PREFIX = '@@millrace-compat '

export type Codec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'
export const CODECS: Codec[] = ['gzip', 'snappy', 'lz4', 'zstd']

/** [partition, offset, key, value, headers as [key, value] pairs]; keys and values are UTF-8. */
export type ConsumedRecord = [number, number, string | null, string | null, [string, string][]]

export interface ProduceRequest {
  topic: string
  /** Message i goes to partition i % partitions. */
  partitions: number
  start: number
  count: number
  /** Written into every value and the `src` header, so readers can tell producers apart. */
  tag: string
  compression: Codec
  idempotent: boolean
  /** -1 (all), 0 or 1. */
  acks: number
}

export interface ConsumeRequest {
  topic: string
  partitions: number
  /** Stop after this many records (the runner knows how many were produced). */
  expect: number
  timeoutMs: number
  /** Read with isolation level read_committed (set explicitly; otherwise the client's default). */
  readCommitted?: boolean
}

export interface GroupRequest {
  topic: string
  partitions: number
  groupId: string
  tag: string
  /** Produced after members A and B own every partition, consumed by A and B. */
  phase1: { start: number; count: number }
  /** Produced after C joined and the group settled on three members. */
  phase2: { start: number; count: number }
  timeoutMs: number
}

export interface GroupResult {
  /** [member, partition, offset, key] for every message a member processed. */
  processed: [string, number, number, string | null][]
  /** Partitions each member owned once C had joined. */
  assignments: Record<string, number[]>
  /** The group's committed offsets as this client reads them (null: the client cannot). */
  committed: Record<string, number> | null
}

/** One transaction of a TransactionsRequest. */
export interface TransactionStep {
  /** Produces messageAt(i) for i in [start, start + count), message i to partition i % partitions. */
  start: number
  count: number
  /** Offsets sent to the transaction for the request's group (partition of offsetsTopic → offset), if any. */
  offsets?: Record<string, number>
  /** Commit (true) or abort (false). Before an abort every message must have reached the broker. */
  commit: boolean
}

export interface TransactionsRequest {
  topic: string
  partitions: number
  tag: string
  /** One transactional producer with this id (initialised once) runs every transaction in order. */
  transactionalId: string
  /** The consumer group the offsets are sent for. */
  groupId: string
  /** The topic the offsets are for; the runner has written records to it (10 per partition). */
  offsetsTopic: string
  transactions: TransactionStep[]
  timeoutMs: number
}

export interface TransactionsResult {
  /** Transactions committed and aborted, as the client reported them. */
  committed: number
  aborted: number
}

export interface OffsetsRequest {
  topic: string
  partitions: number
  timestamps: number[]
}

export interface OffsetsResult {
  earliest: number[]
  latest: number[]
  /** byTime[p][j]: the offset returned for timestamps[j] on partition p (-1: none). */
  byTime: number[][]
}

export interface MetadataResult {
  brokers: { id: number; host: string; port: number }[]
  controllerId: number | null
  topics: { name: string; partitions: { id: number; leader: number; replicas: number[]; isr: number[] }[] }[]
}

export interface DescribeResult {
  partitions: number
  /** Topic configs as the client reads them back; null if the client cannot describe configs. */
  configs: Record<string, string> | null
}

export interface HelloResult {
  client: string
  version: string
  /** Codecs this client can write; every client here can read what it can write. */
  produceCodecs: Codec[]
  consumeCodecs: Codec[]
  /** Snappy as the Java client writes it (xerial framing) rather than raw blocks. */
  writesXerialSnappy?: boolean
  /** False for a client that only reads raw snappy blocks. Default true. */
  readsXerialSnappy?: boolean
  features: string[]
}

export type Request =
  | { op: 'hello' }
  | { op: 'metadata'; topics: string[] }
  | { op: 'createTopic'; topic: string; partitions: number; configs: Record<string, string> }
  | { op: 'describeTopic'; topic: string; configKeys: string[] }
  | { op: 'deleteTopic'; topic: string }
  | { op: 'listTopics' }
  | ({ op: 'produce' } & ProduceRequest)
  | ({ op: 'consume' } & ConsumeRequest)
  | ({ op: 'group' } & GroupRequest)
  | ({ op: 'offsets' } & OffsetsRequest)
  | ({ op: 'transactions' } & TransactionsRequest)

export interface Message {
  partition: number
  key: string
  value: string
  headers: [string, string][]
}

/** Message number i of a producer tagged `tag` writing to `partitions` partitions. */
export function messageAt(i: number, tag: string, partitions: number): Message {
  const partition = i % partitions
  return {
    partition,
    key: `k-${i}`,
    value: `v-${i}-${tag}-\u00e9\u00df-${'x'.repeat(i % 41)}`,
    headers: [
      ['src', tag],
      ['part', String(partition)],
    ],
  }
}

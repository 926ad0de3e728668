// Robustness over real TCP: for EVERY API key and EVERY version the broker advertises in its
// ApiVersions answer, random but well-formed requests (generated from the schemas by
// src/wire/random-messages.ts, then steered towards names and ids the broker knows), sent to an
// in-process broker (startTempBroker) on raw connections, one request at a time per connection,
// a connection per API key and version (so that a closed connection hides nothing else), 24
// connections at once. Rules asserted:
//
//  1. Every request gets a response frame carrying its correlation id that decodes, with nothing
//     left over, with Millrace's own response codec for that key and version — or the connection
//     is closed, and only where Kafka closes it (ALLOWED_CLOSES below; any other close fails).
//     Produce with acks=0 must get no response at all: a marker ApiVersions request sent behind
//     it must be the next thing answered (or the connection closed, where allowed).
//  2. No answer takes longer than ANSWER_TIMEOUT_MS (wait fields are clamped, see CLAMPS below).
//  3. Nothing escapes as an uncaught exception or unhandled rejection (the broker is in-process,
//     so this process's 'uncaughtException'/'unhandledRejection' are the broker's), and the broker
//     logs no internal error (no ERROR line but those Kafka logs too, KAFKA_ERROR_LOGS).
//  4. Every error code in the answers is one Kafka defines; every whole record batch a Fetch
//     returns is magic v2 with a good CRC.
//  5. Memory stays bounded: the heap in use peaks at most MAX_HEAP_PEAK_GROWTH above its start,
//     and holds at most MAX_HEAP_KEPT_GROWTH more after the storm (full collections around it).
//  6. Afterwards a fresh connection gets an ApiVersions answer (with the same APIs), creates a
//     topic, produces to it and fetches the records back.
// A second test replays, each on a broker of its own, the smallest requests that broke these
// rules in earlier storms, so that each bug has an assertion of its own.
//
// Reproducing: the seed is printed. MILLRACE_FUZZ_SEED=<n> replays a run;
// MILLRACE_FUZZ_ONLY=<apiKey>[:<version>[:<index>]] narrows it to one API, version or request
// (every request's generator is seeded from (seed, apiKey, version, index) alone, so one request
// regenerates identically on its own; the broker's state around it may differ);
// MILLRACE_FUZZ_PER_VERSION sets the count (default 50: ~11,000 requests, ~4 s);
// MILLRACE_FUZZ_LOG=<file> writes the broker's whole log to a file. Each failure prints the
// request as JSON (Buffers as "hex:..."), the outcome and the broker's log line.
//
// Where a close is allowed (found by reading src/server/dispatch.ts, src/server/connection.ts and
// src/apis; this is the whole list — SaslHandshake/SaslAuthenticate, where Kafka also closes in
// some states, are not served by Millrace and so are never advertised):
//  - Produce with acks=0 that fails: Kafka (KafkaApis.handleProduceRequest) closes the
//    connection, the only way the client hears of the failure; Millrace throws CloseConnection
//    (src/apis/produce.ts) and logs "acks=0 produce to T-P failed with error N". (Any reason but
//    an internal error or an unreadable request is accepted for it.)
// Millrace also closes for an unreadable frame, an unknown API key, a version outside the served
// range, a request its decoder rejects, and a handler that throws or whose answer cannot be
// encoded (src/server/dispatch.ts). The requests here are well-formed, at advertised versions, so
// any of those is a broker bug.
//
// CLAMPS — where a random value would make the test itself unreasonable (Kafka-legal otherwise):
//  - Fetch maxWaitMs in [0, 100] (10% negative); the long poll cannot exceed it.
//  - JoinGroup sessionTimeoutMs in [0, 600] (with group.min.session.timeout.ms=10 on this broker,
//    so most are valid) or above group.max.session.timeout.ms or negative (rejected);
//    rebalanceTimeoutMs in [-1, 500] or negative: a rebalance (and so JoinGroup and SyncGroup)
//    waits at most the largest member's rebalance timeout. group.initial.rebalance.delay.ms=50 on
//    this broker (Kafka's default 3000 would make every first JoinGroup of a group wait 3 s).
//  - InitProducerId transactionTimeoutMs mostly in [1, 5000] or invalid (0, -1, above the max).
//  - timeoutMs fields (Produce, CreateTopics, DeleteTopics, ...) mostly in [-1, 2000], 15% any int32.
//  - Produce acks in {-1, 1} (5% other invalid values); acks=0 in a separate batch (a quarter as
//    many); records are the generator's random bytes or, half the time, real record batches.
//  - numPartitions / count small, or above Kafka's 10,000-per-request limit, or negative;
//    replicationFactor from {-1, 0, 1, 2, 3} or any int16.
//  - Broker-resource config changes (not validateOnly) only touch a list of harmless dynamic
//    broker configs, so the final produce/fetch check tests the broker, not a config it was told.
//  - Strings at most 300 characters, arrays at most 3 elements (the generator's own bounds);
//    int64 values within ±(2^53 - 1) (the codec's own bound).
// Bias (to reach handler code, not only "unknown topic"): names, ids, partitions, groups, members,
// producer ids and epochs are often those of topics, groups and producers set up before the storm,
// sometimes as a coherent identity (the open transaction's, the setup member's).

import t, { type Test as Tap } from 'tap'
import { appendFileSync, writeFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { ClientConnection } from '../src/client/index.js'
import {
  API_CODECS,
  ApiKey,
  buildBatchSync,
  Compression,
  decodeBatchRecordsSync,
  encodeRequest,
  ErrorCode,
  errorName,
  frameRequest,
  Reader,
  ResponseHeaderSchema,
  responseHeaderVersion,
  splitBatches,
  verifyBatchCrc,
  ZERO_UUID,
  type ApiKeyNumber,
  type CreateTopicsResponse,
  type FetchResponse,
  type MetadataResponse,
  type OffsetCommitResponse,
} from '../src/wire/index.js'
import { messageModel, randomMessage, restrictToVersion, Rng, type FieldModel, type TypeModel } from '../src/wire/random-messages.js'
import { setLogLevel, setLogSink } from '../src/util/index.js'
import { startTempBroker, type TempBroker } from './helpers.js'

const SEED = Number(process.env.MILLRACE_FUZZ_SEED ?? 20240917)
const PER_VERSION = Number(process.env.MILLRACE_FUZZ_PER_VERSION ?? 50)
/** Extra Produce requests with acks=0 per Produce version. */
const ACKS0_PER_VERSION = Math.max(1, Math.round(PER_VERSION / 4))
const ONLY = process.env.MILLRACE_FUZZ_ONLY?.split(':').map(Number) ?? []
/** No answer may take longer than this. */
const ANSWER_TIMEOUT_MS = 5000
/** Connections (one per API key and version) driven at once. */
const LANES_AT_ONCE = 24
/** "Huge memory": the heap in use may not peak more than this above its start during the storm, */
const MAX_HEAP_PEAK_GROWTH = 768 * 1024 * 1024
/** nor hold more than this after it (a full collection before and after). */
const MAX_HEAP_KEPT_GROWTH = 128 * 1024 * 1024

// ---------------------------------------------------------------------------------------------
// The broker's log: close reasons by client port, internal errors, and the tail for context.

/** ERROR lines Kafka logs too, for a client's doing: not internal errors. */
const KAFKA_ERROR_LOGS = [/could not complete rebalance because no members rejoined/]
const closeReasons = new Map<number, string>()
const errorLines: string[] = []
const tail: string[] = []
/** MILLRACE_FUZZ_LOG=<file>: the broker's whole log goes there too. */
const LOG_FILE = process.env.MILLRACE_FUZZ_LOG
if (LOG_FILE) writeFileSync(LOG_FILE, '')
setLogLevel('info')
const prevSink = setLogSink(line => {
  if (LOG_FILE) appendFileSync(LOG_FILE, line + '\n')
  tail.push(line)
  if (tail.length > 400) tail.splice(0, 200)
  const m = /closing connection from \S*:(\d+): (.*)$/.exec(line)
  if (m) closeReasons.set(Number(m[1]), m[2]!)
  if (/ ERROR |internal error/.test(line) && !KAFKA_ERROR_LOGS.some(re => re.test(line))) errorLines.push(line)
})

// ---------------------------------------------------------------------------------------------
// The allowed closes: a rule name when a close is one Kafka makes too, else null.

interface Sent {
  apiKey: number
  name: string
  version: number
  index: number
  acks0: boolean
  body: Record<string, unknown>
}

const ALLOWED_CLOSES: Array<{ rule: string; test: (s: Sent, reason: string) => boolean }> = [
  {
    // Today's reason is "acks=0 produce to T-P failed with error N"; any refusal of an acks=0
    // produce may close (Kafka closes for every error), but not a crash or an unreadable request.
    rule: 'Produce acks=0 that failed (Kafka: KafkaApis.handleProduceRequest closes the connection)',
    test: (s, reason) => s.apiKey === ApiKey.Produce && s.body.acks === 0 && !/^internal error|^malformed |not supported by this node|is not supported \(this node serves/.test(reason),
  },
]

// ---------------------------------------------------------------------------------------------
// A raw connection: whole frames in order, or closed, or nothing within a time.

type Next = { kind: 'frame'; frame: Buffer } | { kind: 'closed' } | { kind: 'timeout' }

class Lane {
  private buf = Buffer.alloc(0)
  private frames: Buffer[] = []
  private closed = false
  private waiter: (() => void) | null = null
  readonly localPort: number

  private constructor(private readonly socket: Socket) {
    this.localPort = socket.localPort!
    socket.setNoDelay(true)
    socket.on('error', () => {})
    socket.on('data', chunk => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
        this.frames.push(this.buf.subarray(4, 4 + this.buf.readInt32BE(0)))
        this.buf = this.buf.subarray(4 + this.buf.readInt32BE(0))
      }
      this.wake()
    })
    socket.on('close', () => {
      this.closed = true
      this.wake()
    })
  }

  static open(port: number): Promise<Lane> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: 'localhost', port })
      s.once('connect', () => {
        s.off('error', reject)
        resolve(new Lane(s))
      })
      s.once('error', reject)
    })
  }

  get isClosed(): boolean {
    return this.closed
  }

  private wake(): void {
    const w = this.waiter
    this.waiter = null
    w?.()
  }

  write(chunks: Buffer[]): void {
    this.socket.cork()
    for (const c of chunks) this.socket.write(c)
    this.socket.uncork()
  }

  async next(timeoutMs: number): Promise<Next> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const f = this.frames.shift()
      if (f) return { kind: 'frame', frame: f }
      if (this.closed) return { kind: 'closed' }
      const left = deadline - Date.now()
      if (left <= 0) return { kind: 'timeout' }
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>(resolve => {
        this.waiter = resolve
        timer = setTimeout(resolve, left)
      })
      clearTimeout(timer)
    }
  }

  destroy(): void {
    this.socket.destroy()
  }
}

// ---------------------------------------------------------------------------------------------
// What the storm knows about the broker (set up before it), to steer the generator.

interface Known {
  nodeId: number
  topics: string[]
  topicIds: string[]
  groups: string[]
  memberId: string
  generationId: number
  producers: Array<{ producerId: number; producerEpoch: number; transactionalId: string | null }>
}

const INTERNAL_TOPICS = ['__consumer_offsets', '__transaction_state', '__cluster_metadata']
const TXN_IDS = ['fuzz-txn-0', 'fuzz-txn-1']
/** The setup member's instance id; random requests use another, so that they do not fence it. */
const STATIC_INSTANCE = 'fuzz-static-0'
const OTHER_INSTANCE = 'fuzz-static-1'

const TOPIC_CONFIGS: Record<string, string[]> = {
  'cleanup.policy': ['delete', 'compact', 'compact,delete', 'bogus', ''],
  'retention.ms': ['-1', '0', '1000', '604800000', 'x'],
  'retention.bytes': ['-1', '0', '1024'],
  'segment.bytes': ['14', '1024', '1048576', '0', '-5'],
  'segment.ms': ['1', '60000', '0'],
  'max.message.bytes': ['0', '100', '1048588', '-1'],
  'compression.type': ['producer', 'gzip', 'snappy', 'lz4', 'zstd', 'uncompressed', 'brotli'],
  'min.insync.replicas': ['1', '2', '0'],
  'message.timestamp.type': ['CreateTime', 'LogAppendTime', 'x'],
  'min.cleanable.dirty.ratio': ['0.5', '1.5', '-1'],
  'unclean.leader.election.enable': ['true', 'false', 'maybe'],
}
/** Dynamic broker configs whose change cannot stop a fresh topic from taking a produce and a fetch. */
const BROKER_CONFIGS: Record<string, string[]> = {
  'log.retention.ms': ['-1', '604800000', 'abc'],
  'log.retention.bytes': ['-1', '1073741824'],
  'log.cleaner.threads': ['1', '0', '-1'],
  'log.flush.interval.messages': ['9223372036854775807', '0'],
  'num.io.threads': ['8', '0'],
  'compression.type': ['producer', 'gzip'],
}

/** The generator's steering: a rule returns the new value, or undefined to keep the random one. */
interface G {
  rng: Rng
  version: number
  apiKey: number
  known: Known
  struct: string
  field: FieldModel
}
type Rule = (value: unknown, g: G) => unknown

const partitionIndex = (r: Rng): number => r.range(-1, 3)
const topicName = (r: Rng, k: Known): string | undefined => {
  const x = r.float()
  if (x < 0.55) return r.pick(k.topics)
  if (x < 0.62) return r.pick(INTERNAL_TOPICS)
  if (x < 0.75) return `fuzz-new-${r.int(30)}`
  return undefined
}
const maybe = <T>(r: Rng, p: number, f: () => T): T | undefined => (r.chance(p) ? f() : undefined)
const isInt32Array = (f: FieldModel): boolean => f.type.kind === 'array' && f.type.elem.kind === 'prim' && f.type.elem.prim === 'int32'
const mapArray = (v: unknown, f: (x: unknown) => unknown): unknown => (Array.isArray(v) ? v.map(f) : v)

/** Rules by field name; `Struct.field` entries win over plain `field` ones. */
const RULES: Record<string, Rule> = {
  // Topics and partitions
  topicId: (_, g) => (g.rng.chance(0.5) ? g.rng.pick(g.known.topicIds) : g.rng.chance(0.2) ? ZERO_UUID : undefined),
  index: (_, g) => (g.struct === 'PartitionProduceData' ? maybe(g.rng, 0.7, () => partitionIndex(g.rng)) : undefined),
  partition: (v, g) => (isInt32Array(g.field) ? mapArray(v, x => maybe(g.rng, 0.7, () => partitionIndex(g.rng)) ?? x) : maybe(g.rng, 0.7, () => partitionIndex(g.rng))),
  partitionIndex: (_, g) => maybe(g.rng, 0.7, () => partitionIndex(g.rng)),
  partitions: (v, g) => (isInt32Array(g.field) ? mapArray(v, x => maybe(g.rng, 0.7, () => partitionIndex(g.rng)) ?? x) : undefined),
  partitionIndexes: (v, g) => mapArray(v, x => maybe(g.rng, 0.7, () => partitionIndex(g.rng)) ?? x),
  topicNames: (v, g) => mapArray(v, x => topicName(g.rng, g.known) ?? x),
  'TopicData.topicName': (_, g) => (g.rng.chance(0.5) ? '__cluster_metadata' : topicName(g.rng, g.known)),
  // Groups and members
  groupId: (_, g) => maybe(g.rng, 0.6, () => g.rng.pick(g.known.groups)),
  'DescribeGroupsRequest.groups': (v, g) => mapArray(v, x => maybe(g.rng, 0.6, () => g.rng.pick(g.known.groups)) ?? x),
  groupsNames: (v, g) => mapArray(v, x => maybe(g.rng, 0.6, () => g.rng.pick(g.known.groups)) ?? x),
  memberId: (_, g) => (g.rng.chance(0.4) ? g.known.memberId : g.rng.chance(0.25) ? '' : undefined),
  generationId: (_, g) => (g.rng.chance(0.4) ? g.known.generationId : g.rng.chance(0.3) ? -1 : undefined),
  generationIdOrMemberEpoch: (_, g) => (g.rng.chance(0.4) ? g.known.generationId : g.rng.chance(0.3) ? -1 : undefined),
  memberEpoch: (_, g) => (g.rng.chance(0.4) ? g.known.generationId : g.rng.chance(0.3) ? -1 : undefined),
  groupInstanceId: (v, g) => (v === null ? undefined : g.rng.chance(0.4) ? OTHER_INSTANCE : undefined),
  // JoinGroup keeps away from fuzz-g0, whose setup member should stay, so that Heartbeat,
  // SyncGroup and OffsetCommit with its identity can succeed.
  'JoinGroupRequest.groupId': (_, g) => maybe(g.rng, 0.6, () => g.known.groups[1]),
  'JoinGroupRequest.sessionTimeoutMs': (_, g) => {
    const x = g.rng.float()
    if (x < 0.8) return g.rng.range(0, 600)
    if (x < 0.9) return g.rng.range(1_800_001, 0x7fffffff)
    return -g.rng.range(1, 0x7fffffff)
  },
  rebalanceTimeoutMs: (_, g) => (g.rng.chance(0.8) ? g.rng.range(-1, 500) : -g.rng.range(1, 0x7fffffff)),
  protocolType: (v, g) => (v === null ? undefined : maybe(g.rng, 0.6, () => 'consumer')),
  'JoinGroupRequestProtocol.name': (_, g) => maybe(g.rng, 0.6, () => g.rng.pick(['range', 'roundrobin', 'cooperative-sticky'])),
  'JoinGroupRequest.protocols': (v, g) => (Array.isArray(v) && v.length === 0 && g.rng.chance(0.7) ? [{ name: 'range', metadata: g.rng.bytes(g.rng.int(9)) }] : undefined),
  'SyncGroupRequest.protocolName': (v, g) => (v === null ? undefined : maybe(g.rng, 0.5, () => g.rng.pick(['range', 'roundrobin']))),
  // Producers and transactions
  transactionalId: (v, g) => (v === null ? undefined : maybe(g.rng, 0.5, () => g.rng.pick(TXN_IDS))),
  // InitProducerId bumps the epoch of the id it names: it keeps to the second one, so the open
  // transaction's (producer id, epoch) stays valid for EndTxn, AddOffsetsToTxn and the rest.
  'InitProducerIdRequest.transactionalId': (v, g) => (v === null ? undefined : maybe(g.rng, 0.6, () => TXN_IDS[1])),
  v3AndBelowTransactionalId: (_, g) => maybe(g.rng, 0.6, () => g.rng.pick(TXN_IDS)),
  transactionalIds: (v, g) => mapArray(v, x => maybe(g.rng, 0.6, () => g.rng.pick(TXN_IDS)) ?? x),
  producerId: (_, g) => (g.rng.chance(0.5) ? g.rng.pick(g.known.producers).producerId : g.rng.chance(0.3) ? -1 : undefined),
  v3AndBelowProducerId: (_, g) => (g.rng.chance(0.6) ? g.rng.pick(g.known.producers).producerId : undefined),
  producerEpoch: (_, g) => (g.rng.chance(0.5) ? g.rng.pick(g.known.producers).producerEpoch : g.rng.chance(0.3) ? g.rng.pick([-1, 0]) : undefined),
  v3AndBelowProducerEpoch: (_, g) => (g.rng.chance(0.6) ? g.rng.pick(g.known.producers).producerEpoch : undefined),
  transactionTimeoutMs: (_, g) => {
    const x = g.rng.float()
    if (x < 0.5) return g.rng.range(1, 5000)
    if (x < 0.7) return g.rng.pick([0, -1, 900_001])
    return undefined
  },
  stateFilters: (v, g) => mapArray(v, x => maybe(g.rng, 0.6, () => g.rng.pick(['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort', 'PrepareCommit', 'PrepareAbort'])) ?? x),
  statesFilter: (v, g) => mapArray(v, x => maybe(g.rng, 0.6, () => g.rng.pick(['Stable', 'Empty', 'PreparingRebalance', 'CompletingRebalance', 'Dead'])) ?? x),
  typesFilter: (v, g) => mapArray(v, x => maybe(g.rng, 0.6, () => g.rng.pick(['classic', 'consumer', 'share'])) ?? x),
  // Waits
  timeoutMs: (_, g) => (g.rng.chance(0.85) ? g.rng.range(-1, 2000) : undefined),
  maxWaitMs: (_, g) => (g.rng.chance(0.9) ? g.rng.range(0, 100) : -g.rng.range(1, 0x7fffffff)),
  // Fetch, ListOffsets, DeleteRecords
  replicaId: (_, g) => (g.rng.chance(0.6) ? -1 : g.rng.chance(0.2) ? g.known.nodeId : undefined),
  fetchOffset: (_, g) => maybe(g.rng, 0.6, () => g.rng.range(-1, 10)),
  partitionMaxBytes: (_, g) => maybe(g.rng, 0.6, () => g.rng.range(0, 1 << 20)),
  maxBytes: (_, g) => maybe(g.rng, 0.6, () => g.rng.range(0, 10 << 20)),
  isolationLevel: (_, g) => maybe(g.rng, 0.8, () => g.rng.range(0, 1)),
  timestamp: (_, g) => maybe(g.rng, 0.6, () => g.rng.range(-5, -1)),
  'DeleteRecordsPartition.offset': (_, g) => maybe(g.rng, 0.6, () => g.rng.range(-1, 10)),
  // Admin
  numPartitions: (_, g) => {
    const x = g.rng.float()
    if (x < 0.7) return g.rng.range(-1, 3)
    if (x < 0.85) return g.rng.range(10_001, 0x7fffffff)
    return -g.rng.range(1, 0x7fffffff)
  },
  replicationFactor: (_, g) => maybe(g.rng, 0.8, () => g.rng.pick([-1, -1, 1, 1, 0, 2, 3])),
  count: (_, g) => {
    const x = g.rng.float()
    if (x < 0.6) return g.rng.range(1, 6)
    if (x < 0.8) return g.rng.range(10_001, 0x7fffffff)
    return undefined
  },
  brokerIds: (v, g) => (g.rng.chance(0.5) ? [g.known.nodeId] : v),
  'ReassignablePartition.replicas': (v, g) => (v !== null && g.rng.chance(0.5) ? [g.known.nodeId] : undefined),
  'CreatableTopicConfig.name': (_, g) => maybe(g.rng, 0.6, () => g.rng.pick(Object.keys(TOPIC_CONFIGS))),
  'AlterableConfig.name': (_, g) => maybe(g.rng, 0.6, () => g.rng.pick(Object.keys(TOPIC_CONFIGS))),
  resourceType: (_, g) => maybe(g.rng, 0.8, () => g.rng.pick([2, 2, 4, 4, 8])),
  configOperation: (_, g) => maybe(g.rng, 0.85, () => g.rng.range(0, 3)),
  electionType: (_, g) => maybe(g.rng, 0.8, () => g.rng.range(0, 1)),
  keyType: (_, g) => maybe(g.rng, 0.85, () => g.rng.range(0, 1)),
  resourceTypeFilter: (_, g) => maybe(g.rng, 0.8, () => g.rng.range(0, 7)),
  patternTypeFilter: (_, g) => maybe(g.rng, 0.8, () => g.rng.range(0, 4)),
  resourcePatternType: (_, g) => maybe(g.rng, 0.8, () => g.rng.range(0, 4)),
  operation: (_, g) => maybe(g.rng, 0.8, () => g.rng.range(0, 14)),
  permissionType: (_, g) => maybe(g.rng, 0.8, () => g.rng.range(0, 3)),
  matchType: (_, g) => maybe(g.rng, 0.8, () => g.rng.range(0, 2)),
  entityType: (_, g) => maybe(g.rng, 0.6, () => g.rng.pick(['user', 'client-id', 'ip'])),
  endpointType: (_, g) => maybe(g.rng, 0.8, () => g.rng.range(1, 2)),
}

/** Topic-name fields: `name`, `topic` or `topicName` of a struct about topics. */
function isTopicNameField(struct: string, prop: string): boolean {
  return (prop === 'name' || prop === 'topic' || prop === 'topicName') && /Topic/.test(struct) && struct !== 'CreatableTopicConfig'
}

function steer(m: ReturnType<typeof messageModel>, struct: string, obj: Record<string, unknown>, g: Omit<G, 'struct' | 'field'>): void {
  for (const f of m.structs.get(struct)!) {
    if (!(f.prop in obj)) continue
    const gg: G = { ...g, struct, field: f }
    const rule = RULES[`${struct}.${f.prop}`] ?? (isTopicNameField(struct, f.prop) ? (v: unknown) => (v === null ? undefined : topicName(g.rng, g.known)) : RULES[f.prop])
    if (rule) {
      const v = rule(obj[f.prop], gg)
      if (v !== undefined) obj[f.prop] = v
    }
    const walk = (t: TypeModel, v: unknown): void => {
      if (v === null || v === undefined) return
      if (t.kind === 'struct') steer(m, t.name, v as Record<string, unknown>, g)
      else if (t.kind === 'array') for (const e of v as unknown[]) walk(t.elem, e)
    }
    walk(f.type, obj[f.prop])
  }
}

/** Record batches for Produce: valid ones (often from a known producer), a corrupted one, or the generator's random bytes. */
function records(r: Rng, k: Known, current: unknown): Buffer | null | unknown {
  const x = r.float()
  if (x >= 0.55) return current
  const one = (): Buffer => {
    const n = r.range(0, 3)
    const recs = Array.from({ length: n }, () => ({
      key: r.chance(0.3) ? null : r.bytes(r.int(17)),
      value: r.chance(0.1) ? null : r.bytes(r.int(65)),
      headers: r.chance(0.8) ? [] : [{ key: 'h', value: r.bytes(r.int(5)) }],
      ...(r.chance(0.1) ? { timestamp: r.chance(0.5) ? -1 : r.int(2 ** 50) } : {}),
    }))
    const p = r.float()
    const producer = p < 0.55 ? null : r.pick(k.producers)
    return buildBatchSync({
      records: recs,
      compression: r.pick([Compression.None, Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4]),
      ...(producer ? { producerId: producer.producerId, producerEpoch: r.chance(0.8) ? producer.producerEpoch : r.range(-1, 3), baseSequence: r.range(-1, 5), transactional: producer.transactionalId !== null && r.chance(0.8) } : {}),
      ...(r.chance(0.05) ? { control: true } : {}),
      ...(r.chance(0.1) ? { baseOffset: r.int(1000) } : {}),
      ...(r.chance(0.1) ? { partitionLeaderEpoch: r.range(-1, 5) } : {}),
    })
  }
  const out = r.chance(0.8) ? one() : Buffer.concat([one(), one()])
  if (x < 0.05 && out.length > 0) out[r.int(out.length)] ^= 1 << r.int(8)
  return out
}

/** Fixes across fields of one struct, after the field rules. */
function fixStructs(apiKey: number, version: number, body: Record<string, unknown>, r: Rng, k: Known, acks0: boolean): void {
  const each = (v: unknown, f: (x: Record<string, unknown>) => void): void => {
    if (Array.isArray(v)) for (const x of v) f(x as Record<string, unknown>)
  }
  // Now and then a coherent identity, so that requests get past the first checks: the open
  // transaction's (transactionalId, producerId, producerEpoch), the setup member's (groupId,
  // memberId, generation, instance id).
  const txn = k.producers.find(p => p.transactionalId !== null)!
  const has = (f: string): boolean => f in body
  if (r.chance(0.4) && apiKey !== ApiKey.InitProducerId) {
    for (const [id, pid, epoch] of [
      ['transactionalId', 'producerId', 'producerEpoch'],
      ['v3AndBelowTransactionalId', 'v3AndBelowProducerId', 'v3AndBelowProducerEpoch'],
    ] as const) {
      if (has(id) && has(pid) && has(epoch)) [body[id], body[pid], body[epoch]] = [txn.transactionalId, txn.producerId, txn.producerEpoch]
    }
  }
  // (Not for JoinGroup, which would give the member a random session timeout, nor LeaveGroup.)
  if (r.chance(0.3) && has('groupId') && has('memberId') && apiKey !== ApiKey.JoinGroup && apiKey !== ApiKey.LeaveGroup) {
    body.groupId = k.groups[0]
    body.memberId = k.memberId
    if (has('generationId')) body.generationId = k.generationId
    if (has('generationIdOrMemberEpoch')) body.generationIdOrMemberEpoch = k.generationId
    if (has('groupInstanceId')) body.groupInstanceId = STATIC_INSTANCE
  }
  switch (apiKey) {
    case ApiKey.Produce: {
      body.acks = acks0 ? 0 : r.chance(0.95) ? r.pick([-1, 1]) : r.pick([2, -2, 32767, -32768])
      if (version >= 3 && body.transactionalId !== null && r.chance(0.6)) body.transactionalId = null
      each(body.topicData, td => each(td.partitionData, pd => (pd.records = records(r, k, pd.records))))
      break
    }
    case ApiKey.Fetch: {
      if (version >= 7) {
        const x = r.float()
        if (x < 0.4) [body.sessionId, body.sessionEpoch] = [0, -1]
        else if (x < 0.6) [body.sessionId, body.sessionEpoch] = [0, 0]
      }
      if (version >= 15 && body.replicaState && r.chance(0.6)) (body.replicaState as Record<string, unknown>).replicaId = -1
      break
    }
    case ApiKey.FindCoordinator: {
      const keyType = (body.keyType as number | undefined) ?? 0
      const pick = (): string | undefined => maybe(r, 0.7, () => (keyType === 1 ? r.pick(TXN_IDS) : r.pick(k.groups)))
      if (version < 4) body.key = pick() ?? body.key
      else body.coordinatorKeys = mapArray(body.coordinatorKeys, x => pick() ?? x)
      break
    }
    case ApiKey.DescribeConfigs:
    case ApiKey.AlterConfigs:
    case ApiKey.IncrementalAlterConfigs: {
      each(body.resources, res => {
        const type = res.resourceType as number
        if (type === 2) res.resourceName = topicName(r, k) ?? res.resourceName
        else if (type === 4 || type === 8) res.resourceName = r.chance(0.7) ? String(k.nodeId) : r.chance(0.5) ? '' : res.resourceName
        if (apiKey === ApiKey.DescribeConfigs) return
        each(res.configs, c => {
          const table = type === 4 ? BROKER_CONFIGS : TOPIC_CONFIGS
          // A real change to the broker's own configs keeps to the harmless ones.
          if (type === 4 && (body.validateOnly !== true || r.chance(0.5))) c.name = r.pick(Object.keys(BROKER_CONFIGS))
          const values = table[c.name as string]
          if (values && r.chance(0.7)) c.value = r.pick(values)
        })
      })
      each(body.resources, res => {
        if (apiKey === ApiKey.DescribeConfigs) return
        each(res.configs, c => {
          if (TOPIC_CONFIGS[c.name as string] && res.resourceType !== 4 && c.value !== null && r.chance(0.6)) c.value = r.pick(TOPIC_CONFIGS[c.name as string]!)
        })
      })
      break
    }
    case ApiKey.CreateTopics: {
      each(body.topics, tp => {
        if (r.chance(0.3)) tp.name = `fuzz-new-${r.int(30)}`
        each(tp.configs, c => {
          const values = TOPIC_CONFIGS[c.name as string]
          if (values && c.value !== null && r.chance(0.7)) c.value = r.pick(values)
        })
      })
      break
    }
  }
}

/** The request body for (apiKey, version, index) under SEED: a function of those and `known` only. */
function generate(apiKey: number, version: number, index: number, acks0: boolean, known: Known): Record<string, unknown> {
  const api = API_CODECS.get(apiKey)!
  const name = `${api.name}Request`
  const rng = new Rng((SEED ^ Math.imul(apiKey + 1, 0x9e3779b1) ^ Math.imul(version + 1, 0x85ebca6b) ^ Math.imul(index + 1 + (acks0 ? 7919 : 0), 0xc2b2ae35)) >>> 0)
  for (let i = 0; i < 4; i++) rng.next()
  const { input } = randomMessage(name, version, rng, { maxArray: 3, nullChance: 0.15 })
  const body = restrictToVersion(name, version, input)
  steer(messageModel(name), name, body, { rng, version, apiKey, known })
  fixStructs(apiKey, version, body, rng, known, acks0)
  return body
}

// ---------------------------------------------------------------------------------------------
// One request on a lane, and what became of it

function show(body: unknown): string {
  return JSON.stringify(body, (_k, v) => {
    if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      return `hex:${Buffer.from((v as { data: number[] }).data).toString('hex')}`
    }
    return v
  })
}

/** Decodes a response strictly: header, body, and no bytes left over. */
function decodeStrict(apiKey: number, version: number, frame: Buffer): { correlationId: number; body: unknown } {
  const api = API_CODECS.get(apiKey)!
  const r = new Reader(frame)
  const header = ResponseHeaderSchema.read(r, responseHeaderVersion(apiKey, version))
  const body = api.readResponse(r, version)
  if (r.remaining !== 0) throw new Error(`${r.remaining} bytes left over after the response`)
  return { correlationId: header.correlationId, body }
}

/** Whether an answer carries no error code other than NONE (to see how far the requests reach). */
function allNone(v: unknown): boolean {
  if (Array.isArray(v)) return v.every(allNone)
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (/errorCode$|ErrorCode$/.test(k) && typeof x === 'number' ? x !== 0 : !allNone(x)) return false
    }
  }
  return true
}

/** Error codes in an answer that Kafka does not define. */
function unknownErrorCodes(v: unknown, path = '$', out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x, i) => unknownErrorCodes(x, `${path}[${i}]`, out))
  else if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (/errorCode$|ErrorCode$/.test(k) && typeof x === 'number' && errorName(x).startsWith('UNKNOWN(')) out.push(`${path}.${k}=${x}`)
      else unknownErrorCodes(x, `${path}.${k}`, out)
    }
  }
  return out
}

/**
 * Record batches in a Fetch answer that are not what the log stored: every whole batch must be
 * magic v2 with a good CRC (a partial last batch is allowed, as Kafka may send one).
 */
function badFetchBatches(apiKey: number, body: unknown): string[] {
  if (apiKey !== ApiKey.Fetch) return []
  const out: string[] = []
  for (const tp of (body as FetchResponse).responses) {
    for (const p of tp.partitions) {
      const recs = p.records
      if (!recs || recs.length === 0) continue
      for (let pos = 0; pos + 17 <= recs.length; ) {
        const size = 12 + recs.readInt32BE(pos + 8)
        if (pos + size > recs.length) break
        if (recs.readInt8(pos + 16) !== 2) out.push(`${tp.topic}-${p.partitionIndex} batch at byte ${pos}: magic ${recs.readInt8(pos + 16)}`)
        else if (!verifyBatchCrc(recs, pos)) out.push(`${tp.topic}-${p.partitionIndex} batch at byte ${pos}: bad CRC`)
        pos += Math.max(size, 17)
      }
    }
  }
  return out
}

const MARKER_ID = 0x7ead0000

type Outcome =
  | { kind: 'answered'; body: unknown; ms: number }
  | { kind: 'silent'; ms: number }
  | { kind: 'allowed-close'; rule: string; ms: number }
  | { kind: 'failure'; what: string; detail: string; ms: number }

/**
 * Sends one request on `lane` and judges what comes back by the rules at the top of this file.
 * The lane is unusable afterwards unless the outcome is 'answered'.
 */
async function exchange(lane: Lane, sent: Sent, correlationId: number): Promise<Outcome> {
  let frame: Buffer[]
  try {
    frame = frameRequest(encodeRequest(sent.apiKey as ApiKeyNumber, sent.version, { correlationId, clientId: 'fuzz' }, sent.body as never))
  } catch (err) {
    return { kind: 'failure', what: 'the generator made a request the encoder refuses (a test bug)', detail: String((err as Error).stack ?? err), ms: 0 }
  }
  const acks0 = sent.apiKey === ApiKey.Produce && sent.body.acks === 0
  // Behind an acks=0 produce, a marker: its answer coming first shows that the produce got none.
  if (acks0) frame = [...frame, ...frameRequest(encodeRequest(ApiKey.ApiVersions, 0, { correlationId: MARKER_ID + correlationId, clientId: 'marker' }, {}))]
  const t0 = performance.now()
  lane.write(frame)
  const got = await lane.next(ANSWER_TIMEOUT_MS)
  const ms = performance.now() - t0
  const failure = (what: string, detail: string): Outcome => ({ kind: 'failure', what, detail, ms })
  if (got.kind === 'timeout') return failure(`no answer within ${ANSWER_TIMEOUT_MS} ms`, `the connection stayed open; broker log tail:\n${tail.slice(-5).join('\n')}`)
  if (got.kind === 'closed') {
    const reason = closeReasons.get(lane.localPort)
    if (reason === undefined) return failure('connection closed without a reason in the broker log', `log tail:\n${tail.slice(-5).join('\n')}`)
    const allowed = ALLOWED_CLOSES.find(a => a.test(sent, reason))
    if (allowed) return { kind: 'allowed-close', rule: allowed.rule, ms }
    return failure('the broker closed the connection where Kafka does not', `broker log: closing connection: ${reason}`)
  }
  const correlation = got.frame.length >= 4 ? got.frame.readInt32BE(0) : NaN
  if (acks0) {
    if (correlation === MARKER_ID + correlationId) return { kind: 'silent', ms }
    return failure('a Produce with acks=0 was answered', `a frame with correlation id ${correlation} (${got.frame.length} bytes: ${got.frame.subarray(0, 64).toString('hex')}) came before the marker's answer`)
  }
  if (correlation !== correlationId) {
    return failure('an answer with the wrong correlation id', `expected ${correlationId}, got ${correlation} (${got.frame.length} bytes: ${got.frame.subarray(0, 32).toString('hex')})`)
  }
  let decoded
  try {
    decoded = decodeStrict(sent.apiKey, sent.version, got.frame)
  } catch (err) {
    return failure('the answer does not decode with the response codec', `${(err as Error).message}; frame ${got.frame.subarray(0, 200).toString('hex')}`)
  }
  const unknown = unknownErrorCodes(decoded.body)
  if (unknown.length > 0) return failure('an error code Kafka does not define', unknown.slice(0, 5).join(', '))
  const batches = badFetchBatches(sent.apiKey, decoded.body)
  if (batches.length > 0) return failure('a Fetch answer with a corrupt record batch', batches.slice(0, 5).join(', '))
  return { kind: 'answered', body: decoded.body, ms }
}

// ---------------------------------------------------------------------------------------------

/** Exceptions and rejections that escaped (the broker runs in this process), with what was in flight. */
const uncaught: string[] = []
const inFlight = new Set<Sent>()
const onUncaught = (err: unknown): void =>
  void uncaught.push(`${(err as Error)?.stack ?? String(err)}\n  requests in flight: ${[...inFlight].map(s => `${s.name} v${s.version} #${s.index} ${show(s.body)}`).join('\n    ')}`)
process.on('uncaughtException', onUncaught)
process.on('unhandledRejection', onUncaught)
t.teardown(() => {
  process.off('uncaughtException', onUncaught)
  process.off('unhandledRejection', onUncaught)
  setLogSink(prevSink)
})

/** A full collection, to measure what the broker keeps rather than the garbage it has not yet dropped. */
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

interface Failure {
  what: string
  sent: Sent
  detail: string
}

const BROKER_OVERRIDES = { 'group.initial.rebalance.delay.ms': '50', 'group.min.session.timeout.ms': '10' }

t.test('random well-formed requests of every advertised API and version, over TCP', async t => {
  t.comment(`seed ${SEED} (MILLRACE_FUZZ_SEED=${SEED} to replay), ${PER_VERSION} requests per API version`)
  const uncaughtBefore = uncaught.length
  const errorsBefore = errorLines.length
  const broker: TempBroker = await startTempBroker(BROKER_OVERRIDES)
  t.teardown(() => broker.destroy().catch(() => {}))

  // --- Setup: topics with records, a group with a member, an idempotent and a transactional producer.
  const c = await ClientConnection.open('localhost', broker.port, 'fuzz-setup')
  const created = await c.send(ApiKey.CreateTopics, 5, {
    topics: [
      { name: 'fuzz-t0', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] },
      { name: 'fuzz-t1', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] },
    ],
    timeoutMs: 5000,
    validateOnly: false,
  })
  t.same(created.topics.map(x => x.errorCode), [0, 0], 'setup: topics created')
  for (const [topic, parts] of [['fuzz-t0', 3], ['fuzz-t1', 1]] as const) {
    for (let p = 0; p < parts; p++) {
      const res = await c.send(ApiKey.Produce, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: topic, partitionData: [{ index: p, records: buildBatchSync({ records: [1, 2, 3].map(i => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) })) }) }] }],
      })
      t.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0, `setup: produced to ${topic}-${p}`)
    }
  }
  const meta = await c.send(ApiKey.Metadata, 12, { topics: [{ topicId: ZERO_UUID, name: 'fuzz-t0' }, { topicId: ZERO_UUID, name: 'fuzz-t1' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  const topicIds = meta.topics.map(x => x.topicId!)
  const retry = async <R extends { errorCode: number }>(f: () => Promise<R>): Promise<R> => {
    for (let i = 0; ; i++) {
      const r = await f()
      if (r.errorCode === 0 || i >= 50) return r
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
  await c.send(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['fuzz-g0'] })
  const joined = await retry(() =>
    c.send(ApiKey.JoinGroup, 5, {
      groupId: 'fuzz-g0',
      sessionTimeoutMs: 30000,
      rebalanceTimeoutMs: 300,
      memberId: '',
      groupInstanceId: STATIC_INSTANCE,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    }),
  )
  t.equal(joined.errorCode, 0, 'setup: a static member joined fuzz-g0')
  const synced = await c.send(ApiKey.SyncGroup, 3, { groupId: 'fuzz-g0', generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: STATIC_INSTANCE, assignments: [{ memberId: joined.memberId, assignment: Buffer.alloc(0) }] })
  t.equal(synced.errorCode, 0, 'setup: and synced')
  const committed = await c.send(ApiKey.OffsetCommit, 8, {
    groupId: 'fuzz-g0',
    generationIdOrMemberEpoch: joined.generationId,
    memberId: joined.memberId,
    groupInstanceId: STATIC_INSTANCE,
    topics: [{ name: 'fuzz-t0', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' }] }],
  })
  t.equal(committed.topics[0]!.partitions[0]!.errorCode, 0, 'setup: committed an offset')
  const idem = await c.send(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 })
  t.equal(idem.errorCode, 0, 'setup: an idempotent producer id')
  await c.send(ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: [TXN_IDS[0]!] })
  const txn = await retry(() => c.send(ApiKey.InitProducerId, 4, { transactionalId: TXN_IDS[0]!, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 }))
  t.equal(txn.errorCode, 0, 'setup: a transactional producer id')
  const added = await c.send(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: TXN_IDS[0]!, v3AndBelowProducerId: txn.producerId, v3AndBelowProducerEpoch: txn.producerEpoch, v3AndBelowTopics: [{ name: 'fuzz-t0', partitions: [0] }] })
  t.equal(added.resultsByTopicV3AndBelow![0]!.resultsByPartition[0]!.partitionErrorCode, 0, 'setup: a transaction is open on fuzz-t0-0')
  const versions = await c.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' })
  c.close()
  const known: Known = {
    nodeId: broker.nodeId,
    topics: ['fuzz-t0', 'fuzz-t1'],
    topicIds,
    groups: ['fuzz-g0', 'fuzz-g1'],
    memberId: joined.memberId,
    generationId: joined.generationId,
    producers: [
      { producerId: idem.producerId, producerEpoch: idem.producerEpoch, transactionalId: null },
      { producerId: txn.producerId, producerEpoch: txn.producerEpoch, transactionalId: TXN_IDS[0]! },
    ],
  }

  // --- The storm: a connection per API key and version (so a close hides nothing else), many at once.
  const unknownKeys = versions.apiKeys.filter(k => !API_CODECS.has(k.apiKey)).map(k => k.apiKey)
  t.same(unknownKeys, [], 'every advertised API key has a codec')
  type Job = { apiKey: number; version: number }
  const jobs: Job[] = []
  for (const k of versions.apiKeys) {
    if (!API_CODECS.has(k.apiKey) || (ONLY[0] !== undefined && k.apiKey !== ONLY[0])) continue
    for (let v = k.minVersion; v <= k.maxVersion; v++) if (ONLY[1] === undefined || v === ONLY[1]) jobs.push({ apiKey: k.apiKey, version: v })
  }
  t.ok(jobs.length > 0, `${versions.apiKeys.length} APIs advertised, ${jobs.length} API versions to test`)
  // The slow ones (long polls, rebalances) first, so that they do not finish last.
  const slow = new Set<number>([ApiKey.Fetch, ApiKey.JoinGroup, ApiKey.SyncGroup])
  jobs.sort((a, b) => Number(slow.has(b.apiKey)) - Number(slow.has(a.apiKey)))

  const failures: Failure[] = []
  const counts = { answered: 0, silent: 0, allowedClose: 0 }
  const allowedByRule = new Map<string, number>()
  /** Answers per API, and how many of them carry no error at all: how far the requests reach. */
  const reached = new Map<string, { answered: number; clean: number }>()
  const slowest: Array<[number, string]> = []
  gc()
  const heapBefore = process.memoryUsage().heapUsed
  let heapPeak = heapBefore
  const memTimer = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 50)
  const started = Date.now()

  const runJob = async ({ apiKey, version }: Job): Promise<void> => {
    const api = API_CODECS.get(apiKey)!
    let lane: Lane | null = null
    let correlationId = 1
    const plan: Array<{ index: number; acks0: boolean }> = []
    for (let i = 0; i < PER_VERSION; i++) plan.push({ index: i, acks0: false })
    if (apiKey === ApiKey.Produce) for (let i = 0; i < ACKS0_PER_VERSION; i++) plan.push({ index: i, acks0: true })
    for (const { index, acks0 } of plan) {
      if (ONLY[2] !== undefined && index !== ONLY[2]) continue
      const sent: Sent = { apiKey, name: api.name, version, index, acks0, body: generate(apiKey, version, index, acks0, known) }
      if (!lane || lane.isClosed) lane = await Lane.open(broker.port)
      inFlight.add(sent)
      const out = await exchange(lane, sent, correlationId++)
      // Give work the request started (appends, deletes, timers) a moment to fail visibly while it is in flight.
      await new Promise(resolve => setImmediate(resolve))
      inFlight.delete(sent)
      slowest.push([out.ms, `${api.name} v${version} #${index}`])
      if (slowest.length > 50) slowest.sort((a, b) => b[0] - a[0]).splice(10)
      if (out.kind === 'answered') {
        counts.answered++
        const reach = reached.get(api.name) ?? { answered: 0, clean: 0 }
        reach.answered++
        if (allNone(out.body)) reach.clean++
        reached.set(api.name, reach)
        continue
      }
      lane.destroy() // after a close, a timeout, an acks=0 produce or a failure: start afresh
      lane = null
      if (out.kind === 'silent') counts.silent++
      else if (out.kind === 'allowed-close') {
        counts.allowedClose++
        allowedByRule.set(out.rule, (allowedByRule.get(out.rule) ?? 0) + 1)
      } else failures.push({ what: out.what, detail: out.detail, sent })
    }
    lane?.destroy()
  }

  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(LANES_AT_ONCE, jobs.length) }, async () => {
      while (next < jobs.length) await runJob(jobs[next++]!)
    }),
  )
  const elapsed = Date.now() - started
  await new Promise(resolve => setTimeout(resolve, 300))
  clearInterval(memTimer)
  gc()
  const heapAfter = process.memoryUsage().heapUsed

  // --- Report
  slowest.sort((a, b) => b[0] - a[0])
  const total = counts.answered + counts.silent + counts.allowedClose + failures.length
  t.comment(
    `${jobs.length} API versions, ${total} requests in ${(elapsed / 1000).toFixed(1)} s: ${counts.answered} answered, ${counts.silent} acks=0 produces not answered, ` +
      `${counts.allowedClose} closed where Kafka closes, ${failures.length} failed; slowest ${slowest.slice(0, 3).map(([ms, s]) => `${ms.toFixed(0)} ms (${s})`).join(', ')}`,
  )
  for (const [rule, n] of allowedByRule) t.comment(`allowed close x${n}: ${rule}`)
  t.comment(`answers without any error, per API: ${[...reached].map(([name, r]) => `${name} ${r.clean}/${r.answered}`).join(', ')}`)
  // One failure per (kind, API, version), with its first request and how often it happened.
  const groups = new Map<string, { f: Failure; n: number }>()
  for (const f of failures) {
    const k = `${f.what}|${f.sent.apiKey}|${f.sent.version}`
    const g = groups.get(k)
    if (g) g.n++
    else groups.set(k, { f, n: 1 })
  }
  for (const { f, n } of groups.values()) {
    t.fail(`${f.sent.name} (key ${f.sent.apiKey}) v${f.sent.version}: ${f.what} (${n}x at this version)`, {
      replay: `MILLRACE_FUZZ_SEED=${SEED} MILLRACE_FUZZ_ONLY=${f.sent.apiKey}:${f.sent.version}:${f.sent.index}${f.sent.acks0 ? ' (the acks=0 request of that index)' : ''}`,
      request: show(f.sent.body),
      detail: f.detail,
    })
  }
  t.equal(failures.length, 0, 'every request answered with its correlation id and a decodable answer, or closed where Kafka closes, within the time')
  t.ok(counts.answered > 0, 'requests were answered')
  t.same(uncaught.slice(uncaughtBefore), [], 'no uncaught exception or unhandled rejection')
  t.same(errorLines.slice(errorsBefore, errorsBefore + 10), [], 'no internal error in the broker log')
  t.ok(heapPeak - heapBefore < MAX_HEAP_PEAK_GROWTH, `the heap in use peaked ${((heapPeak - heapBefore) / 2 ** 20).toFixed(0)} MiB above its start`)
  t.ok(heapAfter - heapBefore < MAX_HEAP_KEPT_GROWTH, `after a full collection the heap holds ${((heapAfter - heapBefore) / 2 ** 20).toFixed(0)} MiB more than before the storm`)

  // --- The broker still serves a fresh client.
  const after = await ClientConnection.open('localhost', broker.port, 'fuzz-after')
  t.teardown(() => after.close())
  await stillServes(t, after, versions.apiKeys)
})

/** ApiVersions answers (with `apiKeys`, when given), a new topic can be created, produced to and fetched. */
async function stillServes(t: Tap, c: ClientConnection, apiKeys?: unknown, topic = 'fuzz-after'): Promise<void> {
  try {
    await stillServesOrThrow(t, c, apiKeys, topic)
  } catch (err) {
    t.fail(`the broker no longer serves a fresh client: ${(err as Error).message}`, { log: tail.slice(-6).join('\n') })
  }
}

async function stillServesOrThrow(t: Tap, c: ClientConnection, apiKeys: unknown, topic: string): Promise<void> {
  const av = await c.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'fuzz-after', clientSoftwareVersion: '1' })
  t.equal(av.errorCode, 0, 'ApiVersions still answers')
  if (apiKeys) t.same(av.apiKeys, apiKeys, 'with the same APIs')
  const mk = await c.send(ApiKey.CreateTopics, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false })
  t.equal(mk.topics[0]!.errorCode, 0, 'a topic can still be created')
  const values = ['after-1', 'after-2', 'after-3']
  const produce = () =>
    c.send(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: buildBatchSync({ records: values.map(v => ({ key: null, value: Buffer.from(v) })) }) }] }],
    })
  // A new partition may take a moment to open (LEADER_NOT_AVAILABLE meanwhile); 3 s is plenty.
  let sent = await produce()
  for (let i = 0; i < 30 && sent.responses[0]!.partitionResponses[0]!.errorCode === ErrorCode.LEADER_NOT_AVAILABLE; i++) {
    await new Promise(resolve => setTimeout(resolve, 100))
    sent = await produce()
  }
  t.same([sent.responses[0]!.partitionResponses[0]!.errorCode, sent.responses[0]!.partitionResponses[0]!.baseOffset], [0, 0], 'a produce is still acknowledged')
  const fetched = await c.send(ApiKey.Fetch, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  })
  const p = fetched.responses[0]!.partitions[0]!
  const got: string[] = []
  if (p.records) for (const s of splitBatches(p.records)) for (const r of decodeBatchRecordsSync(p.records, s)) got.push(r.value!.toString())
  t.same([p.errorCode, got], [0, values], 'and fetched back')
}

// ---------------------------------------------------------------------------------------------
// The smallest requests that broke the rules in earlier storms, replayed on a broker of their own
// each, so that each bug is named by its own failing assertion (the storm above finds them again
// only by chance, and one of them wrecks the broker for the rest of the storm).

t.test('requests that broke the rules in earlier storms', async t => {
  const fresh = async (t: Tap): Promise<{ broker: TempBroker; lane: () => Promise<Lane>; client: ClientConnection }> => {
    const broker = await startTempBroker(BROKER_OVERRIDES)
    const client = await ClientConnection.open('localhost', broker.port, 'fuzz-case')
    const lanes: Lane[] = []
    t.teardown(async () => {
      for (const l of lanes) l.destroy()
      client.close()
      await broker.destroy().catch(() => {})
    })
    return { broker, client, lane: async () => lanes[lanes.push(await Lane.open(broker.port)) - 1]! }
  }
  /** Sends `body` as (apiKey, version) on a lane of its own and checks the storm's rules; returns the answer. */
  const check = async (t: Tap, lane: Lane, apiKey: number, version: number, body: Record<string, unknown>): Promise<unknown> => {
    const sent: Sent = { apiKey, name: API_CODECS.get(apiKey)!.name, version, index: -1, acks0: body.acks === 0, body }
    const errorsBefore = errorLines.length
    const out = await exchange(lane, sent, 1)
    await new Promise(resolve => setTimeout(resolve, 50))
    if (out.kind === 'failure') t.fail(`${sent.name} v${version}: ${out.what}`, { request: show(body), detail: out.detail })
    else t.pass(`${sent.name} v${version}: ${out.kind}${out.kind === 'allowed-close' ? ` (${out.rule})` : ''}`)
    t.same(errorLines.slice(errorsBefore), [], 'no internal error in the broker log')
    return out.kind === 'answered' ? out.body : undefined
  }

  t.test('Produce v0-v2 with acks=0 gets no answer (or a closed connection)', async t => {
    // Millrace refuses Produce v0-v2 (message format v0/v1) with UNSUPPORTED_VERSION, but answers
    // even when acks=0; a client that sent acks=0 reads no answer, so the frame desynchronises it.
    const { lane } = await fresh(t)
    for (const version of [0, 1, 2]) await check(t, await lane(), ApiKey.Produce, version, { acks: 0, timeoutMs: 1000, topicData: [] })
  })

  t.test('OffsetCommit v2-v4 with a large retentionTimeMs', async t => {
    // retentionTimeMs is an int64; now + (2^53 - 1) is no longer a safe integer, and writing the
    // commit's expire timestamp threw (EncodeError) and closed the connection.
    const { lane, client } = await fresh(t)
    const mk = await client.send(ApiKey.CreateTopics, 7, { topics: [{ name: 'fuzz-c', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false })
    t.equal(mk.topics[0]!.errorCode, 0, 'fuzz-c created')
    // The group coordinator loads (and creates __consumer_offsets) on the first lookup.
    let found = await client.send(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['g'] })
    for (let i = 0; i < 50 && found.coordinators![0]!.errorCode !== 0; i++) {
      await new Promise(resolve => setTimeout(resolve, 100))
      found = await client.send(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['g'] })
    }
    t.equal(found.coordinators![0]!.errorCode, 0, 'the group coordinator is ready')
    for (const version of [2, 3, 4]) {
      const res = (await check(t, await lane(), ApiKey.OffsetCommit, version, {
        groupId: 'g',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        retentionTimeMs: Number.MAX_SAFE_INTEGER,
        topics: [{ name: 'fuzz-c', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: '' }] }],
      })) as OffsetCommitResponse | undefined
      if (res) t.comment(`OffsetCommit v${version} answered ${errorName(res.topics[0]!.partitions[0]!.errorCode)}`)
    }
  })

  t.test('a topic named __cluster_metadata', async t => {
    // Kafka refuses to create it (ControllerApis: INVALID_REQUEST "Creation of internal topic
    // __cluster_metadata is prohibited."). Millrace created it; its partition 0 is the KRaft
    // metadata log itself, so a produce appended client records to the metadata log and deleting
    // the topic deleted the metadata log: from then on every metadata change (CreateTopics,
    // DeleteTopics, Metadata with auto-creation) closed the connection with an internal error.
    const { lane, client } = await fresh(t)
    const created = (await check(t, await lane(), ApiKey.CreateTopics, 7, {
      topics: [{ name: '__cluster_metadata', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    })) as CreateTopicsResponse | undefined
    t.equal(created?.topics[0]?.errorCode, ErrorCode.INVALID_REQUEST, 'CreateTopics of __cluster_metadata is refused with INVALID_REQUEST, as Kafka does')
    const auto = (await check(t, await lane(), ApiKey.Metadata, 4, { topics: [{ name: '__cluster_metadata' }], allowAutoTopicCreation: true })) as MetadataResponse | undefined
    t.not(auto?.topics[0]?.errorCode, ErrorCode.NONE, 'Metadata does not auto-create __cluster_metadata')
    await check(t, await lane(), ApiKey.Produce, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: '__cluster_metadata', partitionData: [{ index: 0, records: buildBatchSync({ records: [{ key: null, value: Buffer.from('not a metadata record') }] }) }] }],
    })
    await check(t, await lane(), ApiKey.DeleteTopics, 4, { topicNames: ['__cluster_metadata'], timeoutMs: 1000 })
    await stillServes(t, client, undefined, 'fuzz-c')
  })

  t.test('DeleteTopics and CreateTopics of one name at once', async t => {
    // The new topic's log opened in the directory the deletion was about to rename away
    // (LogManager.deleteLog drops the entry before its awaits): "cannot open the log of x-0:
    // ENOENT", and the partition never opened: every produce answered LEADER_NOT_AVAILABLE.
    const { lane, client } = await fresh(t)
    const spec = { topics: [{ name: 'x', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false }
    const produce = () =>
      client.send(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'x', partitionData: [{ index: 0, records: buildBatchSync({ records: [{ key: null, value: Buffer.from('v') }] }) }] }] })
    // The race is a matter of timing: a few rounds, until one goes wrong.
    for (let round = 0; round < 10; round++) {
      await client.send(ApiKey.CreateTopics, 7, spec)
      const [a, b] = [await lane(), await lane()]
      await Promise.all([check(t, a, ApiKey.DeleteTopics, 4, { topicNames: ['x'], timeoutMs: 5000 }), check(t, b, ApiKey.CreateTopics, 7, spec)])
      const meta = await client.send(ApiKey.Metadata, 4, { topics: [{ name: 'x' }], allowAutoTopicCreation: false })
      if (meta.topics[0]!.errorCode !== ErrorCode.NONE) continue // the create came first, the delete removed x
      let code = -2
      for (let i = 0; i < 30 && code !== ErrorCode.NONE; i++) {
        if (i > 0) await new Promise(resolve => setTimeout(resolve, 100))
        code = (await produce()).responses[0]!.partitionResponses[0]!.errorCode
      }
      t.equal(errorName(code), 'NONE', `round ${round}: the re-created x takes a produce within 3 s`)
      if (code !== ErrorCode.NONE) break
      await client.send(ApiKey.DeleteTopics, 4, { topicNames: ['x'], timeoutMs: 5000 })
    }
  })
})

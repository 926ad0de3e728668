// Runs every scenario with every installed client against one Millrace and judges the results.
// Each client is driven by its own child process (see protocol.ts); the runner checks what the
// clients report against what it produced and against the broker's own view (reference.ts).

import { CLIENTS, type ClientSpec } from './clients.js'
import { DriverError, DriverProcess } from './driver-process.js'
import {
  CODECS,
  messageAt,
  type Codec,
  type ConsumedRecord,
  type DescribeResult,
  type GroupResult,
  type HelloResult,
  type MetadataResult,
  type OffsetsResult,
  type TransactionStep,
  type TransactionsResult,
} from './protocol.js'
import { ControlRecordType, decodeControlRecordKey, BatchAttribute } from '../../src/wire/index.js'
import { Reference } from './reference.js'

export type Status = 'pass' | 'fail' | 'n/a' | 'skip'

export interface Cell {
  status: Status
  /** What was checked, or why n/a / skip. */
  detail?: string
  /** First lines of the failure. */
  error?: string
  ms?: number
  /** Sub-results (the codecs of the compression scenario). */
  parts?: Record<string, Cell>
}

export const SCENARIOS = [
  { id: 'metadata', title: '1. metadata' },
  { id: 'admin', title: '2. create / describe / delete topic' },
  { id: 'produce-consume', title: '3. keyed messages, headers, acks=all' },
  { id: 'compression', title: '4. compression, read by another client' },
  { id: 'group', title: '5. consumer group (2 + 1 members)' },
  { id: 'idempotent', title: '6. idempotent producer' },
  { id: 'offsets', title: '7. offsets: timestamp, earliest, latest' },
  { id: 'transactions', title: '8. transactions' },
] as const
export type ScenarioId = (typeof SCENARIOS)[number]['id']

export interface ClientInfo {
  installed: boolean
  reason?: string
  install: string
  basedOn?: string
  version?: string
  produceCodecs?: Codec[]
  consumeCodecs?: Codec[]
  notes?: string[]
}

export interface MatrixResult {
  format: 1
  mode: 'full' | 'ci'
  /** Messages in scenario 3 (the README run uses 10,000). */
  messages: number
  startedAt: string
  durationMs: number
  broker: string
  clients: Record<string, ClientInfo>
  scenarios: Record<string, Partial<Record<ScenarioId, Cell>>>
  /** cross[producer][consumer] */
  cross: Record<string, Record<string, Cell>>
}

export interface MatrixOptions {
  bootstrap: string
  mode: 'full' | 'ci'
  /** Only these clients (default: all). */
  clients?: string[]
  /** Only these scenarios (default: all; 'cross' for the N×N matrix). */
  scenarios?: string[]
  /** Progress and failure output. */
  log?: (line: string) => void
  /** Appended to topic and group names so repeated runs against one broker do not collide. */
  runId?: string
}

class Failure extends Error {}
class NotApplicable extends Error {}

const fail = (msg: string): never => {
  throw new Failure(msg)
}

/** Message counts of each scenario in the README run ('full') and in CI. */
export function sizes(mode: 'full' | 'ci') {
  return mode === 'full'
    ? { messages: 10_000, codecMessages: 500, crossMessages: 300, idempotentMessages: 2_000, groupPhase: 200, txnCommitted: 1_000, txnAborted: 500 }
    : { messages: 1_000, codecMessages: 100, crossMessages: 60, idempotentMessages: 300, groupPhase: 40, txnCommitted: 60, txnAborted: 30 }
}

const TIMEOUT = { short: 30_000, long: 90_000 }

/** Compares what a client consumed with messages [start, start+count) of `tag`, partition by partition. */
export function compareRecords(records: ConsumedRecord[], tag: string, partitions: number, start: number, count: number, firstOffsets?: number[]): string {
  const byPartition = new Map<number, ConsumedRecord[]>()
  for (const r of records) {
    if (!byPartition.has(r[0])) byPartition.set(r[0], [])
    byPartition.get(r[0])!.push(r)
  }
  const problems: string[] = []
  for (const p of byPartition.keys()) if (p < 0 || p >= partitions) problems.push(`records from unexpected partition ${p}`)
  for (let p = 0; p < partitions; p++) {
    const expected = []
    for (let i = start; i < start + count; i++) if (i % partitions === p) expected.push(messageAt(i, tag, partitions))
    const got = byPartition.get(p) ?? []
    if (got.length !== expected.length) problems.push(`partition ${p}: ${got.length} records, expected ${expected.length}`)
    const base = firstOffsets?.[p] ?? 0
    for (let j = 0; j < Math.min(got.length, expected.length); j++) {
      const [, offset, key, value, headers] = got[j]
      const want = expected[j]
      const where = `partition ${p} record ${j} (offset ${offset})`
      if (offset !== base + j) problems.push(`${where}: offset ${offset}, expected ${base + j} (order per partition broken or a gap)`)
      else if (key !== want.key) problems.push(`${where}: key ${JSON.stringify(key)}, expected ${JSON.stringify(want.key)}`)
      else if (value !== want.value) problems.push(`${where}: value ${JSON.stringify(value)}, expected ${JSON.stringify(want.value)}`)
      else if (JSON.stringify(headers) !== JSON.stringify(want.headers))
        problems.push(`${where}: headers ${JSON.stringify(headers)}, expected ${JSON.stringify(want.headers)}`)
      if (problems.length >= 5) break
    }
    if (problems.length >= 5) break
  }
  return problems.join('; ')
}

interface Ctx {
  opts: MatrixOptions
  ref: Reference
  size: ReturnType<typeof sizes>
  drivers: Map<string, DriverProcess>
  hello: Map<string, HelloResult>
  order: string[]
  log: (line: string) => void
  name: (kind: string, client: string, extra?: string) => string
}

async function call<T>(ctx: Ctx, client: string, req: Parameters<DriverProcess['request']>[0], timeoutMs = TIMEOUT.short): Promise<T> {
  try {
    return await ctx.drivers.get(client)!.request<T>(req, timeoutMs)
  } catch (e) {
    if (e instanceof DriverError && e.unsupported) throw new NotApplicable(e.message.split('\n')[0])
    throw e
  }
}

// ---- scenarios ---------------------------------------------------------------------------------

async function scenarioMetadata(ctx: Ctx, client: string): Promise<string> {
  const topic = ctx.name('meta', client)
  await ctx.ref.createTopic(topic, 3)
  const truth = await ctx.ref.metadata([topic])
  const got = await call<MetadataResult>(ctx, client, { op: 'metadata', topics: [topic] })
  const wantBrokers = truth.brokers.map(b => `${b.nodeId}@${b.host}:${b.port}`).sort()
  const gotBrokers = got.brokers.map(b => `${b.id}@${b.host}:${b.port}`).sort()
  if (JSON.stringify(wantBrokers) !== JSON.stringify(gotBrokers)) fail(`brokers ${gotBrokers.join(', ')}, expected ${wantBrokers.join(', ')}`)
  if (got.controllerId !== null && got.controllerId !== truth.controllerId) fail(`controller ${got.controllerId}, expected ${truth.controllerId}`)
  const t = got.topics.find(x => x.name === topic) ?? fail(`topic ${topic} missing from ${JSON.stringify(got.topics.map(x => x.name))}`)
  const want = truth.topics[0].partitions
  if (t.partitions.length !== want.length) fail(`${t.partitions.length} partitions, expected ${want.length}`)
  for (const w of want) {
    const p = t.partitions.find(x => x.id === w.partitionIndex) ?? fail(`partition ${w.partitionIndex} missing`)
    if (p.leader !== w.leaderId) fail(`partition ${p.id}: leader ${p.leader}, expected ${w.leaderId}`)
    if (JSON.stringify(p.replicas) !== JSON.stringify(w.replicaNodes)) fail(`partition ${p.id}: replicas ${p.replicas}, expected ${w.replicaNodes}`)
    if (JSON.stringify(p.isr) !== JSON.stringify(w.isrNodes)) fail(`partition ${p.id}: isr ${p.isr}, expected ${w.isrNodes}`)
  }
  return `${gotBrokers.length} broker(s), ${t.partitions.length} partitions with leaders, replicas and ISR as the broker states them`
}

export const ADMIN_CONFIGS = { 'retention.ms': '3600000', 'cleanup.policy': 'compact' }

async function scenarioAdmin(ctx: Ctx, client: string): Promise<string> {
  const topic = ctx.name('admin', client)
  await call(ctx, client, { op: 'createTopic', topic, partitions: 3, configs: ADMIN_CONFIGS })
  const stored = await ctx.ref.topicConfigs(topic, Object.keys(ADMIN_CONFIGS))
  for (const [k, v] of Object.entries(ADMIN_CONFIGS)) if (stored[k] !== v) fail(`after create the broker has ${k}=${stored[k]}, expected ${v}`)
  const described = await call<DescribeResult>(ctx, client, { op: 'describeTopic', topic, configKeys: Object.keys(ADMIN_CONFIGS) })
  if (described.partitions !== 3) fail(`described ${described.partitions} partitions, expected 3`)
  let note = ''
  if (described.configs === null) note = ' (this client cannot describe configs; checked with the reference reader)'
  else for (const [k, v] of Object.entries(ADMIN_CONFIGS)) if (described.configs[k] !== v) fail(`described ${k}=${described.configs[k]}, expected ${v}`)
  await call(ctx, client, { op: 'deleteTopic', topic })
  for (let waited = 0; await ctx.ref.topicExists(topic); waited += 100) {
    if (waited >= 5000) fail('the topic still exists 5 s after delete')
    await new Promise(r => setTimeout(r, 100))
  }
  return `created with 3 partitions and ${Object.keys(ADMIN_CONFIGS).join(', ')}; described; deleted${note}`
}

async function produceAndVerifyStored(ctx: Ctx, client: string, topic: string, partitions: number, count: number, extra: { compression?: Codec; idempotent?: boolean; acks?: number } = {}) {
  const compression = extra.compression ?? 'none'
  await call(ctx, client, { op: 'produce', topic, partitions, start: 0, count, tag: client, compression, idempotent: extra.idempotent ?? false, acks: extra.acks ?? -1 }, TIMEOUT.long)
  const ranges = await ctx.ref.offsetRange(topic, partitions)
  for (let p = 0; p < partitions; p++) {
    const want = Math.floor(count / partitions) + (p < count % partitions ? 1 : 0)
    if (ranges[p][1] !== want) fail(`after produce partition ${p} holds ${ranges[p][1]} records, expected ${want}`)
  }
}

async function consumeAndCompare(ctx: Ctx, reader: string, topic: string, tag: string, partitions: number, count: number): Promise<void> {
  const { records } = await call<{ records: ConsumedRecord[] }>(ctx, reader, { op: 'consume', topic, partitions, expect: count, timeoutMs: TIMEOUT.long - 10_000 }, TIMEOUT.long)
  const problems = compareRecords(records, tag, partitions, 0, count)
  if (problems) fail(`${reader} read back: ${problems}`)
}

async function scenarioProduceConsume(ctx: Ctx, client: string): Promise<string> {
  const topic = ctx.name('keyed', client)
  const n = ctx.size.messages
  await ctx.ref.createTopic(topic, 3)
  await produceAndVerifyStored(ctx, client, topic, 3, n, { acks: -1 })
  await consumeAndCompare(ctx, client, topic, client, 3, n)
  return `${n} messages over 3 partitions: keys, values, headers, partitions and order match`
}

/** The client that reads back `producer`'s `codec`: rotate through the others so each codec meets a different reader. */
function readerFor(ctx: Ctx, producer: string, codec: Codec, turn: number): string | null {
  const xerial = codec === 'snappy' && ctx.hello.get(producer)?.writesXerialSnappy === true
  const canRead = (c: string) => ctx.hello.get(c)?.consumeCodecs.includes(codec) && !(xerial && ctx.hello.get(c)?.readsXerialSnappy === false)
  const others = ctx.order.filter(c => c !== producer && canRead(c))
  if (!others.length) return null
  const after = ctx.order.indexOf(producer)
  const ranked = [...others.filter(c => ctx.order.indexOf(c) > after), ...others.filter(c => ctx.order.indexOf(c) < after)]
  return ranked[turn % ranked.length]
}

async function scenarioCompression(ctx: Ctx, client: string): Promise<Cell> {
  const codecs = ctx.hello.get(client)!.produceCodecs
  const parts: Record<string, Cell> = {}
  for (const [turn, codec] of CODECS.entries()) {
    if (!codecs.includes(codec)) {
      parts[codec] = { status: 'n/a', detail: `${client} cannot write ${codec} here` }
      continue
    }
    const started = Date.now()
    const reader = readerFor(ctx, client, codec, turn)
    try {
      const topic = ctx.name('codec', client, codec)
      const n = ctx.size.codecMessages
      await ctx.ref.createTopic(topic, 3)
      await produceAndVerifyStored(ctx, client, topic, 3, n, { compression: codec })
      // librdkafka sends a batch uncompressed when compressing does not make it smaller, so a few
      // plain batches are fine; a run where most records arrive uncompressed means the client
      // silently gave up on the codec (as librdkafka does when a feature gate is not met).
      const records = new Map<string, number>()
      let batches = 0
      for (let p = 0; p < 3; p++) {
        for (const b of await ctx.ref.batches(topic, p)) {
          batches++
          records.set(b.codec, (records.get(b.codec) ?? 0) + b.records.length)
        }
      }
      const inCodec = records.get(codec) ?? 0
      const others = [...records.keys()].filter(c => c !== codec && c !== 'none')
      const summary = [...records].map(([c, k]) => `${k} records as ${c}`).join(', ')
      if (others.length || inCodec * 2 < n) fail(`asked for ${codec}; the broker holds ${summary} in ${batches} batches`)
      if (!reader) fail(`no other installed client can read ${codec}`)
      await consumeAndCompare(ctx, reader!, topic, client, 3, n)
      parts[codec] = { status: 'pass', detail: `stored as ${summary}; read back by ${reader}`, ms: Date.now() - started }
    } catch (e) {
      parts[codec] = failureCell(ctx, e, `${client} ${codec}${reader ? ` (reader ${reader})` : ''}`, started)
    }
  }
  const statuses = Object.values(parts).map(p => p.status)
  const status: Status = statuses.includes('fail') ? 'fail' : statuses.includes('pass') ? 'pass' : 'n/a'
  return { status, parts }
}

async function scenarioGroup(ctx: Ctx, client: string): Promise<string> {
  const topic = ctx.name('group', client)
  const groupId = ctx.name('g', client)
  const n = ctx.size.groupPhase
  await ctx.ref.createTopic(topic, 4)
  const res = await call<GroupResult>(
    ctx,
    client,
    { op: 'group', topic, partitions: 4, groupId, tag: client, phase1: { start: 0, count: n }, phase2: { start: n, count: n }, timeoutMs: TIMEOUT.long - 15_000 },
    TIMEOUT.long,
  )
  const seen = new Map<string, string>()
  for (const [member, p, o, key] of res.processed) {
    const id = `${p}@${o}`
    if (seen.has(id)) fail(`offset ${o} of partition ${p} processed twice (by ${seen.get(id)} and ${member})`)
    seen.set(id, member)
    const i = Number(key?.slice(2))
    if (key !== `k-${i}` || i % 4 !== p || i >= 2 * n) fail(`unexpected message ${key} in partition ${p}`)
  }
  if (seen.size !== 2 * n) fail(`${seen.size} messages processed, expected ${2 * n}`)
  const owned = Object.values(res.assignments).flat().sort()
  if (Object.keys(res.assignments).length !== 3 || JSON.stringify(owned) !== '[0,1,2,3]' || Object.values(res.assignments).some(a => !a.length))
    fail(`after the third member joined the assignment was ${JSON.stringify(res.assignments)}`)
  const byC = res.processed.filter(r => r[0] === 'C').length
  if (!byC) fail('the third member processed nothing')
  const ends = (await ctx.ref.offsetRange(topic, 4)).map(r => r[1])
  const committed = await ctx.ref.committed(groupId, topic, 4)
  for (let p = 0; p < 4; p++) if (committed[p] !== ends[p]) fail(`committed offset of partition ${p} is ${committed[p]}, the partition ends at ${ends[p]}`)
  if (res.committed) for (let p = 0; p < 4; p++) if (res.committed[p] !== ends[p]) fail(`${client} reads committed offset ${res.committed[p]} for partition ${p}, expected ${ends[p]}`)
  return `${2 * n} messages each processed once; assignment with C: ${JSON.stringify(res.assignments)}; C processed ${byC}; committed offsets = log ends`
}

async function scenarioIdempotent(ctx: Ctx, client: string): Promise<string> {
  const topic = ctx.name('idem', client)
  const n = ctx.size.idempotentMessages
  await ctx.ref.createTopic(topic, 3)
  await produceAndVerifyStored(ctx, client, topic, 3, n, { idempotent: true })
  const producerIds = new Set<number>()
  for (let p = 0; p < 3; p++) {
    let next = 0
    const ids = new Set<number>()
    for (const b of await ctx.ref.batches(topic, p)) {
      if (b.header.producerId < 0) fail(`partition ${p} holds a batch without a producer id: the client did not produce idempotently`)
      ids.add(b.header.producerId)
      if (b.header.baseSequence !== next) fail(`partition ${p}: batch at offset ${b.header.baseOffset} has sequence ${b.header.baseSequence}, expected ${next}`)
      next += b.header.lastOffsetDelta + 1
    }
    if (ids.size !== 1) fail(`partition ${p} holds batches of producer ids ${[...ids].join(', ')}, expected one producer`)
    for (const id of ids) producerIds.add(id)
  }
  await consumeAndCompare(ctx, client, topic, client, 3, n)
  return `${n} messages, stored with producer id(s) ${[...producerIds].join(', ')} and contiguous sequences from 0 in every partition, read back once each`
}

async function scenarioOffsets(ctx: Ctx, client: string): Promise<string> {
  const topic = ctx.name('times', client)
  await ctx.ref.createTopic(topic, 2)
  const t0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000
  const stamps = Array.from({ length: 20 }, (_, j) => t0 + j * 1000)
  for (let p = 0; p < 2; p++) await ctx.ref.produceWithTimestamps(topic, p, stamps)
  await ctx.ref.deleteRecordsBefore(topic, 0, 5)
  const queries = [t0 - 60_000, t0 + 7_500, t0 + 19_000, t0 + 60_000]
  const got = await call<OffsetsResult>(ctx, client, { op: 'offsets', topic, partitions: 2, timestamps: queries })
  const want = { earliest: [5, 0], latest: [20, 20], byTime: [[5, 8, 19, -1], [0, 8, 19, -1]] }
  if (JSON.stringify(got.earliest) !== JSON.stringify(want.earliest)) fail(`earliest ${JSON.stringify(got.earliest)}, expected ${JSON.stringify(want.earliest)} (partition 0 was truncated to 5)`)
  if (JSON.stringify(got.latest) !== JSON.stringify(want.latest)) fail(`latest ${JSON.stringify(got.latest)}, expected ${JSON.stringify(want.latest)}`)
  // After the last record Kafka answers offset -1; some clients turn that into the log end.
  const norm = got.byTime.map((row, p) => row.map((o, j) => (j === 3 && o === want.latest[p] ? -1 : o)))
  if (JSON.stringify(norm) !== JSON.stringify(want.byTime)) fail(`by timestamp ${JSON.stringify(got.byTime)}, expected ${JSON.stringify(want.byTime)} for ${queries.map(q => `t0${q >= t0 ? '+' : ''}${q - t0}`).join(', ')}`)
  return 'earliest (after DeleteRecords), latest, and 4 timestamps (before, between, at, after the records) match'
}

/** Records the runner writes to each partition of the topic a transaction's offsets are for. */
const TXN_INPUT_RECORDS = 10
/** Offsets sent with the aborted transaction: none of them may become the group's. */
const TXN_ABORTED_OFFSETS: Record<string, number> = { 0: 9, 1: 9, 2: 9 }
/**
 * Offsets sent with the last (committed) transaction. Partition 2 is left out, so its committed
 * offset must stay unset: an aborted offset there cannot hide behind a later commit.
 */
export const TXN_COMMITTED_OFFSETS: Record<string, number> = { 0: 3, 1: 5 }

/** Compares what a client consumed with the expected records of each partition (partition → [offset, message]). */
function compareExpected(records: ConsumedRecord[], expected: [number, ReturnType<typeof messageAt>][][]): string {
  const problems: string[] = []
  const byPartition = new Map<number, ConsumedRecord[]>()
  for (const r of records) {
    if (r[0] < 0 || r[0] >= expected.length) problems.push(`record from unexpected partition ${r[0]}`)
    else if (byPartition.has(r[0])) byPartition.get(r[0])!.push(r)
    else byPartition.set(r[0], [r])
  }
  for (let p = 0; p < expected.length && problems.length < 5; p++) {
    const got = byPartition.get(p) ?? []
    const want = expected[p]
    if (got.length !== want.length) problems.push(`partition ${p}: ${got.length} records, expected ${want.length}`)
    for (let j = 0; j < Math.min(got.length, want.length) && problems.length < 5; j++) {
      const [, offset, key, value, headers] = got[j]
      const [wantOffset, m] = want[j]
      const where = `partition ${p} record ${j} (offset ${offset})`
      if (key !== m.key) problems.push(`${where}: key ${JSON.stringify(key)}, expected ${JSON.stringify(m.key)} at offset ${wantOffset}`)
      else if (offset !== wantOffset) problems.push(`${where}: ${key} at offset ${offset}, stored at ${wantOffset}`)
      else if (value !== m.value) problems.push(`${where}: value ${JSON.stringify(value)}, expected ${JSON.stringify(m.value)}`)
      else if (JSON.stringify(headers) !== JSON.stringify(m.headers)) problems.push(`${where}: headers ${JSON.stringify(headers)}, expected ${JSON.stringify(m.headers)}`)
    }
  }
  return problems.join('; ')
}

/** Waits (up to 10 s) for `check` to return null; fails with its last answer. */
async function eventually(check: () => Promise<string | null>): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const problem = await check()
    if (problem === null) return
    if (Date.now() > deadline) fail(problem)
    await new Promise(r => setTimeout(r, 100))
  }
}

async function scenarioTransactions(ctx: Ctx, client: string): Promise<string> {
  const topic = ctx.name('txn', client)
  const input = ctx.name('txin', client)
  const groupId = ctx.name('gtx', client)
  const partitions = 3
  const n = ctx.size.txnCommitted / 2
  const m = ctx.size.txnAborted
  await ctx.ref.createTopic(topic, partitions)
  await ctx.ref.createTopic(input, partitions)
  for (let p = 0; p < partitions; p++) await ctx.ref.produceWithTimestamps(input, p, Array.from({ length: TXN_INPUT_RECORDS }, () => Date.now()))
  const transactions: TransactionStep[] = [
    { start: 0, count: n, commit: true },
    { start: n, count: m, commit: false, offsets: TXN_ABORTED_OFFSETS },
    { start: n + m, count: n, commit: true, offsets: TXN_COMMITTED_OFFSETS },
  ]
  const res = await call<TransactionsResult>(
    ctx,
    client,
    { op: 'transactions', topic, partitions, tag: client, transactionalId: ctx.name('tx', client), groupId, offsetsTopic: input, transactions, timeoutMs: TIMEOUT.long - 10_000 },
    TIMEOUT.long,
  )
  if (res.committed !== 2 || res.aborted !== 1) fail(`the client reports ${res.committed} committed and ${res.aborted} aborted transactions, expected 2 and 1`)

  // Nothing is left open: the last stable offset reaches the high watermark in every partition.
  await eventually(async () => {
    for (let p = 0; p < partitions; p++) {
      const r = await ctx.ref.read(topic, p, 1)
      if (r.lastStableOffset !== r.highWatermark) return `partition ${p}: last stable offset ${r.lastStableOffset}, high watermark ${r.highWatermark} after every transaction ended`
    }
    return null
  })

  // The log as stored: each transaction's records, transactional and of one producer, then its
  // marker (a control batch of the same producer: COMMIT, ABORT, COMMIT) in every partition.
  const producerIds = new Set<number>()
  const committedAt: [number, ReturnType<typeof messageAt>][][] = []
  const abortedFirst: number[] = []
  for (let p = 0; p < partitions; p++) {
    const want: string[] = []
    for (const t of transactions) {
      for (let i = t.start; i < t.start + t.count; i++) if (i % partitions === p) want.push(`k-${i}`)
      want.push(t.commit ? '<COMMIT>' : '<ABORT>')
    }
    const got: string[] = []
    const offsetOf = new Map<string, number>()
    for (const b of (await ctx.ref.read(topic, p, 0)).batches) {
      const h = b.header
      const at = `partition ${p}, batch at offset ${h.baseOffset}`
      if (!(h.attributes & BatchAttribute.Transactional)) fail(`${at} is not transactional (attributes 0x${h.attributes.toString(16)})`)
      if (h.producerId < 0) fail(`${at} has no producer id`)
      producerIds.add(h.producerId)
      if (h.attributes & BatchAttribute.Control) {
        if (b.records.length !== 1) fail(`${at}: a control batch with ${b.records.length} records`)
        const type = decodeControlRecordKey(b.records[0].key).type
        got.push(type === ControlRecordType.Commit ? '<COMMIT>' : type === ControlRecordType.Abort ? '<ABORT>' : `<control type ${type}>`)
        continue
      }
      for (const r of b.records) {
        const key = r.key?.toString('utf8') ?? 'null'
        got.push(key)
        offsetOf.set(key, r.offset)
      }
    }
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      const j = want.findIndex((w, k) => got[k] !== w)
      const i = j < 0 ? want.length : j
      fail(`partition ${p} holds ${got.length} records and markers, expected ${want.length}; entry ${i} is ${got[i] ?? 'missing'}, expected ${want[i] ?? 'nothing'} (${got.filter(g => g.startsWith('<')).join(' ') || 'no markers'})`)
    }
    committedAt.push(
      transactions
        .filter(t => t.commit)
        .flatMap(t => Array.from({ length: t.count }, (_, j) => t.start + j))
        .filter(i => i % partitions === p)
        .map(i => [offsetOf.get(`k-${i}`)!, messageAt(i, client, partitions)]),
    )
    abortedFirst.push(offsetOf.get(`k-${Array.from({ length: m }, (_, j) => n + j).find(i => i % partitions === p)}`)!)
  }
  if (producerIds.size !== 1) fail(`the transactional batches carry producer ids ${[...producerIds].join(', ')}, expected one producer`)
  const [producerId] = producerIds

  // read_committed, as the broker serves it (last stable offset, aborted transactions) and Kafka's consumer filters it.
  const readBack: ConsumedRecord[] = []
  for (let p = 0; p < partitions; p++) {
    const { records, read } = await ctx.ref.readCommitted(topic, p)
    const named = JSON.stringify(read.abortedTransactions)
    const wantNamed = JSON.stringify([{ producerId, firstOffset: abortedFirst[p] }])
    if (named !== wantNamed) fail(`partition ${p}: a read_committed fetch names aborted transactions ${named}, expected ${wantNamed}`)
    for (const r of records) readBack.push([p, r.offset, r.key?.toString('utf8') ?? null, r.value?.toString('utf8') ?? null, r.headers.map(h => [h.key, h.value?.toString('utf8') ?? ''])])
  }
  const fromFetch = compareExpected(readBack, committedAt)
  if (fromFetch) fail(`a read_committed fetch (filtered as Kafka's consumer does): ${fromFetch}`)

  // The same client's read_committed consumer.
  const { records } = await call<{ records: ConsumedRecord[] }>(
    ctx,
    client,
    { op: 'consume', topic, partitions, expect: 2 * n, timeoutMs: TIMEOUT.long - 10_000, readCommitted: true },
    TIMEOUT.long,
  )
  const fromClient = compareExpected(records, committedAt)
  if (fromClient) fail(`${client}'s read_committed consumer: ${fromClient}`)

  // The group's offsets: those of the committed transaction, none of the aborted one.
  const wantOffsets = Object.fromEntries(Array.from({ length: partitions }, (_, p) => [String(p), TXN_COMMITTED_OFFSETS[p] ?? -1]))
  await eventually(async () => {
    const got = await ctx.ref.committed(groupId, input, partitions)
    return JSON.stringify(got) === JSON.stringify(wantOffsets)
      ? null
      : `group ${groupId} has committed offsets ${JSON.stringify(got)} for ${input}, expected ${JSON.stringify(wantOffsets)} (the aborted transaction sent ${JSON.stringify(TXN_ABORTED_OFFSETS)})`
  })
  return `${2 * n} committed and ${m} aborted messages over 3 partitions from producer id ${producerId}: stored transactional with COMMIT, ABORT, COMMIT markers; a read_committed fetch and ${client}'s read_committed consumer get exactly the committed ones; group offsets ${JSON.stringify(TXN_COMMITTED_OFFSETS)} from the committed transaction, none from the aborted one`
}

const SCENARIO_FNS: Record<ScenarioId, (ctx: Ctx, client: string) => Promise<string | Cell>> = {
  metadata: scenarioMetadata,
  admin: scenarioAdmin,
  'produce-consume': scenarioProduceConsume,
  compression: scenarioCompression,
  group: scenarioGroup,
  idempotent: scenarioIdempotent,
  offsets: scenarioOffsets,
  transactions: scenarioTransactions,
}

// ---- running ----------------------------------------------------------------------------------

function firstLines(text: string, n: number): string {
  const lines = text.split('\n').filter(l => l.trim())
  return lines.slice(0, n).join('\n') + (lines.length > n ? `\n[... ${lines.length - n} more lines]` : '')
}

function lastLines(text: string, n: number): string {
  const lines = text.split('\n').filter(l => l.trim())
  return (lines.length > n ? `[... ${lines.length - n} earlier lines]\n` : '') + lines.slice(-n).join('\n')
}

function failureCell(ctx: Ctx, e: unknown, what: string, started: number): Cell {
  const ms = Date.now() - started
  if (e instanceof NotApplicable) return { status: 'n/a', detail: e.message, ms }
  // Driver errors carry the driver's stack; the cell keeps the message and its causes.
  const message = (e instanceof Error ? e.message : String(e))
    .split('\n')
    .filter(l => !/^\s+at /.test(l))
    .join('\n')
  const output = e instanceof DriverError ? e.clientOutput : ''
  ctx.log(`FAIL ${what}: ${message}`)
  if (output.trim()) ctx.log(`---- ${what}: the client's own output ----\n${lastLines(output, 80)}\n---- end of ${what} output ----`)
  if (e instanceof DriverError && e.message.includes('\n    at ')) ctx.log(`---- ${what}: where the driver failed ----\n${firstLines(e.message, 12)}`)
  else if (e instanceof Error && !(e instanceof Failure) && !(e instanceof DriverError) && e.stack) ctx.log(firstLines(e.stack, 8))
  return { status: 'fail', error: firstLines(message, 6).slice(0, 1500), ms }
}

async function runCell(ctx: Ctx, what: string, fn: () => Promise<string | Cell>): Promise<Cell> {
  const started = Date.now()
  try {
    const r = await fn()
    const cell: Cell = typeof r === 'string' ? { status: 'pass', detail: r, ms: Date.now() - started } : { ...r, ms: Date.now() - started }
    ctx.log(`${cell.status === 'fail' ? 'FAIL' : cell.status === 'pass' ? 'pass' : cell.status} ${what} (${cell.ms} ms)`)
    return cell
  } catch (e) {
    return failureCell(ctx, e, what, started)
  }
}

export async function runMatrix(opts: MatrixOptions): Promise<MatrixResult> {
  const log = opts.log ?? ((line: string) => console.error(line))
  const started = Date.now()
  const runId = opts.runId ?? Date.now().toString(36)
  const wanted = (s: string) => !opts.scenarios || opts.scenarios.includes(s)
  const specs = CLIENTS.filter(c => !opts.clients || opts.clients.includes(c.name))
  const result: MatrixResult = {
    format: 1,
    mode: opts.mode,
    messages: sizes(opts.mode).messages,
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    broker: opts.bootstrap,
    clients: {},
    scenarios: {},
    cross: {},
  }
  const ref = await Reference.open(opts.bootstrap)
  const ctx: Ctx = {
    opts,
    ref,
    size: sizes(opts.mode),
    drivers: new Map(),
    hello: new Map(),
    order: [],
    log,
    name: (kind, client, extra) => [kind, client, extra, runId].filter(Boolean).join('-'),
  }
  try {
    await startDrivers(ctx, specs, result)
    for (const spec of specs) {
      const name = spec.name
      result.scenarios[name] = {}
      for (const s of SCENARIOS) {
        if (!wanted(s.id)) continue
        if (!ctx.hello.has(name)) {
          result.scenarios[name][s.id] = { status: 'skip', detail: result.clients[name].reason }
          continue
        }
        result.scenarios[name][s.id] = await runCell(ctx, `${name} / ${s.title}`, () => SCENARIO_FNS[s.id](ctx, name))
      }
    }
    if (wanted('cross')) await runCross(ctx, specs, result)
  } finally {
    await Promise.all([...ctx.drivers.values()].map(d => d.stop()))
    ref.close()
    result.durationMs = Date.now() - started
  }
  return result
}

async function startDrivers(ctx: Ctx, specs: ClientSpec[], result: MatrixResult): Promise<void> {
  for (const spec of specs) {
    const info: ClientInfo = { installed: false, install: spec.install, basedOn: spec.basedOn }
    result.clients[spec.name] = info
    const missing = spec.missing()
    if (missing) {
      info.reason = `not installed: ${missing}`
      ctx.log(`skip ${spec.name}: ${info.reason}`)
      continue
    }
    const { cmd, args, env } = spec.command(ctx.opts.bootstrap)
    const driver = new DriverProcess(spec.name, cmd, args, env)
    try {
      const hello = await driver.request<HelloResult>({ op: 'hello' }, TIMEOUT.short)
      Object.assign(info, { installed: true, version: hello.version, produceCodecs: hello.produceCodecs, consumeCodecs: hello.consumeCodecs, notes: hello.features })
      ctx.drivers.set(spec.name, driver)
      ctx.hello.set(spec.name, hello)
      ctx.order.push(spec.name)
      ctx.log(`${spec.name} ${hello.version}: writes ${hello.produceCodecs.join(', ') || 'no codecs'}`)
    } catch (e) {
      info.reason = `driver did not start: ${e instanceof Error ? e.message : e}`
      ctx.log(`skip ${spec.name}: ${info.reason}${e instanceof DriverError ? '\n' + firstLines(e.clientOutput, 30) : ''}`)
      driver.kill()
    }
  }
}

async function runCross(ctx: Ctx, specs: ClientSpec[], result: MatrixResult): Promise<void> {
  const n = ctx.size.crossMessages
  const produced = new Map<string, Cell | null>()
  for (const p of ctx.order) {
    const topic = ctx.name('cross', p)
    const cell = await runCell(ctx, `cross: ${p} produces`, async () => {
      await ctx.ref.createTopic(topic, 3)
      await produceAndVerifyStored(ctx, p, topic, 3, n)
      return 'produced'
    })
    produced.set(p, cell.status === 'pass' ? null : cell)
  }
  for (const p of specs.map(s => s.name)) {
    result.cross[p] = {}
    for (const c of specs.map(s => s.name)) {
      if (!ctx.hello.has(p) || !ctx.hello.has(c)) {
        result.cross[p][c] = { status: 'skip', detail: `${!ctx.hello.has(p) ? p : c} is not available` }
        continue
      }
      const failedProduce = produced.get(p)
      if (failedProduce) {
        result.cross[p][c] = { status: 'fail', error: `${p} could not produce: ${failedProduce.error}` }
        continue
      }
      result.cross[p][c] = await runCell(ctx, `cross: ${p} → ${c}`, async () => {
        await consumeAndCompare(ctx, c, ctx.name('cross', p), p, 3, n)
        return `${n} messages`
      })
    }
  }
}

/** Flattens a result to "client/scenario[/codec]" and "cross/producer/consumer" keys with their status. */
export function flatten(r: MatrixResult): Map<string, Status> {
  const out = new Map<string, Status>()
  for (const [client, cells] of Object.entries(r.scenarios)) {
    for (const [scenario, cell] of Object.entries(cells)) {
      out.set(`${client}/${scenario}`, cell.status)
      for (const [part, sub] of Object.entries(cell.parts ?? {})) out.set(`${client}/${scenario}/${part}`, sub.status)
    }
  }
  for (const [p, row] of Object.entries(r.cross)) for (const [c, cell] of Object.entries(row)) out.set(`cross/${p}/${c}`, cell.status)
  return out
}

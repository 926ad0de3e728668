// Consumer groups against a real Millrace with kafkajs (and the raw protocol client where kafkajs
// cannot go): shared consumption, rebalances on leave and on session expiry, committed offsets
// across a restart, eachBatch/pause/resume/seek, the group admin API, static membership, and
// bad input answered with Kafka's error codes.
import t from 'tap'
import kafkajs, { type Admin, type Consumer, type EachMessagePayload, type Kafka } from 'kafkajs'
import { kafkaClient, startTempBroker, type TempBroker } from './helpers.js'
import { ClientConnection } from '../src/client/index.js'
import { ApiKey, ConsumerProtocolAssignmentSchema, ConsumerProtocolSubscriptionSchema, ErrorCode, Reader, Writer } from '../src/wire/index.js'
import { setLogLevel, setLogSink } from '../src/util/index.js'

const { AssignerProtocol } = kafkajs

const OVERRIDES = {
  'group.initial.rebalance.delay.ms': '0',
  'group.min.session.timeout.ms': '500',
  'offsets.topic.num.partitions': '4',
}

// Broker log lines, to check that refusals are logged (the broker runs in this process).
const logLines: string[] = []
setLogLevel('info')
const previousSink = setLogSink(line => void logLines.push(line))
t.teardown(() => void setLogSink(previousSink))

let broker: TempBroker
t.before(async () => {
  broker = await startTempBroker(OVERRIDES)
})
t.teardown(() => broker?.destroy())

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await cond()) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 50))
  }
}

const fastConsumer = { sessionTimeout: 6000, rebalanceTimeout: 4000, heartbeatInterval: 200, maxWaitTimeInMs: 200, retry: { retries: 8, initialRetryTime: 50, maxRetryTime: 500 } }

interface Tracked {
  name: string
  consumer: Consumer
  assignment: Record<string, number[]>
  /** Every assignment it had, in order. */
  history: Array<Record<string, number[]>>
  received: Array<{ topic: string; partition: number; offset: string; value: string }>
}

async function trackedConsumer(kafka: Kafka, name: string, groupId: string, topic: string, opts: Record<string, unknown> = {}): Promise<Tracked> {
  const consumer = kafka.consumer({ groupId, ...fastConsumer, ...opts })
  const tr: Tracked = { name, consumer, assignment: {}, history: [], received: [] }
  consumer.on(consumer.events.GROUP_JOIN, e => {
    tr.assignment = e.payload.memberAssignment
    tr.history.push(e.payload.memberAssignment)
  })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ topic, partition, message }: EachMessagePayload) => {
      tr.received.push({ topic, partition, offset: message.offset, value: message.value!.toString() })
    },
  })
  return tr
}

/** The consumers' latest assignments split `count` partitions of `topic` between them, each one once. */
function coversExactly(members: Tracked[], topic: string, count: number): boolean {
  const all = members.flatMap(m => m.assignment[topic] ?? [])
  return all.length === count && new Set(all).size === count && members.every(m => (m.assignment[topic] ?? []).length > 0)
}

async function groupState(admin: Admin, groupId: string): Promise<{ state: string; members: number }> {
  const { groups } = await admin.describeGroups([groupId])
  return { state: groups[0].state, members: groups[0].members.length }
}

function subscriptionMetadata(topics: string[]): Buffer {
  const w = new Writer()
  w.int16(0)
  ConsumerProtocolSubscriptionSchema.write(w, 0, { topics, userData: null })
  return w.toBuffer()
}

function decodeAssignment(b: Buffer): Record<string, number[]> {
  if (b.length === 0) return {}
  const r = new Reader(b)
  const v = Math.min(r.int16(), ConsumerProtocolAssignmentSchema.maxVersion)
  const a = ConsumerProtocolAssignmentSchema.read(r, v)
  return Object.fromEntries(a.assignedPartitions.map(p => [p.topic, p.partitions]))
}

async function raw(): Promise<ClientConnection> {
  return ClientConnection.open('localhost', broker.port, 'raw-client')
}

t.test('three consumers share a 6-partition topic; leave and rebalance', async t => {
  const kafka = kafkaClient(broker.bootstrap)
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'shared', numPartitions: 6 }] })

  const members: Tracked[] = []
  for (const name of ['c1', 'c2', 'c3']) members.push(await trackedConsumer(kafka, name, 'g-three', 'shared'))
  t.teardown(() => Promise.all(members.map(m => m.consumer.disconnect())))
  await waitFor('three members to share the six partitions', async () => coversExactly(members, 'shared', 6) && (await groupState(admin, 'g-three')).state === 'Stable')
  t.same(await groupState(admin, 'g-three'), { state: 'Stable', members: 3 })

  const producer = kafka.producer()
  await producer.connect()
  t.teardown(() => producer.disconnect())
  await producer.send({ topic: 'shared', messages: Array.from({ length: 60 }, (_, i) => ({ partition: i % 6, value: `m${i}` })) })
  const total = () => members.reduce((n, m) => n + m.received.length, 0)
  await waitFor('60 messages', () => total() >= 60)
  await new Promise(r => setTimeout(r, 300))
  const values = members.flatMap(m => m.received.map(r => r.value))
  t.equal(values.length, 60, 'no duplicates')
  t.same(new Set(values).size, 60, 'every message processed once')
  for (const m of members) {
    t.ok(m.received.length > 0, `${m.name} processed messages`)
    for (const r of m.received) t.ok(m.assignment.shared.includes(r.partition), `${m.name} only reads its own partitions`)
  }

  // A clean disconnect sends LeaveGroup: its partitions move to the others.
  const [gone, ...stay] = members
  const goneParts = gone.assignment.shared
  await gone.consumer.disconnect()
  await waitFor('the two remaining members to take over', async () => coversExactly(stay, 'shared', 6) && (await groupState(admin, 'g-three')).state === 'Stable')
  t.same(await groupState(admin, 'g-three'), { state: 'Stable', members: 2 })
  t.ok(goneParts.every(p => stay.some(m => m.assignment.shared.includes(p))), 'the leaver\'s partitions moved')
  t.ok(logLines.some(l => l.includes('through explicit LeaveGroup')), 'the leave is logged')

  const before = stay.reduce((n, m) => n + m.received.length, 0)
  await producer.send({ topic: 'shared', messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 6, value: `n${i}` })) })
  await waitFor('30 more messages', () => stay.reduce((n, m) => n + m.received.length, 0) >= before + 30)
  const after = stay.flatMap(m => m.received.map(r => r.value)).filter(v => v.startsWith('n'))
  t.equal(after.length, 30)
  t.equal(new Set(after).size, 30, 'each new message once, by the remaining members')
  t.equal(gone.received.filter(r => r.value.startsWith('n')).length, 0)
})

t.test('a member that stops heartbeating is evicted after its session timeout', async t => {
  const kafka = kafkaClient(broker.bootstrap)
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'evict-t', numPartitions: 2 }] })
  const a = await trackedConsumer(kafka, 'a', 'g-evict', 'evict-t')
  t.teardown(() => a.consumer.disconnect())
  await waitFor('a alone', () => coversExactly([a], 'evict-t', 2))

  // A raw member joins with kafkajs's protocol and a 1 s session, syncs, then goes silent.
  const conn = await raw()
  t.teardown(() => conn.close())
  const join = { groupId: 'g-evict', sessionTimeoutMs: 1000, rebalanceTimeoutMs: 4000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'RoundRobinAssigner', metadata: subscriptionMetadata(['evict-t']) }] }
  const first = await conn.send(ApiKey.JoinGroup, 5, join)
  t.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED, 'KIP-394: a new member first gets its id')
  const joined = await conn.send(ApiKey.JoinGroup, 5, { ...join, memberId: first.memberId })
  t.equal(joined.errorCode, ErrorCode.NONE)
  t.not(joined.leader, first.memberId, 'the kafkajs member stays leader')
  const synced = await conn.send(ApiKey.SyncGroup, 3, { groupId: 'g-evict', generationId: joined.generationId, memberId: first.memberId, groupInstanceId: null, assignments: [] })
  t.equal(synced.errorCode, ErrorCode.NONE)
  t.equal(decodeAssignment(synced.assignment)['evict-t']?.length, 1, 'the leader gave the raw member one partition')
  await waitFor('a to hold one partition', () => a.history.some(x => (x['evict-t'] ?? []).length === 1))

  await waitFor('the silent member to be evicted and a to get both partitions', () => coversExactly([a], 'evict-t', 2), 15_000)
  t.same(await groupState(admin, 'g-evict'), { state: 'Stable', members: 1 })
  t.ok(logLines.some(l => l.includes(`member ${first.memberId} in group g-evict has failed`)), 'the expiry is logged')
  const hb = await conn.send(ApiKey.Heartbeat, 3, { groupId: 'g-evict', generationId: joined.generationId, memberId: first.memberId, groupInstanceId: null })
  t.equal(hb.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'the evicted member is unknown')
})

t.test('eachBatch, pause/resume and seek', async t => {
  const kafka = kafkaClient(broker.bootstrap)
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'batch-t', numPartitions: 2 }] })
  const producer = kafka.producer()
  await producer.connect()
  t.teardown(() => producer.disconnect())

  const consumer = kafka.consumer({ groupId: 'g-batch', ...fastConsumer })
  const got: Array<{ partition: number; offset: number }> = []
  let batches = 0
  let joined = false
  consumer.on(consumer.events.GROUP_JOIN, () => void (joined = true))
  await consumer.connect()
  t.teardown(() => consumer.disconnect())
  await consumer.subscribe({ topic: 'batch-t', fromBeginning: true })
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      batches++
      for (const m of batch.messages) {
        got.push({ partition: batch.partition, offset: Number(m.offset) })
        resolveOffset(m.offset)
      }
      await heartbeat()
    },
  })
  await waitFor('join', () => joined)
  await producer.send({ topic: 'batch-t', messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: `b${i}` })) })
  await waitFor('20 messages by batches', () => got.length >= 20)
  t.ok(batches >= 1 && batches < 20, `messages came in batches (${batches})`)

  // Pause partition 1: only partition 0 keeps flowing until it is resumed.
  consumer.pause([{ topic: 'batch-t', partitions: [1] }])
  got.length = 0
  await producer.send({ topic: 'batch-t', messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `p${i}` })) })
  await waitFor('partition 0 while 1 is paused', () => got.filter(g => g.partition === 0).length >= 5)
  await new Promise(r => setTimeout(r, 500))
  t.equal(got.filter(g => g.partition === 1).length, 0, 'nothing from the paused partition')
  t.same(consumer.paused(), [{ topic: 'batch-t', partitions: [1] }])
  consumer.resume([{ topic: 'batch-t', partitions: [1] }])
  await waitFor('partition 1 after resume', () => got.filter(g => g.partition === 1).length >= 5)
  t.same(got.filter(g => g.partition === 1).map(g => g.offset), [10, 11, 12, 13, 14])

  // Seek back on partition 0.
  got.length = 0
  consumer.seek({ topic: 'batch-t', partition: 0, offset: '12' })
  await waitFor('the re-read after seek', () => got.filter(g => g.partition === 0).length >= 3)
  t.same(got.filter(g => g.partition === 0).map(g => g.offset), [12, 13, 14], 'seek re-reads from offset 12')
  await waitFor('the commit after seek', async () => {
    const o = await admin.fetchOffsets({ groupId: 'g-batch', topics: ['batch-t'] })
    return o[0].partitions.find(p => p.partition === 0)?.offset === '15'
  })
})

t.test('admin: describeGroups, listGroups, fetchOffsets, setOffsets, resetOffsets, deleteGroups', async t => {
  const kafka = kafkaClient(broker.bootstrap, 'admin-test-client')
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'admin-t', numPartitions: 2 }] })
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: 'admin-t', messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `a${i}` })) })
  await producer.disconnect()

  const c = await trackedConsumer(kafka, 'admin-c', 'g-admin', 'admin-t')
  await waitFor('10 messages', () => c.received.length >= 10)
  await waitFor('commits', async () => {
    const o = await admin.fetchOffsets({ groupId: 'g-admin', topics: ['admin-t'] })
    return o[0].partitions.every(p => p.offset === '5')
  })

  const { groups } = await admin.describeGroups(['g-admin', 'no-such-group'])
  const g = groups.find(x => x.groupId === 'g-admin')!
  t.equal(g.state, 'Stable')
  t.equal(g.protocolType, 'consumer')
  t.equal(g.protocol, 'RoundRobinAssigner')
  t.equal(g.members.length, 1)
  t.equal(g.members[0].clientId, 'admin-test-client')
  t.match(g.members[0].clientHost, /^\/(127\.0\.0\.1|::1)$/)
  t.same(AssignerProtocol.MemberAssignment.decode(g.members[0].memberAssignment)!.assignment, { 'admin-t': [0, 1] })
  t.same(AssignerProtocol.MemberMetadata.decode(g.members[0].memberMetadata)!.topics, ['admin-t'])
  t.equal(groups.find(x => x.groupId === 'no-such-group')!.state, 'Dead')

  const listed = (await admin.listGroups()).groups
  t.same(listed.find(x => x.groupId === 'g-admin'), { groupId: 'g-admin', protocolType: 'consumer' })

  const nonEmpty = await admin.deleteGroups(['g-admin']).catch(e => e)
  t.equal(nonEmpty?.groups?.[0]?.error?.type, 'NON_EMPTY_GROUP', 'a running group cannot be deleted')
  await t.rejects(admin.setOffsets({ groupId: 'g-admin', topic: 'admin-t', partitions: [{ partition: 0, offset: '1' }] }), /no running instances/)

  await c.consumer.disconnect()
  await waitFor('empty', async () => (await groupState(admin, 'g-admin')).state === 'Empty')

  await admin.setOffsets({ groupId: 'g-admin', topic: 'admin-t', partitions: [{ partition: 0, offset: '2' }, { partition: 1, offset: '3' }] })
  let o = await admin.fetchOffsets({ groupId: 'g-admin', topics: ['admin-t'] })
  t.same(o[0].partitions.map(p => [p.partition, p.offset]).sort(), [[0, '2'], [1, '3']], 'setOffsets')

  // kafkajs commits the logical offset -2 (as against Kafka, which stores what it is given).
  // (Each kafkajs setOffsets/resetOffsets runs a paused consumer for its 5 s fetch wait: only one of each.)
  await admin.resetOffsets({ groupId: 'g-admin', topic: 'admin-t', earliest: true })
  o = await admin.fetchOffsets({ groupId: 'g-admin', topics: ['admin-t'] })
  t.same(o[0].partitions.map(p => p.offset), ['-2', '-2'], 'resetOffsets to earliest')

  const all = await admin.fetchOffsets({ groupId: 'g-admin' })
  t.same(all.map(x => x.topic), ['admin-t'], 'all topics of the group (OffsetFetch with null topics)')

  t.same(await admin.deleteGroups(['g-admin']), [{ groupId: 'g-admin', errorCode: 0 }])
  t.notOk((await admin.listGroups()).groups.some(x => x.groupId === 'g-admin'), 'deleted')
  o = await admin.fetchOffsets({ groupId: 'g-admin', topics: ['admin-t'] })
  t.same(o[0].partitions.map(p => p.offset), ['-1', '-1'], 'its offsets are gone')
  const missing = await admin.deleteGroups(['never-existed']).catch(e => e)
  t.equal(missing?.groups?.[0]?.error?.type, 'GROUP_ID_NOT_FOUND')
})

t.test('static membership over the wire (JoinGroup v5 with group.instance.id)', async t => {
  const conn = await raw()
  t.teardown(() => conn.close())
  const g = 'g-static-wire'
  const join = { groupId: g, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 3000, memberId: '', groupInstanceId: 'instance-a', protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscriptionMetadata(['shared']) }] }
  const j1 = await conn.send(ApiKey.JoinGroup, 5, join)
  t.equal(j1.errorCode, ErrorCode.NONE, 'a static member needs no MEMBER_ID_REQUIRED round trip')
  t.match(j1.memberId, /^instance-a-/)
  t.equal(j1.leader, j1.memberId)
  t.equal(j1.members[0].groupInstanceId, 'instance-a')
  const s1 = await conn.send(ApiKey.SyncGroup, 3, { groupId: g, generationId: j1.generationId, memberId: j1.memberId, groupInstanceId: 'instance-a', assignments: [{ memberId: j1.memberId, assignment: Buffer.from('whatever') }] })
  t.equal(s1.errorCode, ErrorCode.NONE)

  // The "restarted" instance joins without its member id: same generation, the old id is fenced.
  const conn2 = await raw()
  t.teardown(() => conn2.close())
  const j2 = await conn2.send(ApiKey.JoinGroup, 5, join)
  t.equal(j2.errorCode, ErrorCode.NONE)
  t.not(j2.memberId, j1.memberId)
  t.equal(j2.generationId, j1.generationId, 'no rebalance')
  const hbOld = await conn.send(ApiKey.Heartbeat, 3, { groupId: g, generationId: j1.generationId, memberId: j1.memberId, groupInstanceId: 'instance-a' })
  t.equal(hbOld.errorCode, ErrorCode.FENCED_INSTANCE_ID)
  t.ok(logLines.some(l => l.includes('FENCED_INSTANCE_ID')), 'fencing is logged')
  const s2 = await conn2.send(ApiKey.SyncGroup, 3, { groupId: g, generationId: j2.generationId, memberId: j2.memberId, groupInstanceId: 'instance-a', assignments: [] })
  t.equal(s2.assignment.toString(), 'whatever', 'the static member keeps its assignment')
  const hbNew = await conn2.send(ApiKey.Heartbeat, 4, { groupId: g, generationId: j2.generationId, memberId: j2.memberId, groupInstanceId: 'instance-a' })
  t.equal(hbNew.errorCode, ErrorCode.NONE, 'Heartbeat v4 (flexible)')

  const admin = kafkaClient(broker.bootstrap).admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  const described = (await admin.describeGroups([g])).groups[0]
  t.same(described.members.map(m => m.memberId), [j2.memberId])

  // LeaveGroup v4 by group.instance.id (what admin tools send to remove a static member).
  const left = await conn2.send(ApiKey.LeaveGroup, 4, { groupId: g, members: [{ memberId: '', groupInstanceId: 'instance-a' }] })
  t.equal(left.errorCode, ErrorCode.NONE)
  t.same(left.members!.map(m => m.errorCode), [ErrorCode.NONE])
  t.equal((await groupState(admin, g)).state, 'Empty')
})

t.test('bad input: Kafka\'s error codes, a log line, and the group keeps working', async t => {
  const kafka = kafkaClient(broker.bootstrap)
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'bad-t', numPartitions: 1 }] })
  const c = await trackedConsumer(kafka, 'ok', 'g-bad', 'bad-t')
  t.teardown(() => c.consumer.disconnect())
  await waitFor('a stable group', async () => coversExactly([c], 'bad-t', 1) && (await groupState(admin, 'g-bad')).state === 'Stable')
  const { groups } = await admin.describeGroups(['g-bad'])
  const member = groups[0].members[0].memberId

  const conn = await raw()
  t.teardown(() => conn.close())
  const base = { sessionTimeoutMs: 6000, rebalanceTimeoutMs: 3000, memberId: '', groupInstanceId: null, protocolType: 'consumer' }
  const rr = [{ name: 'RoundRobinAssigner', metadata: subscriptionMetadata(['bad-t']) }]
  const marks = logLines.length

  // Group ids: empty and too long.
  t.equal((await conn.send(ApiKey.JoinGroup, 5, { ...base, groupId: '', protocols: rr })).errorCode, ErrorCode.INVALID_GROUP_ID)
  t.equal((await conn.send(ApiKey.JoinGroup, 5, { ...base, groupId: 'g'.repeat(5000), protocols: rr })).errorCode, ErrorCode.INVALID_GROUP_ID)
  const emptyCommit = await conn.send(ApiKey.OffsetCommit, 8, { groupId: '', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'bad-t', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }] })
  t.equal(emptyCommit.topics[0].partitions[0].errorCode, ErrorCode.INVALID_GROUP_ID)
  const emptyFetch = await conn.send(ApiKey.OffsetFetch, 7, { groupId: '', topics: null, requireStable: false })
  t.equal(emptyFetch.errorCode, ErrorCode.INVALID_GROUP_ID)

  // Protocols: nothing in common with the group's, or another protocol type.
  const mismatch = await conn.send(ApiKey.JoinGroup, 5, { ...base, groupId: 'g-bad', protocols: [{ name: 'range', metadata: subscriptionMetadata(['bad-t']) }] })
  t.equal(mismatch.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  const otherType = await conn.send(ApiKey.JoinGroup, 5, { ...base, groupId: 'g-bad', protocolType: 'connect', protocols: rr })
  t.equal(otherType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  const badSession = await conn.send(ApiKey.JoinGroup, 5, { ...base, sessionTimeoutMs: 100, groupId: 'g-bad', protocols: rr })
  t.equal(badSession.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT)

  // Members and generations.
  const hbWrongGen = await conn.send(ApiKey.Heartbeat, 3, { groupId: 'g-bad', generationId: 999, memberId: member, groupInstanceId: null })
  t.equal(hbWrongGen.errorCode, ErrorCode.ILLEGAL_GENERATION)
  const hbUnknown = await conn.send(ApiKey.Heartbeat, 3, { groupId: 'g-bad', generationId: 1, memberId: 'who-is-this', groupInstanceId: null })
  t.equal(hbUnknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  const syncUnknown = await conn.send(ApiKey.SyncGroup, 3, { groupId: 'g-bad', generationId: 1, memberId: 'who-is-this', groupInstanceId: null, assignments: [] })
  t.equal(syncUnknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  const commitWrongGen = await conn.send(ApiKey.OffsetCommit, 5, { groupId: 'g-bad', generationIdOrMemberEpoch: 999, memberId: member, topics: [{ name: 'bad-t', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] }] })
  t.equal(commitWrongGen.topics[0].partitions[0].errorCode, ErrorCode.ILLEGAL_GENERATION)
  const leaveUnknown = await conn.send(ApiKey.LeaveGroup, 1, { groupId: 'g-bad', memberId: 'who-is-this' })
  t.equal(leaveUnknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID)

  // Commits to unknown topics or partitions (simple commit, no group membership).
  const unknownTopic = await conn.send(ApiKey.OffsetCommit, 2, {
    groupId: 'g-simple',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    retentionTimeMs: -1,
    topics: [
      { name: 'no-such-topic', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] },
      { name: 'bad-t', partitions: [{ partitionIndex: 7, committedOffset: 1, committedMetadata: null }, { partitionIndex: 0, committedOffset: 4, committedMetadata: 'meta' }] },
    ],
  })
  t.same(unknownTopic.topics.map(x => x.partitions.map(p => p.errorCode)), [[ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NONE]])

  // Everything refused was logged.
  const logged = logLines.slice(marks).join('\n')
  for (const name of ['INVALID_GROUP_ID', 'INCONSISTENT_GROUP_PROTOCOL', 'INVALID_SESSION_TIMEOUT', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'UNKNOWN_TOPIC_OR_PARTITION']) {
    t.match(logged, name, `${name} is logged`)
  }

  // OffsetFetch v8 for several groups at once, v1 per-partition answers, unknown partitions at -1.
  const multi = await conn.send(ApiKey.OffsetFetch, 8, {
    groups: [
      { groupId: 'g-simple', topics: [{ name: 'bad-t', partitionIndexes: [0, 3] }] },
      { groupId: 'no-such-group', topics: null },
      { groupId: '', topics: null },
    ],
    requireStable: true,
  })
  t.same(
    multi.groups!.map(g => [g.groupId, g.errorCode, g.topics!.flatMap(x => x.partitions!.map(p => [p.partitionIndex, p.committedOffset, p.metadata]))]),
    [
      ['g-simple', 0, [[0, 4, 'meta'], [3, -1, '']]],
      ['no-such-group', 0, []],
      ['', ErrorCode.INVALID_GROUP_ID, []],
    ],
  )
  const v1 = await conn.send(ApiKey.OffsetFetch, 1, { groupId: 'g-simple', topics: [{ name: 'bad-t', partitionIndexes: [0] }] })
  t.equal(v1.topics![0].partitions![0].committedOffset, 4)

  // OffsetDelete: the running group consumes bad-t.
  const del = await conn.send(ApiKey.OffsetDelete, 0, { groupId: 'g-bad', topics: [{ name: 'bad-t', partitions: [{ partitionIndex: 0 }] }] })
  t.equal(del.topics[0].partitions[0].errorCode, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC)
  const delSimple = await conn.send(ApiKey.OffsetDelete, 0, { groupId: 'g-simple', topics: [{ name: 'bad-t', partitions: [{ partitionIndex: 0 }] }] })
  t.equal(delSimple.topics[0].partitions[0].errorCode, ErrorCode.NONE)

  // ListGroups v4/v5 filters.
  const stable = await conn.send(ApiKey.ListGroups, 5, { statesFilter: ['Stable'], typesFilter: ['classic'] })
  t.ok(stable.groups.some(g => g.groupId === 'g-bad' && g.groupState === 'Stable' && g.groupType === 'classic'))
  t.notOk(stable.groups.some(g => g.groupId === 'g-simple'))

  // The good member never noticed.
  t.same(await groupState(admin, 'g-bad'), { state: 'Stable', members: 1 })
  t.same(c.assignment, { 'bad-t': [0] })
})

t.test('FindCoordinator v0-v6: single and batched keys, transaction keys', async t => {
  const conn = await raw()
  t.teardown(() => conn.close())
  const v0 = await conn.send(ApiKey.FindCoordinator, 0, { key: 'any-group' })
  t.same([v0.errorCode, v0.nodeId, v0.port], [0, 1, broker.port])
  const v4 = await conn.send(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['a', 'b'] })
  t.same(v4.coordinators!.map(c => [c.key, c.errorCode, c.nodeId]), [['a', 0, 1], ['b', 0, 1]])
  const txn = await conn.send(ApiKey.FindCoordinator, 6, { keyType: 1, coordinatorKeys: ['tx', ''] })
  t.same(
    txn.coordinators!.map(c => [c.key, c.errorCode, c.nodeId]),
    [['tx', 0, 1], ['', ErrorCode.INVALID_REQUEST, -1]],
    'transactional ids: this node (the leader of their __transaction_state partition); an empty id is refused',
  )
  const bogus = await conn.send(ApiKey.FindCoordinator, 6, { keyType: 7, coordinatorKeys: ['x'] })
  t.equal(bogus.coordinators![0].errorCode, ErrorCode.INVALID_REQUEST, 'an unknown key type: INVALID_REQUEST')
})

t.test('every advertised version of the group APIs round-trips', async t => {
  const conn = await raw()
  t.teardown(() => conn.close())
  const topics = (v: number) => [
    { name: 'shared', partitions: [{ partitionIndex: 0, committedOffset: 10 + v, ...(v >= 6 ? { committedLeaderEpoch: -1 } : {}), ...(v === 1 ? { commitTimestamp: -1 } : {}), committedMetadata: `v${v}` }] },
  ]
  for (let v = 0; v <= 9; v++) {
    const groupId = `g-version-${v}`
    // The encoder refuses fields a version does not have: send each version only its own.
    const join = {
      groupId,
      sessionTimeoutMs: 6000,
      ...(v >= 1 ? { rebalanceTimeoutMs: 3000 } : {}),
      memberId: '',
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscriptionMetadata(['shared']) }],
      ...(v >= 8 ? { reason: 'testing' } : {}),
    }
    let j = await conn.send(ApiKey.JoinGroup, v, join)
    if (v >= 4) {
      t.equal(j.errorCode, ErrorCode.MEMBER_ID_REQUIRED, `JoinGroup v${v} asks for a member id`)
      j = await conn.send(ApiKey.JoinGroup, v, { ...join, memberId: j.memberId })
    }
    t.equal(j.errorCode, ErrorCode.NONE, `JoinGroup v${v}`)
    t.equal(j.protocolName, 'range')
    if (v >= 7) t.equal(j.protocolType, 'consumer')
    const sv = Math.min(v, 5)
    const s = await conn.send(ApiKey.SyncGroup, sv, {
      groupId,
      generationId: j.generationId,
      memberId: j.memberId,
      ...(sv >= 5 ? { protocolType: 'consumer', protocolName: 'range' } : {}),
      assignments: [{ memberId: j.memberId, assignment: Buffer.from(`a${v}`) }],
    })
    t.same([s.errorCode, s.assignment.toString()], [0, `a${v}`], `SyncGroup v${sv}`)
    const hv = Math.min(v, 4)
    t.equal((await conn.send(ApiKey.Heartbeat, hv, { groupId, generationId: j.generationId, memberId: j.memberId })).errorCode, 0, `Heartbeat v${hv}`)
    const cv = Math.min(v, 8)
    const c = await conn.send(ApiKey.OffsetCommit, cv, {
      groupId,
      ...(cv >= 1 ? { generationIdOrMemberEpoch: j.generationId, memberId: j.memberId } : {}),
      ...(cv >= 2 && cv <= 4 ? { retentionTimeMs: -1 } : {}),
      topics: topics(cv),
    })
    // v0 has no member id or generation: only an empty group takes it (as in Kafka).
    t.equal(c.topics[0].partitions[0].errorCode, cv === 0 ? ErrorCode.UNKNOWN_MEMBER_ID : 0, `OffsetCommit v${cv}`)
    const f =
      v >= 8
        ? (await conn.send(ApiKey.OffsetFetch, v, { groups: [{ groupId, topics: [{ name: 'shared', partitionIndexes: [0] }] }], requireStable: true })).groups![0].topics![0].partitions![0]
        : (await conn.send(ApiKey.OffsetFetch, v, { groupId, topics: [{ name: 'shared', partitionIndexes: [0] }] })).topics![0].partitions![0]
    t.same([f.committedOffset, f.metadata], cv === 0 ? [-1, ''] : [10 + cv, `v${cv}`], `OffsetFetch v${v}`)
    const dv = Math.min(v, 5)
    const d = await conn.send(ApiKey.DescribeGroups, dv, { groups: [groupId], ...(dv >= 3 ? { includeAuthorizedOperations: true } : {}) })
    t.same([d.groups[0].groupState, d.groups[0].protocolData, d.groups[0].members[0].memberAssignment.toString()], ['Stable', 'range', `a${v}`], `DescribeGroups v${dv}`)
    if (dv >= 3) t.equal(d.groups[0].authorizedOperations, (1 << 3) | (1 << 6) | (1 << 8))
    const lv = Math.min(v, 5)
    const l = await conn.send(ApiKey.ListGroups, lv, { ...(lv >= 4 ? { statesFilter: [] } : {}), ...(lv >= 5 ? { typesFilter: [] } : {}) })
    t.ok(l.groups.some(g => g.groupId === groupId), `ListGroups v${lv}`)
    const leave = Math.min(v, 5)
    const left = await conn.send(ApiKey.LeaveGroup, leave, leave >= 3 ? { groupId, members: [{ memberId: j.memberId, ...(leave >= 5 ? { reason: 'done' } : {}) }] } : { groupId, memberId: j.memberId })
    t.equal(left.errorCode, 0, `LeaveGroup v${leave}`)
    if (cv === 0) {
      const c0 = await conn.send(ApiKey.OffsetCommit, 0, { groupId, topics: topics(0) })
      t.equal(c0.topics[0].partitions[0].errorCode, 0, 'OffsetCommit v0 to the empty group')
    }
    const delv = Math.min(v, 2)
    const del = await conn.send(ApiKey.DeleteGroups, delv, { groupsNames: [groupId] })
    t.same(del.results, [{ groupId, errorCode: 0 }], `DeleteGroups v${delv}`)
    const fv = Math.min(v, 6)
    const fc = await conn.send(ApiKey.FindCoordinator, fv, fv >= 4 ? { keyType: 0, coordinatorKeys: [groupId] } : fv >= 1 ? { key: groupId, keyType: 0 } : { key: groupId })
    t.equal(fv >= 4 ? fc.coordinators![0].nodeId : fc.nodeId, 1, `FindCoordinator v${fv}`)
  }
})

t.test('committed offsets survive a broker restart; consumption resumes where it left off', async t => {
  let kafka = kafkaClient(broker.bootstrap)
  let admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'restart-t', numPartitions: 3 }] })
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: 'restart-t', messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `r${i}` })) })

  const c1 = await trackedConsumer(kafka, 'r1', 'g-restart', 'restart-t')
  await waitFor('30 messages', () => c1.received.length >= 30)
  await waitFor('commits', async () => {
    const o = await admin.fetchOffsets({ groupId: 'g-restart', topics: ['restart-t'] })
    return o[0].partitions.every(p => p.offset === '10')
  })
  await c1.consumer.disconnect()
  await producer.send({ topic: 'restart-t', messages: Array.from({ length: 15 }, (_, i) => ({ partition: i % 3, value: `s${i}` })) })
  await producer.disconnect()
  await admin.disconnect()

  await broker.stop()
  broker = await startTempBroker(OVERRIDES, broker.dataDir)

  kafka = kafkaClient(broker.bootstrap)
  admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  const o = await admin.fetchOffsets({ groupId: 'g-restart', topics: ['restart-t'] })
  t.same(o[0].partitions.map(p => p.offset), ['10', '10', '10'], 'committed offsets survived')
  t.equal((await groupState(admin, 'g-restart')).state, 'Empty', 'the empty group survived')

  const c2 = await trackedConsumer(kafka, 'r2', 'g-restart', 'restart-t')
  t.teardown(() => c2.consumer.disconnect())
  await waitFor('the 15 new messages', () => c2.received.length >= 15)
  await new Promise(r => setTimeout(r, 300))
  t.same(c2.received.map(r => r.value).sort(), Array.from({ length: 15 }, (_, i) => `s${i}`).sort(), 'exactly the messages after the commits')
})

// The classic group coordinator with fake time and an in-memory __consumer_offsets: rebalances,
// session expiry, static membership, protocol selection, offsets, persistence and reload.

import t from 'tap'
import { createBrokerConfig } from '../config/index.js'
import { MetadataImage } from '../kraft/index.js'
import {
  buildEndTxnMarkerBatch,
  ConsumerProtocolSubscriptionSchema,
  ErrorCode,
  randomUuid,
  Writer,
} from '../wire/index.js'
import type { Logger } from '../util/index.js'
import { MemoryLog } from '../testing/memory-log.js'
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  FakeTime,
  GroupCoordinator,
  javaStringHashCode,
  kafkaAbs,
  partitionForGroup,
  settle,
  type JoinGroupParams,
  type JoinGroupResult,
  type Protocol,
  type SyncGroupResult,
} from './index.js'

// ---------------------------------------------------------------------------------------------
// Harness

class FakeLog extends MemoryLog {
  /** Every record: [decoded key, value or null]. */
  records(): Array<{ key: ReturnType<typeof decodeOffsetsKey>; value: Buffer | null }> {
    return this.allRecords().map(r => ({ key: decodeOffsetsKey(r.key!), value: r.value }))
  }
}

class FakeReplicas {
  readonly logs = new Map<number, FakeLog>()
  failNext: number | null = null

  logOf(p: number): FakeLog {
    let l = this.logs.get(p)
    if (!l) this.logs.set(p, (l = new FakeLog()))
    return l
  }

  getPartition(topic: string, p: number) {
    if (topic !== '__consumer_offsets') return undefined
    const log = this.logOf(p)
    return {
      isLeader: true,
      get logStartOffset() {
        return log.logStartOffset
      },
      get logEndOffset() {
        return log.logEndOffset
      },
      log,
    }
  }

  async appendRecords(_acks: number, _timeoutMs: number, entries: Array<{ topic: string; partition: number; records: Buffer | null }>) {
    return entries.map(e => {
      if (this.failNext !== null) {
        const errorCode = this.failNext
        this.failNext = null
        return { errorCode, errorMessage: 'injected', baseOffset: -1 }
      }
      return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: this.logOf(e.partition).append(e.records!) }
    })
  }

  async ready(): Promise<void> {}
}

function addTopic(image: MetadataImage, name: string, partitions: number, leader = 1): void {
  const topicId = randomUuid()
  image.apply({ type: 'TopicRecord', data: { name, topicId } } as never, image.lastOffset + 1)
  for (let p = 0; p < partitions; p++) {
    image.apply(
      {
        type: 'PartitionRecord',
        data: { partitionId: p, topicId, replicas: [leader], isr: [leader], removingReplicas: [], addingReplicas: [], leader, leaderEpoch: 0, partitionEpoch: 0 },
      } as never,
      image.lastOffset + 1,
    )
  }
}

const lines: string[] = []
const quiet: Logger = {
  debug: () => {},
  info: m => void lines.push(m),
  warn: m => void lines.push(m),
  error: m => void lines.push(m),
  child: () => quiet,
}

interface Harness {
  c: GroupCoordinator
  time: FakeTime
  image: MetadataImage
  replicas: FakeReplicas
  reopen(): Promise<GroupCoordinator>
}

async function harness(overrides: Record<string, string> = {}, opts: { offsetsPartitions?: number; time?: FakeTime; replicas?: FakeReplicas } = {}): Promise<Harness> {
  const time = opts.time ?? new FakeTime()
  const image = new MetadataImage()
  const replicas = opts.replicas ?? new FakeReplicas()
  addTopic(image, 'topic-a', 6)
  addTopic(image, 'topic-b', 2)
  if (opts.offsetsPartitions !== 0) addTopic(image, '__consumer_offsets', opts.offsetsPartitions ?? 1)
  const config = createBrokerConfig({
    'group.initial.rebalance.delay.ms': '0',
    'group.min.session.timeout.ms': '100',
    'group.max.session.timeout.ms': '60000',
    'offsets.retention.minutes': '1',
    'offsets.retention.check.interval.ms': '1000',
    ...overrides,
  })
  const controller = {
    async createTopics(specs: Array<{ name: string; numPartitions: number }>) {
      for (const s of specs) addTopic(image, s.name, s.numPartitions)
      return specs.map(s => ({ name: s.name, errorCode: ErrorCode.NONE, errorMessage: null }))
    },
  }
  const make = () => new GroupCoordinator({ nodeId: 1, image, controller, replicas, config: () => config, log: quiet, time })
  const c = make()
  await c.loadAll()
  const h: Harness = {
    c,
    time,
    image,
    replicas,
    async reopen() {
      h.c.shutdown()
      h.c = make()
      await h.c.loadAll()
      return h.c
    },
  }
  return h
}

function subscription(topics: string[]): Buffer {
  const w = new Writer()
  w.int16(0)
  ConsumerProtocolSubscriptionSchema.write(w, 0, { topics, userData: null })
  return w.toBuffer()
}

const RANGE: Protocol[] = [{ name: 'range', metadata: subscription(['topic-a']) }]

function joinParams(groupId: string, memberId: string, o: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId,
    memberId,
    groupInstanceId: null,
    requireKnownMemberId: true,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    rebalanceTimeoutMs: 5000,
    sessionTimeoutMs: 3000,
    protocolType: 'consumer',
    protocols: RANGE,
    reason: null,
    ...o,
  }
}

/** A promise whose settlement can be inspected. */
function watch<T>(p: Promise<T>): { done: boolean; value: T | undefined; promise: Promise<T> } {
  const w = { done: false, value: undefined as T | undefined, promise: p }
  void p.then(v => {
    w.done = true
    w.value = v
  })
  return w
}

/** Joins as a new dynamic member (with the MEMBER_ID_REQUIRED round trip); returns the pending join. */
async function newMember(c: GroupCoordinator, groupId: string, o: Partial<JoinGroupParams> = {}) {
  const first = await c.joinGroup(joinParams(groupId, '', o))
  if (first.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) throw new Error(`expected MEMBER_ID_REQUIRED, got ${first.errorCode}`)
  return { memberId: first.memberId, join: watch(c.joinGroup(joinParams(groupId, first.memberId, o))) }
}

/** Joins as a static member: no MEMBER_ID_REQUIRED round trip; the id comes with the join answer. */
async function staticMember(c: GroupCoordinator, groupId: string, o: Partial<JoinGroupParams>) {
  const join = watch(c.joinGroup(joinParams(groupId, '', o)))
  const w = {
    join,
    get memberId() {
      return join.value!.memberId
    },
  }
  return w
}

function sync(c: GroupCoordinator, groupId: string, memberId: string, generationId: number, assignments: Array<[string, string]> = [], groupInstanceId: string | null = null) {
  return watch(
    c.syncGroup({
      groupId,
      generationId,
      memberId,
      groupInstanceId,
      protocolType: 'consumer',
      protocolName: null,
      assignments: assignments.map(([m, a]) => ({ memberId: m, assignment: Buffer.from(a) })),
    }),
  )
}

const hb = (c: GroupCoordinator, groupId: string, memberId: string, generationId: number, groupInstanceId: string | null = null) =>
  c.heartbeat({ groupId, memberId, generationId, groupInstanceId })

/** One member forms a stable group alone. */
async function stableAlone(h: Harness, groupId: string, o: Partial<JoinGroupParams> = {}) {
  const a = o.groupInstanceId ? await staticMember(h.c, groupId, o) : await newMember(h.c, groupId, o)
  await h.time.advance(0)
  const res = a.join.value!
  const s = sync(h.c, groupId, a.memberId, res.generationId, [[a.memberId, 'A']])
  await settle()
  return { memberId: a.memberId, generationId: res.generationId, join: res, sync: s.value! }
}

// ---------------------------------------------------------------------------------------------

t.test('java hashCode and partition choice match Kafka', async t => {
  t.equal(javaStringHashCode(''), 0)
  t.equal(javaStringHashCode('a'), 97)
  t.equal(javaStringHashCode('hello'), 99162322)
  t.equal(javaStringHashCode('Aa'), javaStringHashCode('BB'))
  t.equal(javaStringHashCode('polygenelubricants'), -2147483648)
  t.equal(kafkaAbs(-2147483648), 0)
  t.equal(javaStringHashCode('group-😀'), javaStringHashCode('group-\ud83d\ude00'))
  t.equal(partitionForGroup('polygenelubricants', 50), 0)
  t.equal(partitionForGroup('hello', 50), 99162322 % 50)
  t.equal(partitionForGroup('my-group', 50), Math.abs(javaStringHashCode('my-group')) % 50)
})

t.test('__consumer_offsets record formats round trip and match Kafka bytes', async t => {
  const k = encodeOffsetCommitKey('g', 't', 5)
  t.same([...k], [0, 1, 0, 1, 0x67, 0, 1, 0x74, 0, 0, 0, 5])
  t.same(decodeOffsetsKey(k), { kind: 'offset', version: 1, group: 'g', topic: 't', partition: 5 })
  t.same(decodeOffsetsKey(Buffer.from([0, 0, 0, 1, 0x67, 0, 1, 0x74, 0, 0, 0, 5])), { kind: 'offset', version: 0, group: 'g', topic: 't', partition: 5 })
  t.same(decodeOffsetsKey(encodeGroupMetadataKey('grp')), { kind: 'group', version: 2, group: 'grp' })
  t.same(decodeOffsetsKey(Buffer.from([0, 3, 0, 1, 0x67])), { kind: 'other', version: 3 })

  const v3 = encodeOffsetCommitValue({ offset: 42, leaderEpoch: 7, metadata: 'meta', commitTimestamp: 1000, expireTimestamp: null })
  t.equal(v3.readInt16BE(0), 3)
  t.same(decodeOffsetCommitValue(v3), { offset: 42, leaderEpoch: 7, metadata: 'meta', commitTimestamp: 1000, expireTimestamp: null })
  const v1 = encodeOffsetCommitValue({ offset: 1, leaderEpoch: -1, metadata: '', commitTimestamp: 5, expireTimestamp: 99 })
  t.equal(v1.readInt16BE(0), 1)
  t.same(decodeOffsetCommitValue(v1), { offset: 1, leaderEpoch: -1, metadata: '', commitTimestamp: 5, expireTimestamp: 99 })
  t.throws(() => decodeOffsetCommitValue(Buffer.from([0, 9, 0, 0])), /unknown offset commit value version 9/)

  const gm = {
    protocolType: 'consumer',
    generation: 3,
    protocol: 'range',
    leader: 'm1',
    currentStateTimestamp: 12345,
    members: [
      { memberId: 'm1', groupInstanceId: 'i1', clientId: 'c', clientHost: '/127.0.0.1', rebalanceTimeout: 5000, sessionTimeout: 3000, subscription: Buffer.from('sub'), assignment: Buffer.from('asg') },
    ],
  }
  const enc = encodeGroupMetadataValue(gm)
  t.equal(enc.readInt16BE(0), 3)
  const dec = decodeGroupMetadataValue(enc)
  t.same({ ...dec, members: dec.members.map(m => ({ ...m, subscription: m.subscription.toString(), assignment: m.assignment.toString() })) }, {
    ...gm,
    members: [{ ...gm.members[0], subscription: 'sub', assignment: 'asg' }],
  })
  // v0 (no rebalance timeout, no state timestamp, no instance ids) still decodes.
  const v0 = decodeGroupMetadataValue(encodeGroupMetadataValue({ ...gm, members: [{ ...gm.members[0], groupInstanceId: null }] }, 0))
  t.equal(v0.members[0].rebalanceTimeout, -1)
  t.equal(v0.currentStateTimestamp, -1)
})

t.test('join, sync, heartbeat, second member, rebalance, leave', async t => {
  const h = await harness()
  const g = 'g1'
  const a = await newMember(h.c, g)
  t.match(a.memberId, /^client-[0-9a-f-]{36}$/)
  t.equal(a.join.done, false, 'the join waits for the rebalance')
  t.equal(h.c.group(g)!.state, 'PreparingRebalance')
  await h.time.advance(0)
  const ja = a.join.value!
  t.equal(ja.errorCode, ErrorCode.NONE)
  t.equal(ja.generationId, 1)
  t.equal(ja.leaderId, a.memberId)
  t.equal(ja.protocolName, 'range')
  t.equal(ja.members.length, 1)
  t.equal(h.c.group(g)!.state, 'CompletingRebalance')

  const sa = sync(h.c, g, a.memberId, 1, [[a.memberId, 'A1']])
  await settle()
  t.equal(sa.value!.errorCode, ErrorCode.NONE)
  t.equal(sa.value!.assignment.toString(), 'A1')
  t.equal(h.c.group(g)!.state, 'Stable')
  t.equal(hb(h.c, g, a.memberId, 1), ErrorCode.NONE)
  t.equal(hb(h.c, g, a.memberId, 0), ErrorCode.ILLEGAL_GENERATION)
  t.equal(hb(h.c, g, 'nobody', 1), ErrorCode.UNKNOWN_MEMBER_ID)
  t.equal(hb(h.c, 'no-such-group', a.memberId, 1), ErrorCode.UNKNOWN_MEMBER_ID)

  // A second member: the group rebalances; the first learns it from its heartbeat.
  const b = await newMember(h.c, g)
  t.equal(b.join.done, false)
  t.equal(h.c.group(g)!.state, 'PreparingRebalance')
  t.equal(hb(h.c, g, a.memberId, 1), ErrorCode.REBALANCE_IN_PROGRESS)
  const ra = watch(h.c.joinGroup(joinParams(g, a.memberId)))
  await settle()
  t.ok(ra.done && b.join.done, 'both answered once all members rejoined')
  t.equal(ra.value!.generationId, 2)
  t.equal(b.join.value!.generationId, 2)
  t.equal(ra.value!.leaderId, a.memberId)
  t.equal(ra.value!.members.length, 2, 'the leader gets every member')
  t.equal(b.join.value!.members.length, 0)

  const sb = sync(h.c, g, b.memberId, 2)
  await settle()
  t.equal(sb.done, false, 'a follower waits for the leader')
  const sa2 = sync(h.c, g, a.memberId, 2, [
    [a.memberId, 'A2'],
    [b.memberId, 'B2'],
  ])
  await settle()
  t.equal(sa2.value!.assignment.toString(), 'A2')
  t.equal(sb.value!.assignment.toString(), 'B2')
  t.equal(h.c.group(g)!.state, 'Stable')

  // Describe shows members with their assignments.
  const d = h.c.describeGroup(g)
  t.equal(d.state, 'Stable')
  t.equal(d.protocol, 'range')
  t.same(d.members.map(m => m.assignment.toString()).sort(), ['A2', 'B2'])

  // B leaves: rebalance; A rejoins alone.
  const left = h.c.leaveGroup(g, [{ memberId: b.memberId, groupInstanceId: null, reason: 'bye' }])
  t.same(left, { errorCode: ErrorCode.NONE, members: [{ memberId: b.memberId, groupInstanceId: null, errorCode: ErrorCode.NONE }] })
  t.equal(hb(h.c, g, a.memberId, 2), ErrorCode.REBALANCE_IN_PROGRESS)
  const ra3 = await h.c.joinGroup(joinParams(g, a.memberId))
  t.equal(ra3.generationId, 3)
  t.same(h.c.leaveGroup(g, [{ memberId: 'ghost', groupInstanceId: null, reason: null }]).members[0].errorCode, ErrorCode.UNKNOWN_MEMBER_ID)

  // The last member leaves: the group is Empty and that is stored.
  h.c.leaveGroup(g, [{ memberId: a.memberId, groupInstanceId: null, reason: null }])
  await settle()
  t.equal(h.c.group(g)!.state, 'Empty')
  t.equal(h.c.group(g)!.generationId, 4)
  const stored = h.replicas.logOf(0).records().filter(r => r.key.kind === 'group')
  const last = decodeGroupMetadataValue(stored[stored.length - 1].value!)
  t.equal(last.generation, 4)
  t.same(last.members, [])
  t.equal(last.protocolType, 'consumer')
})

t.test('sessions expire; rebalances drop members that do not rejoin', async t => {
  const h = await harness({ 'offsets.retention.check.interval.ms': '600000' })
  const g = 'g-exp'
  const a = await stableAlone(h, g)
  const b = await newMember(h.c, g, { sessionTimeoutMs: 1000 })
  t.equal(hb(h.c, g, a.memberId, 1), ErrorCode.REBALANCE_IN_PROGRESS)
  const ra = watch(h.c.joinGroup(joinParams(g, a.memberId)))
  await settle()
  t.equal(ra.value!.generationId, 2)
  const sb = sync(h.c, g, b.memberId, 2)
  sync(h.c, g, a.memberId, 2, [[a.memberId, 'A'], [b.memberId, 'B']])
  await settle()
  t.equal(sb.value!.errorCode, ErrorCode.NONE)

  // A keeps heartbeating; B goes silent and is removed after its 1 s session.
  for (let i = 0; i < 4; i++) {
    await h.time.advance(400)
    if (i < 2) t.equal(hb(h.c, g, a.memberId, 2), ErrorCode.NONE)
  }
  t.notOk(h.c.group(g)!.members.has(b.memberId), 'B expired')
  t.ok(lines.some(l => l.includes(`member ${b.memberId} in group ${g} has failed`)), 'expiry is logged')
  t.equal(hb(h.c, g, a.memberId, 2), ErrorCode.REBALANCE_IN_PROGRESS)
  t.equal(hb(h.c, g, b.memberId, 2), ErrorCode.UNKNOWN_MEMBER_ID)

  // A does not rejoin either: after the rebalance timeout the group is empty.
  await h.time.advance(5000)
  t.equal(h.c.group(g)!.state, 'Empty')
  t.equal(h.c.group(g)!.size, 0)
})

t.test('a pending member (MEMBER_ID_REQUIRED) holds a rebalance at most for its session timeout', async t => {
  const h = await harness()
  const g = 'g-pending'
  const a = await stableAlone(h, g)
  const first = await h.c.joinGroup(joinParams(g, '', { sessionTimeoutMs: 500 }))
  t.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
  t.equal(h.c.group(g)!.state, 'Stable', 'a pending member does not start a rebalance')
  // A starts a rebalance by rejoining as leader; the pending member holds it until it expires.
  const ra = watch(h.c.joinGroup(joinParams(g, a.memberId)))
  await settle()
  t.equal(ra.done, false)
  await h.time.advance(600)
  t.equal(ra.value!.errorCode, ErrorCode.NONE)
  t.equal(ra.value!.members.length, 1)
})

t.test('the initial rebalance delay collects members of a new group', async t => {
  const h = await harness({ 'group.initial.rebalance.delay.ms': '1000' })
  const g = 'g-delay'
  const a = await newMember(h.c, g)
  await h.time.advance(500)
  const b = await newMember(h.c, g)
  await h.time.advance(600)
  t.equal(a.join.done, false, 'a new member arrived during the delay: wait once more')
  await h.time.advance(1000)
  t.ok(a.join.done && b.join.done)
  t.equal(a.join.value!.generationId, 1)
  t.equal(a.join.value!.members.length + b.join.value!.members.length, 2)
})

t.test('protocol selection, protocol and session checks, max size, group ids', async t => {
  const h = await harness({ 'group.max.size': '4' })
  const g = 'g-proto'
  const p = (...names: string[]): Protocol[] => names.map(name => ({ name, metadata: subscription(['topic-a']) }))
  const m1 = await newMember(h.c, g, { protocols: p('range', 'roundrobin') })
  await h.time.advance(0)
  t.equal(m1.join.value!.protocolName, 'range')
  sync(h.c, g, m1.memberId, 1)
  await settle()
  const m2 = await newMember(h.c, g, { protocols: p('roundrobin', 'range') })
  const m3 = await newMember(h.c, g, { protocols: p('roundrobin', 'sticky') })
  // Only roundrobin is supported by all three.
  const r1 = await h.c.joinGroup(joinParams(g, m1.memberId, { protocols: p('range', 'roundrobin') }))
  await settle()
  t.equal(r1.protocolName, 'roundrobin')
  t.equal(m2.join.value!.protocolName, 'roundrobin')
  t.equal(m3.join.value!.generationId, 2)

  // Nothing in common: INCONSISTENT_GROUP_PROTOCOL, and the group is untouched.
  const bad = await h.c.joinGroup(joinParams(g, '', { protocols: p('cooperative-sticky') }))
  t.equal(bad.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  const badType = await h.c.joinGroup(joinParams(g, '', { protocolType: 'connect' }))
  t.equal(badType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  t.equal(h.c.group(g)!.size, 3)
  t.ok(lines.some(l => l.includes('INCONSISTENT_GROUP_PROTOCOL')))

  // group.max.size: while rebalancing, members waiting in JoinGroup count.
  for (let i = 0; i < 4; i++) await newMember(h.c, 'g-full')
  const full = await h.c.joinGroup(joinParams('g-full', '', { requireKnownMemberId: false }))
  t.equal(full.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED)
  t.equal(h.c.group('g-full')!.size, 4)

  // Votes: two prefer range, one roundrobin.
  const g2 = 'g-votes'
  const v1 = await newMember(h.c, g2, { protocols: p('range', 'roundrobin') })
  const v2 = await newMember(h.c, g2, { protocols: p('roundrobin', 'range') })
  const v3 = await newMember(h.c, g2, { protocols: p('range', 'roundrobin') })
  await h.time.advance(0)
  t.equal(v1.join.value!.protocolName, 'range')
  t.equal(v2.join.value!.protocolName, 'range')
  t.equal(v3.join.value!.protocolName, 'range')

  // An empty group needs a protocol type and protocols.
  t.equal((await h.c.joinGroup(joinParams('g-empty-proto', '', { protocols: [] }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  t.equal(h.c.group('g-empty-proto'), undefined, 'no ghost group is left behind')

  t.equal((await h.c.joinGroup(joinParams('g-s', '', { sessionTimeoutMs: 50 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT)
  t.equal((await h.c.joinGroup(joinParams('g-s', '', { sessionTimeoutMs: 600000 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT)
  t.equal((await h.c.joinGroup(joinParams('', ''))).errorCode, ErrorCode.INVALID_GROUP_ID)
  t.equal((await h.c.joinGroup(joinParams('x'.repeat(2000), ''))).errorCode, ErrorCode.INVALID_GROUP_ID)
  t.equal((await h.c.joinGroup(joinParams('g-unknown', 'some-member'))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  t.equal(h.c.heartbeat({ groupId: '', memberId: 'm', generationId: 1, groupInstanceId: null }), ErrorCode.INVALID_GROUP_ID)
  t.same(await h.c.commitOffsets({ groupId: '', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [{ topic: 'topic-a', partition: 0, offset: 1, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] }), [
    ErrorCode.INVALID_GROUP_ID,
  ])
  t.equal(h.c.fetchOffsets('', null, false).errorCode, ErrorCode.INVALID_GROUP_ID)
})

t.test('static membership: no MEMBER_ID_REQUIRED, rejoin fences the old id without a rebalance', async t => {
  const h = await harness()
  const g = 'g-static'
  const s1 = watch(h.c.joinGroup(joinParams(g, '', { groupInstanceId: 'inst-1', sessionTimeoutMs: 20000 })))
  await h.time.advance(0)
  const j1 = s1.value!
  t.equal(j1.errorCode, ErrorCode.NONE)
  t.match(j1.memberId, /^inst-1-/)
  const oldId = j1.memberId
  sync(h.c, g, oldId, 1, [[oldId, 'S1']])
  await settle()
  t.equal(h.c.group(g)!.state, 'Stable')

  // Restarted with the same instance id and no member id: replaces the old member, same generation.
  const j2 = await h.c.joinGroup(joinParams(g, '', { groupInstanceId: 'inst-1', sessionTimeoutMs: 20000 }))
  t.equal(j2.errorCode, ErrorCode.NONE)
  t.not(j2.memberId, oldId)
  t.equal(j2.generationId, 1, 'no rebalance')
  t.equal(j2.leaderId, oldId, 'the old leader id is returned so no assignment is run')
  t.equal(h.c.group(g)!.state, 'Stable')
  t.equal(hb(h.c, g, oldId, 1, 'inst-1'), ErrorCode.FENCED_INSTANCE_ID)
  t.equal(hb(h.c, g, j2.memberId, 1, 'inst-1'), ErrorCode.NONE)
  const s2 = sync(h.c, g, j2.memberId, 1)
  await settle()
  t.equal(s2.value!.assignment.toString(), 'S1', 'it keeps its assignment')
  const fencedSync = sync(h.c, g, oldId, 1, [], 'inst-1')
  await settle()
  t.equal(fencedSync.value!.errorCode, ErrorCode.FENCED_INSTANCE_ID)
  const fencedJoin = await h.c.joinGroup(joinParams(g, oldId, { groupInstanceId: 'inst-1' }))
  t.equal(fencedJoin.errorCode, ErrorCode.FENCED_INSTANCE_ID)
  t.same(h.c.leaveGroup(g, [{ memberId: oldId, groupInstanceId: 'inst-1', reason: null }]).members[0].errorCode, ErrorCode.FENCED_INSTANCE_ID)
  const commit = await h.c.commitOffsets({ groupId: g, generationId: 1, memberId: oldId, groupInstanceId: 'inst-1', retentionTimeMs: -1, offsets: [{ topic: 'topic-a', partition: 0, offset: 5, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] })
  t.same(commit, [ErrorCode.FENCED_INSTANCE_ID])
  const stored = h.replicas.logOf(0).records().filter(r => r.key.kind === 'group')
  const last = decodeGroupMetadataValue(stored[stored.length - 1].value!)
  t.equal(last.members[0].memberId, j2.memberId, 'the new member id is persisted')
  t.equal(last.members[0].groupInstanceId, 'inst-1')

  // A dynamic member joins; the static member does not rejoin in time but keeps its place.
  const d = await newMember(h.c, g, { rebalanceTimeoutMs: 1000 })
  await h.time.advance(5000)
  t.ok(d.join.done)
  t.equal(d.join.value!.errorCode, ErrorCode.NONE)
  t.equal(h.c.group(g)!.size, 2, 'the static member stays through the rebalance')
  t.ok(h.c.group(g)!.members.has(j2.memberId))

  // Administrative removal by instance id.
  const rm = h.c.leaveGroup(g, [{ memberId: '', groupInstanceId: 'inst-1', reason: 'admin' }])
  t.equal(rm.members[0].errorCode, ErrorCode.NONE)
  t.notOk(h.c.group(g)!.members.has(j2.memberId))
  t.equal(h.c.leaveGroup(g, [{ memberId: '', groupInstanceId: 'inst-unknown', reason: null }]).members[0].errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
})

t.test('a leader that never syncs: members that did not sync are removed after the rebalance timeout', async t => {
  const h = await harness()
  const g = 'g-nosync'
  const a = await newMember(h.c, g, { rebalanceTimeoutMs: 2000 })
  const b = await newMember(h.c, g, { rebalanceTimeoutMs: 2000 })
  await h.time.advance(0)
  const leader = a.join.value!.leaderId
  const follower = leader === a.memberId ? b.memberId : a.memberId
  const sf = sync(h.c, g, follower, 1)
  await h.time.advance(2500)
  t.equal(sf.value!.errorCode, ErrorCode.REBALANCE_IN_PROGRESS, 'the waiting follower is told to rejoin')
  t.notOk(h.c.group(g)!.members.has(leader))
  t.equal(h.c.group(g)!.state, 'PreparingRebalance')
})

t.test('offsets: member commits, simple commits, errors, fetch, delete, expiry', async t => {
  const h = await harness()
  const g = 'g-off'
  const a = await stableAlone(h, g)
  const commit = (o: Partial<Parameters<GroupCoordinator['commitOffsets']>[0]>, offsets: Array<[string, number, number, string?]>) =>
    h.c.commitOffsets({
      groupId: g,
      generationId: a.generationId,
      memberId: a.memberId,
      groupInstanceId: null,
      retentionTimeMs: -1,
      ...o,
      offsets: offsets.map(([topic, partition, offset, metadata]) => ({ topic, partition, offset, leaderEpoch: 3, metadata: metadata ?? null, commitTimestamp: -1 })),
    })
  t.same(await commit({}, [['topic-a', 0, 10, 'm'], ['topic-a', 1, 20]]), [0, 0])
  t.same(await commit({}, [['nope', 0, 1], ['topic-a', 9, 1], ['topic-a', 2, 30]]), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0])
  t.same(await commit({ generationId: 99 }, [['topic-a', 0, 11]]), [ErrorCode.ILLEGAL_GENERATION])
  t.same(await commit({ memberId: 'stranger' }, [['topic-a', 0, 11]]), [ErrorCode.UNKNOWN_MEMBER_ID])
  t.same(await commit({ generationId: -1, memberId: '' }, [['topic-a', 0, 11]]), [ErrorCode.UNKNOWN_MEMBER_ID], 'a non-empty group takes commits only from members')
  t.same(await commit({}, [['topic-a', 0, 12, 'x'.repeat(5000)]]), [ErrorCode.OFFSET_METADATA_TOO_LARGE])
  h.replicas.failNext = ErrorCode.NOT_LEADER_OR_FOLLOWER
  t.same(await commit({}, [['topic-a', 0, 13]]), [ErrorCode.NOT_COORDINATOR])

  const f = h.c.fetchOffsets(g, [{ topic: 'topic-a', partitions: [0, 1, 2, 3] }, { topic: 'unknown', partitions: [0] }], false)
  t.equal(f.errorCode, 0)
  t.same(
    f.offsets.map(o => [o.topic, o.partition, o.offset, o.metadata, o.leaderEpoch]),
    [
      ['topic-a', 0, 10, 'm', 3],
      ['topic-a', 1, 20, '', 3],
      ['topic-a', 2, 30, '', 3],
      ['topic-a', 3, -1, '', -1],
      ['unknown', 0, -1, '', -1],
    ],
  )
  t.same(h.c.fetchOffsets(g, null, false).offsets.map(o => o.partition), [0, 1, 2])
  t.same(h.c.fetchOffsets('no-group', null, true), { errorCode: 0, offsets: [] })

  // OffsetDelete: topic-a is subscribed (GROUP_SUBSCRIBED_TO_TOPIC); topic-b is not.
  t.same(await commit({}, [['topic-b', 0, 5]]), [0])
  const del = await h.c.deleteOffsets(g, [
    { topic: 'topic-a', partition: 0 },
    { topic: 'topic-b', partition: 0 },
  ])
  t.same(del.partitions.map(p => p.errorCode), [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE])
  t.equal(h.c.fetchOffsets(g, [{ topic: 'topic-b', partitions: [0] }], false).offsets[0].offset, -1)
  t.equal((await h.c.deleteOffsets('no-group', [])).errorCode, ErrorCode.GROUP_ID_NOT_FOUND)

  // DeleteGroups refuses a non-empty group.
  t.same(await h.c.deleteGroups([g, 'no-group', '']), [
    { groupId: g, errorCode: ErrorCode.NON_EMPTY_GROUP },
    { groupId: 'no-group', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    { groupId: '', errorCode: ErrorCode.INVALID_GROUP_ID },
  ])

  // Simple consumer (generation -1) commits create an offsets-only group.
  const s = await h.c.commitOffsets({ groupId: 'simple', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [{ topic: 'topic-a', partition: 4, offset: 7, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] })
  t.same(s, [0])
  t.same(h.c.listGroups([], []).groups.find(x => x.groupId === 'simple'), { groupId: 'simple', protocolType: '', state: 'Empty', type: 'classic' })
  t.same(await h.c.commitOffsets({ groupId: 'nobody-home', generationId: 4, memberId: 'x', groupInstanceId: null, retentionTimeMs: -1, offsets: [{ topic: 'topic-a', partition: 4, offset: 7, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] }), [
    ErrorCode.ILLEGAL_GENERATION,
  ])
  t.equal(h.c.group('nobody-home'), undefined)

  // List filters.
  t.same(h.c.listGroups(['stable'], []).groups.map(x => x.groupId), [g])
  t.same(h.c.listGroups(['Empty'], ['classic']).groups.map(x => x.groupId), ['simple'])
  t.same(h.c.listGroups([], ['consumer']).groups, [])

  // Expiry: after the group empties, its offsets live offsets.retention.minutes (1 min here).
  h.c.leaveGroup(g, [{ memberId: a.memberId, groupInstanceId: null, reason: null }])
  await settle()
  t.equal(h.c.group(g)!.state, 'Empty')
  await h.time.advance(30_000)
  t.equal(h.c.fetchOffsets(g, null, false).offsets.length, 3, 'not yet expired')
  await h.time.advance(31_000)
  t.equal(h.c.group(g), undefined, 'offsets expired and the empty group is gone')
  t.equal(h.c.group('simple'), undefined)
  const tomb = h.replicas.logOf(0).records().filter(r => r.value === null)
  t.ok(tomb.some(r => r.key.kind === 'group' && r.key.group === g), 'a group tombstone is written')
  t.equal(tomb.filter(r => r.key.kind === 'offset' && r.key.group === g).length, 4, 'offset tombstones (3 expired + 1 deleted)')

  // And after a reload nothing comes back.
  await h.reopen()
  t.equal(h.c.group(g), undefined)
  t.equal(h.c.group('simple'), undefined)
})

t.test('offsets with retention (OffsetCommit v2-v4) expire by their own timestamp', async t => {
  const h = await harness()
  t.same(await h.c.commitOffsets({ groupId: 'ret', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: 10_000, offsets: [{ topic: 'topic-a', partition: 0, offset: 1, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] }), [0])
  const rec = h.replicas.logOf(0).records().find(r => r.key.kind === 'offset')!
  t.equal(rec.value!.readInt16BE(0), 1, 'value v1 carries the expire timestamp')
  await h.time.advance(12_000)
  t.equal(h.c.group('ret'), undefined)
})

t.test('everything is reloaded from __consumer_offsets', async t => {
  const h = await harness({}, { offsetsPartitions: 4 })
  const groups = ['alpha', 'beta', 'gamma', 'delta']
  const members = new Map<string, { memberId: string; generationId: number }>()
  for (const g of groups) {
    const a = await stableAlone(h, g, { groupInstanceId: g === 'gamma' ? 'static-gamma' : null })
    members.set(g, a)
    t.same(
      await h.c.commitOffsets({ groupId: g, generationId: a.generationId, memberId: a.memberId, groupInstanceId: g === 'gamma' ? 'static-gamma' : null, retentionTimeMs: -1, offsets: [{ topic: 'topic-a', partition: 1, offset: g.length * 100, leaderEpoch: 2, metadata: g, commitTimestamp: -1 }] }),
      [0],
    )
  }
  // Group on the right partitions.
  for (const g of groups) t.equal(h.c.group(g)!.partition, partitionForGroup(g, 4))
  // delta leaves (Empty but keeps offsets); beta is deleted after leaving.
  h.c.leaveGroup('delta', [{ memberId: members.get('delta')!.memberId, groupInstanceId: null, reason: null }])
  h.c.leaveGroup('beta', [{ memberId: members.get('beta')!.memberId, groupInstanceId: null, reason: null }])
  await settle()
  t.same(await h.c.deleteGroups(['beta']), [{ groupId: 'beta', errorCode: 0 }])

  const c = await h.reopen()
  for (let p = 0; p < 4; p++) t.ok(c.isLoaded(p))
  t.equal(c.group('beta'), undefined, 'deleted groups stay deleted')
  const alpha = c.group('alpha')!
  t.equal(alpha.state, 'Stable')
  t.equal(alpha.generationId, 1)
  t.equal(alpha.protocolName, 'range')
  t.ok(alpha.members.has(members.get('alpha')!.memberId))
  t.equal(alpha.members.get(members.get('alpha')!.memberId)!.assignment.toString(), 'A')
  t.same([...alpha.subscribedTopics!], ['topic-a'])
  t.equal(c.group('gamma')!.staticMembers.get('static-gamma'), members.get('gamma')!.memberId)
  t.equal(c.group('delta')!.state, 'Empty')
  for (const g of ['alpha', 'gamma', 'delta']) {
    const o = c.fetchOffsets(g, [{ topic: 'topic-a', partitions: [1] }], false).offsets[0]
    t.same([o.offset, o.metadata, o.leaderEpoch], [g.length * 100, g, 2], `offsets of ${g} survive`)
  }
  // A loaded member carries on with its generation.
  const am = members.get('alpha')!
  t.equal(c.heartbeat({ groupId: 'alpha', memberId: am.memberId, generationId: am.generationId, groupInstanceId: null }), ErrorCode.NONE)
  const s = sync(c, 'alpha', am.memberId, am.generationId)
  await settle()
  t.equal(s.value!.assignment.toString(), 'A')
  // Loaded members must keep heartbeating: gamma's member (3 s session) expires.
  await h.time.advance(3500)
  t.equal(c.group('gamma')!.size, 0)
  t.equal(c.group('alpha')!.size, 0)

  // Shutdown answers waiting joins, so no request hangs.
  const w = await newMember(c, 'late')
  c.shutdown()
  await settle()
  t.equal(w.join.value!.errorCode, ErrorCode.NOT_COORDINATOR)
  t.equal(c.heartbeat({ groupId: 'alpha', memberId: 'x', generationId: 1, groupInstanceId: null }), ErrorCode.COORDINATOR_NOT_AVAILABLE)
})

t.test('transactional offsets wait for their marker: COMMIT makes them count, ABORT drops them, also when replayed', async t => {
  const h = await harness()
  const pid = 4242
  const txnCommit = (groupId: string, offset: number, producerId = pid, producerEpoch = 0) =>
    h.c.commitTransactionalOffsets({
      groupId,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      offsets: [{ topic: 'topic-a', partition: 0, offset, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }],
      txn: { producerId, producerEpoch },
    })
  const fetched = (groupId: string, requireStable = false) => h.c.fetchOffsets(groupId, [{ topic: 'topic-a', partitions: [0] }], requireStable).offsets[0]!
  const marker = (producerId: number, commit: boolean) => {
    h.replicas.logOf(0).append(buildEndTxnMarkerBatch({ producerId, producerEpoch: 0, commit, coordinatorEpoch: 0, timestamp: h.time.now() }))
    h.c.onTransactionCompleted(0, producerId, commit)
  }

  t.same(await txnCommit('g-txn', 7), [0], 'a transactional commit creates the group and is written')
  t.match(fetched('g-txn'), { offset: -1, errorCode: 0 }, 'not visible before the marker')
  t.match(fetched('g-txn', true), { offset: -1, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT }, 'require_stable: UNSTABLE_OFFSET_COMMIT')
  marker(pid, true)
  t.match(fetched('g-txn', true), { offset: 7, errorCode: 0 }, 'COMMIT: visible')

  t.same(await txnCommit('g-txn', 9, pid + 1), [0])
  marker(pid + 1, false)
  t.match(fetched('g-txn'), { offset: 7 }, 'ABORT: the earlier commit stays')

  t.same(await txnCommit('g-open', 3, pid + 2), [0], 'a transaction left open')
  const stable = await stableAlone(h, 'g-member')
  t.same(
    await h.c.commitTransactionalOffsets({
      groupId: 'g-member',
      generationId: stable.generationId + 1,
      memberId: stable.memberId,
      groupInstanceId: null,
      retentionTimeMs: -1,
      offsets: [{ topic: 'topic-a', partition: 0, offset: 1, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }],
      txn: { producerId: pid + 3, producerEpoch: 0 },
    }),
    [ErrorCode.ILLEGAL_GENERATION],
    'a member of a live group is checked as for OffsetCommit (v3+)',
  )

  await h.reopen()
  t.match(fetched('g-txn'), { offset: 7 }, 'replayed: the committed transaction counts, the aborted one not')
  t.match(fetched('g-open'), { offset: -1 }, 'replayed: the open transaction is still pending')
  t.match(fetched('g-open', true), { errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT })
  marker(pid + 2, true)
  t.match(fetched('g-open', true), { offset: 3, errorCode: 0 }, 'and its marker after the reload settles it')
})

t.test('FindCoordinator creates __consumer_offsets and loading answers', async t => {
  const h = await harness({ 'offsets.topic.num.partitions': '3' }, { offsetsPartitions: 0 })
  t.equal(h.c.joinGroup(joinParams('g', '')) instanceof Promise, true)
  t.equal((await h.c.joinGroup(joinParams('g', ''))).errorCode, ErrorCode.NOT_COORDINATOR, 'no partition loaded yet')
  const f = await h.c.findGroupCoordinator('g')
  t.same(f, { errorCode: 0, errorMessage: null, nodeId: 1 })
  t.equal(h.image.topicsByName.get('__consumer_offsets')!.partitions.size, 3)
  for (let p = 0; p < 3; p++) t.ok(h.c.isLoaded(p))
  t.equal((await h.c.joinGroup(joinParams('g', ''))).errorCode, ErrorCode.MEMBER_ID_REQUIRED)

  // A partition led elsewhere is unloaded: NOT_COORDINATOR for its groups.
  const p = h.c.partitionFor('g')
  const topicId = h.image.topicsByName.get('__consumer_offsets')!.id
  h.image.apply({ type: 'PartitionChangeRecord', data: { partitionId: p, topicId, leader: 2 } } as never, h.image.lastOffset + 1)
  t.notOk(h.c.isLoaded(p))
  t.equal(h.c.heartbeat({ groupId: 'g', memberId: 'm', generationId: 1, groupInstanceId: null }), ErrorCode.NOT_COORDINATOR)
  t.same(await h.c.findGroupCoordinator('g'), { errorCode: 0, errorMessage: null, nodeId: 2 })
  h.image.apply({ type: 'PartitionChangeRecord', data: { partitionId: p, topicId, leader: 1 } } as never, h.image.lastOffset + 1)
  await settle()
  t.ok(h.c.isLoaded(p), 'leading again: loaded again')
})

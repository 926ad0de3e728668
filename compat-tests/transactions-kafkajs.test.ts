// Kafka transactions driven by kafkajs 2.2.4 against a real Millrace over TCP: commits across
// topics and partitions, aborts hidden from read_committed consumers (and shown to
// read_uncommitted ones), the last stable offset holding consumers back while a transaction is
// open, offsets committed through a transaction (consume-transform-produce), fencing of a producer
// by a newer one with the same transactional id, the coordinator aborting a transaction that
// outlives its timeout, ListTransactions/DescribeTransactions, and all of it across a restart.
//
// kafkajs speaks the old non-flexible versions: FindCoordinator v2 (key type 1), InitProducerId
// v1, AddPartitionsToTxn v1, AddOffsetsToTxn v1, TxnOffsetCommit v1, EndTxn v1, Produce v7,
// Fetch v11 and ListOffsets v3 (both with isolation level 1 unless `readUncommitted`). It drops
// aborted records itself, from the Fetch answer's abortedTransactions list, and drops control
// records (the markers) by their batch attribute.
import t, { type Test } from 'tap'
import type { Admin, Consumer, Kafka, Producer, Transaction } from 'kafkajs'
import { kafkaClient, startTempBroker, type TempBroker, within } from './helpers.js'
import { ClientConnection } from '../src/client/index.js'
import { ApiKey, ErrorCode } from '../src/wire/index.js'
import { setLogLevel } from '../src/util/index.js'

setLogLevel('warn')

const OVERRIDES = {
  'transaction.state.log.num.partitions': '4',
  'offsets.topic.num.partitions': '4',
  'group.initial.rebalance.delay.ms': '0',
  // The timeout test needs the coordinator to look for expired transactions often.
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': '300',
}

/** The longest any one client step may take: a broker that does not answer fails the step, not the run. */
const STEP_MS = 15_000

let broker: TempBroker
t.before(async () => {
  broker = await startTempBroker(OVERRIDES)
})
t.teardown(() => broker?.destroy())

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = STEP_MS): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await cond()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise(r => setTimeout(r, 50))
  }
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** Everything an error says about itself, its cause and the error it wraps (kafkajs nests them). */
function describeError(e: unknown, depth = 0): string {
  if (e === null || e === undefined || depth > 4) return ''
  const x = e as { name?: string; type?: string; code?: unknown; message?: string; cause?: unknown; originalError?: unknown }
  return [x.name, x.type, x.code, x.message, describeError(x.cause, depth + 1), describeError(x.originalError, depth + 1)].filter(s => s !== undefined && s !== '').join(' ')
}

/** Runs `step` expecting it to fail; resolves with the description of the error (or fails the test). */
async function failure(t: Test, what: string, step: Promise<unknown>): Promise<string> {
  try {
    await within(what, step)
  } catch (e) {
    return describeError(e)
  }
  t.fail(`${what} succeeded; it should have failed`)
  return ''
}

const client = (): Kafka => kafkaClient(broker.bootstrap, 'txn-compat')

async function connectedAdmin(t: Test): Promise<Admin> {
  const admin = client().admin()
  await within('admin connect', admin.connect())
  t.teardown(() => admin.disconnect())
  return admin
}

async function createTopics(admin: Admin, topics: Array<[string, number]>): Promise<void> {
  await within('createTopics', admin.createTopics({ topics: topics.map(([topic, numPartitions]) => ({ topic, numPartitions })), waitForLeaders: true }))
}

/**
 * A connected transactional producer. Its retries are bounded: kafkajs retries an idempotent
 * producer's sends forever unless told otherwise.
 */
async function txProducer(t: Test, transactionalId: string, transactionTimeout = 30_000): Promise<Producer> {
  const producer = client().producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout,
    retry: { retries: 6, initialRetryTime: 50, maxRetryTime: 500 },
  })
  await within('producer connect', producer.connect())
  t.teardown(() => producer.disconnect())
  return producer
}

async function plainProducer(t: Test): Promise<Producer> {
  const producer = client().producer({ retry: { retries: 6, initialRetryTime: 50, maxRetryTime: 500 } })
  await within('producer connect', producer.connect())
  t.teardown(() => producer.disconnect())
  return producer
}

/** Starts a transaction (the first one also runs InitProducerId through the transaction coordinator). */
const begin = (producer: Producer): Promise<Transaction> => within('producer.transaction()', producer.transaction())

const records = (partition: number, values: string[]) => values.map(value => ({ partition, value }))

interface Got {
  topic: string
  partition: number
  offset: number
  value: string
}

interface Reader {
  consumer: Consumer
  got: Got[]
  /** [offset, value] of what it read from one partition, in the order read. */
  from: (topic: string, partition: number) => Array<[number, string]>
  /** Waits until it has read at least `n` records. */
  atLeast: (n: number, ms?: number) => Promise<void>
  /** Waits for `rounds` more fetch answers (nothing more can be on its way after them). */
  settle: (rounds?: number) => Promise<void>
}

let readers = 0

/** A consumer in a group of its own reading `topics` from the beginning, read_committed unless told otherwise. */
async function reader(t: Test, topics: string[], opts: { readUncommitted?: boolean } = {}): Promise<Reader> {
  const consumer = client().consumer({
    groupId: `txn-reader-${++readers}`,
    readUncommitted: opts.readUncommitted ?? false,
    maxWaitTimeInMs: 100,
    sessionTimeout: 6000,
    rebalanceTimeout: 4000,
    heartbeatInterval: 500,
    retry: { retries: 6, initialRetryTime: 50, maxRetryTime: 500 },
  })
  const got: Got[] = []
  let joined = false
  let fetches = 0
  consumer.on(consumer.events.GROUP_JOIN, () => void (joined = true))
  consumer.on(consumer.events.FETCH, () => void (joined && fetches++))
  t.teardown(() => consumer.disconnect())
  await within('consumer connect', consumer.connect())
  await within('consumer subscribe', consumer.subscribe({ topics, fromBeginning: true }))
  await within(
    'consumer run',
    consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        got.push({ topic, partition, offset: Number(message.offset), value: message.value?.toString() ?? '' })
      },
    }),
  )
  await waitFor(`consumer of ${topics.join(', ')} to join its group and fetch`, () => joined && fetches > 0)
  return {
    consumer,
    got,
    from: (topic, partition) => got.filter(g => g.topic === topic && g.partition === partition).map(g => [g.offset, g.value]),
    atLeast: (n, ms) => waitFor(`${n} records (have ${got.length}: ${JSON.stringify(got.map(g => g.value))})`, () => got.length >= n, ms),
    settle: async (rounds = 4) => {
      const target = fetches + rounds
      await waitFor(`${rounds} more fetches`, () => fetches >= target)
    },
  }
}

/** The latest offset of each partition as kafkajs's admin reads it: ListOffsets v3 with isolation level 1, so the last stable offset. */
async function stableOffsets(admin: Admin, topic: string): Promise<number[]> {
  const offsets = await within(`fetchTopicOffsets(${topic})`, admin.fetchTopicOffsets(topic))
  return offsets.sort((a, b) => a.partition - b.partition).map(o => Number(o.offset))
}

async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<string[]> {
  const res = await within(`fetchOffsets(${groupId})`, admin.fetchOffsets({ groupId, topics: [topic] }))
  return res[0].partitions.sort((a, b) => a.partition - b.partition).map(p => p.offset)
}

t.test('a committed transaction over two topics and three partitions is read exactly, in order', async t => {
  const admin = await connectedAdmin(t)
  await createTopics(admin, [['commit-a', 2], ['commit-b', 1]])
  const producer = await txProducer(t, 'tx-commit')

  const tx = await begin(producer)
  t.ok(tx.isActive())
  await within('send to commit-a', tx.send({ topic: 'commit-a', messages: [...records(0, ['a0-1', 'a0-2']), ...records(1, ['a1-1'])] }))
  await within('send to commit-b', tx.send({ topic: 'commit-b', messages: records(0, ['b0-1', 'b0-2']) }))
  // A second batch to a partition already in the transaction (no new AddPartitionsToTxn).
  await within('second send to commit-a', tx.send({ topic: 'commit-a', messages: records(0, ['a0-3']) }))
  await within('commit', tx.commit())
  t.notOk(tx.isActive(), 'the transaction is over')

  const r = await reader(t, ['commit-a', 'commit-b'])
  await r.atLeast(6)
  await r.settle()
  t.equal(r.got.length, 6, 'exactly the six committed records, no markers')
  t.same(r.from('commit-a', 0), [[0, 'a0-1'], [1, 'a0-2'], [2, 'a0-3']], 'commit-a/0 in order')
  t.same(r.from('commit-a', 1), [[0, 'a1-1']], 'commit-a/1')
  t.same(r.from('commit-b', 0), [[0, 'b0-1'], [1, 'b0-2']], 'commit-b/0 in order')

  // Each partition ends with one COMMIT marker, which takes an offset of its own.
  t.same(await stableOffsets(admin, 'commit-a'), [4, 2], 'commit-a: records + one marker per partition')
  t.same(await stableOffsets(admin, 'commit-b'), [3], 'commit-b: records + one marker')

  // The same producer runs a second transaction with the same producer id.
  const tx2 = await begin(producer)
  await within('send', tx2.send({ topic: 'commit-b', messages: records(0, ['b0-3']) }))
  await within('commit', tx2.commit())
  await r.atLeast(7)
  t.same(r.from('commit-b', 0).slice(2), [[3, 'b0-3']], 'the second transaction follows the first marker')
})

t.test('an aborted transaction is invisible to read_committed and visible to read_uncommitted', async t => {
  const admin = await connectedAdmin(t)
  await createTopics(admin, [['abort-t', 2]])
  const producer = await txProducer(t, 'tx-abort')

  const aborted = await begin(producer)
  await within('send', aborted.send({ topic: 'abort-t', messages: [...records(0, ['x1', 'x2']), ...records(1, ['x3'])] }))
  await within('abort', aborted.abort())
  const committed = await begin(producer)
  await within('send', committed.send({ topic: 'abort-t', messages: records(0, ['y1', 'y2']) }))
  await within('commit', committed.commit())

  const [rc, ru] = await Promise.all([reader(t, ['abort-t']), reader(t, ['abort-t'], { readUncommitted: true })])
  await Promise.all([rc.atLeast(2), ru.atLeast(5)])
  await Promise.all([rc.settle(), ru.settle()])
  // x1 0, x2 1, ABORT 2, y1 3, y2 4, COMMIT 5 on partition 0; x3 0, ABORT 1 on partition 1.
  t.same(rc.from('abort-t', 0), [[3, 'y1'], [4, 'y2']], 'read_committed: only the committed records, their offsets past the aborted ones and the marker')
  t.same(rc.from('abort-t', 1), [], 'read_committed: nothing of the partition only the aborted transaction wrote')
  t.same(ru.from('abort-t', 0), [[0, 'x1'], [1, 'x2'], [3, 'y1'], [4, 'y2']], 'read_uncommitted: aborted records too, markers never')
  t.same(ru.from('abort-t', 1), [[0, 'x3']])
  t.same(await stableOffsets(admin, 'abort-t'), [6, 2], 'markers take offsets; nothing is left open')

  // The read_committed consumer moves past the aborted-only partition: a later record there arrives.
  const plain = await plainProducer(t)
  await within('plain send', plain.send({ topic: 'abort-t', messages: records(1, ['z1']) }))
  await rc.atLeast(3)
  t.same(rc.from('abort-t', 1), [[2, 'z1']], 'a plain record after the aborted one is read')
})

t.test('interleaved transactions aborted out of order are all hidden from read_committed', async t => {
  // Two producers' transactions overlap in one partition; the later one aborts first, so the
  // partition's aborted-transaction index lists them out of first-offset order. kafkajs walks
  // Fetch's aborted list assuming first-offset order, so the broker must send it sorted.
  const admin = await connectedAdmin(t)
  await createTopics(admin, [['interleave-t', 1]])
  const [early, late] = await Promise.all([txProducer(t, 'tx-early'), txProducer(t, 'tx-late')])
  const e = await begin(early)
  await within('send', e.send({ topic: 'interleave-t', messages: records(0, ['e1']) }))
  const l = await begin(late)
  await within('send', l.send({ topic: 'interleave-t', messages: records(0, ['l1']) }))
  await within('send', e.send({ topic: 'interleave-t', messages: records(0, ['e2']) }))
  await within('abort', l.abort())
  await within('abort', e.abort())
  const c = await begin(late)
  await within('send', c.send({ topic: 'interleave-t', messages: records(0, ['kept']) }))
  await within('commit', c.commit())

  const rc = await reader(t, ['interleave-t'])
  await rc.atLeast(1)
  await rc.settle()
  // e1 0, l1 1, e2 2, ABORT(late) 3, ABORT(early) 4, kept 5, COMMIT 6.
  t.same(rc.from('interleave-t', 0), [[5, 'kept']], 'only the committed record')
})

t.test('an open transaction holds read_committed consumers at the last stable offset until it commits', async t => {
  const admin = await connectedAdmin(t)
  await createTopics(admin, [['open-t', 1]])
  const plain = await plainProducer(t)
  const producer = await txProducer(t, 'tx-open')

  await within('plain send', plain.send({ topic: 'open-t', messages: records(0, ['before']) }))
  const tx = await begin(producer)
  await within('send', tx.send({ topic: 'open-t', messages: records(0, ['t1', 't2']) }))
  // A plain record after the transaction's first one is held back with it.
  await within('plain send', plain.send({ topic: 'open-t', messages: records(0, ['after']) }))

  t.same(await stableOffsets(admin, 'open-t'), [1], 'ListOffsets latest at read_committed: the first offset of the open transaction')
  const [rc, ru] = await Promise.all([reader(t, ['open-t']), reader(t, ['open-t'], { readUncommitted: true })])
  await ru.atLeast(4)
  t.same(ru.from('open-t', 0), [[0, 'before'], [1, 't1'], [2, 't2'], [3, 'after']], 'read_uncommitted reads the open transaction at once')
  await rc.atLeast(1)
  await rc.settle(8)
  await sleep(500)
  t.same(rc.from('open-t', 0), [[0, 'before']], 'read_committed stops before the open transaction')

  await within('commit', tx.commit())
  await rc.atLeast(4)
  await rc.settle()
  t.same(rc.from('open-t', 0), [[0, 'before'], [1, 't1'], [2, 't2'], [3, 'after']], 'after the commit: the transaction and the record behind it')
  t.same(await stableOffsets(admin, 'open-t'), [5], 'the stable offset reaches the end (past the marker)')
})

t.test('sendOffsets: the group\'s offsets change when the transaction commits, not before, and not on abort', async t => {
  const admin = await connectedAdmin(t)
  await createTopics(admin, [['ctp-in', 2], ['ctp-out', 1]])
  const plain = await plainProducer(t)
  await within('fill ctp-in', plain.send({ topic: 'ctp-in', messages: [...records(0, ['i0', 'i1', 'i2', 'i3', 'i4']), ...records(1, ['j0', 'j1'])] }))
  const producer = await txProducer(t, 'tx-ctp')
  const group = 'g-ctp'
  t.same(await committedOffsets(admin, group, 'ctp-in'), ['-1', '-1'], 'nothing committed at first')

  // Consume-transform-produce: outputs and the input offsets in one transaction.
  const tx1 = await begin(producer)
  await within('send outputs', tx1.send({ topic: 'ctp-out', messages: records(0, ['I0', 'I1', 'I2']) }))
  await within('sendOffsets', tx1.sendOffsets({ consumerGroupId: group, topics: [{ topic: 'ctp-in', partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '1' }] }] }))
  t.same(await committedOffsets(admin, group, 'ctp-in'), ['-1', '-1'], 'pending transactional offsets are not committed offsets')
  await within('commit', tx1.commit())
  t.same(await committedOffsets(admin, group, 'ctp-in'), ['3', '1'], 'the commit makes them the group\'s offsets')

  // A transaction with offsets only (no records): the coordinator still has to end it.
  const tx2 = await begin(producer)
  await within('sendOffsets', tx2.sendOffsets({ consumerGroupId: group, topics: [{ topic: 'ctp-in', partitions: [{ partition: 0, offset: '4' }] }] }))
  await within('commit', tx2.commit())
  t.same(await committedOffsets(admin, group, 'ctp-in'), ['4', '1'], 'an offsets-only transaction commits too')

  // Aborted: neither the outputs nor the offsets count.
  const tx3 = await begin(producer)
  await within('send outputs', tx3.send({ topic: 'ctp-out', messages: records(0, ['I4']) }))
  await within('sendOffsets', tx3.sendOffsets({ consumerGroupId: group, topics: [{ topic: 'ctp-in', partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '2' }] }] }))
  await within('abort', tx3.abort())
  t.same(await committedOffsets(admin, group, 'ctp-in'), ['4', '1'], 'an abort leaves the offsets as they were')

  const r = await reader(t, ['ctp-out'])
  await r.atLeast(3)
  await r.settle()
  t.same(r.from('ctp-out', 0).map(([, v]) => v), ['I0', 'I1', 'I2'], 'only the committed outputs are read')

  // A consumer of the group starts where the committed transaction left it.
  const consumer = client().consumer({ groupId: group, maxWaitTimeInMs: 100, sessionTimeout: 6000, rebalanceTimeout: 4000, heartbeatInterval: 500 })
  const seen: string[] = []
  t.teardown(() => consumer.disconnect())
  await within('group consumer connect', consumer.connect())
  await within('subscribe', consumer.subscribe({ topics: ['ctp-in'], fromBeginning: true }))
  await within('run', consumer.run({ autoCommit: false, eachMessage: async ({ message }) => void seen.push(message.value!.toString()) }))
  await waitFor('the group to resume from its offsets', () => seen.length >= 2)
  await sleep(300)
  t.same(seen.sort(), ['i4', 'j1'], 'the group resumes at offsets 4 and 1')
})

t.test('a second producer with the same transactional id fences the first', async t => {
  const admin = await connectedAdmin(t)
  await createTopics(admin, [['fence-t', 2]])
  const first = await txProducer(t, 'tx-fence')
  const tx1 = await begin(first)
  await within('first producer sends', tx1.send({ topic: 'fence-t', messages: records(0, ['old-1']) }))

  // InitProducerId for the same id bumps the epoch and aborts the first producer's open
  // transaction (kafkajs retries CONCURRENT_TRANSACTIONS while the abort completes).
  const second = await txProducer(t, 'tx-fence')
  const tx2 = await begin(second)

  const produceErr = await failure(t, 'the fenced producer sends to its partition (Produce)', tx1.send({ topic: 'fence-t', messages: records(0, ['old-2']) }))
  t.match(produceErr, /fenced|epoch/i, `Produce with the old epoch is refused: ${produceErr}`)
  const addErr = await failure(t, 'the fenced producer sends to a new partition (AddPartitionsToTxn)', tx1.send({ topic: 'fence-t', messages: records(1, ['old-3']) }))
  t.match(addErr, /fenced|epoch/i, `AddPartitionsToTxn with the old epoch is refused: ${addErr}`)
  const commitErr = await failure(t, 'the fenced producer commits (EndTxn)', tx1.commit())
  t.match(commitErr, /fenced|epoch/i, `EndTxn with the old epoch is refused: ${commitErr}`)

  await within('second producer sends', tx2.send({ topic: 'fence-t', messages: records(0, ['new-1']) }))
  await within('second producer commits', tx2.commit())

  const [rc, ru] = await Promise.all([reader(t, ['fence-t']), reader(t, ['fence-t'], { readUncommitted: true })])
  await Promise.all([rc.atLeast(1), ru.atLeast(2)])
  await Promise.all([rc.settle(), ru.settle()])
  t.same(rc.got.map(g => g.value), ['new-1'], 'read_committed: only the new producer\'s record')
  t.same(ru.got.map(g => g.value), ['old-1', 'new-1'], 'read_uncommitted: the fenced record was written, then aborted')
  t.same(await stableOffsets(admin, 'fence-t'), [4, 0], 'old-1, ABORT, new-1, COMMIT; nothing on partition 1')
})

t.test('the coordinator aborts a transaction that outlives its timeout', async t => {
  const admin = await connectedAdmin(t)
  await createTopics(admin, [['timeout-t', 1]])
  const producer = await txProducer(t, 'tx-timeout', 2000)
  const tx = await begin(producer)
  await within('send', tx.send({ topic: 'timeout-t', messages: records(0, ['late']) }))
  t.same(await stableOffsets(admin, 'timeout-t'), [0], 'held at the open transaction')

  // Timeout 2000 ms, expired transactions looked for every 300 ms: well within 8 s.
  await waitFor('the timed-out transaction to be aborted (stable offset past its marker)', async () => (await stableOffsets(admin, 'timeout-t'))[0] === 2, 8000)
  t.pass('the coordinator aborted it: late, ABORT')

  const err = await failure(t, 'commit after the timeout', tx.commit())
  t.match(err, /fenced|epoch/i, `the producer's epoch was bumped by the abort: ${err}`)

  const plain = await plainProducer(t)
  await within('plain send', plain.send({ topic: 'timeout-t', messages: records(0, ['next']) }))
  const rc = await reader(t, ['timeout-t'])
  await rc.atLeast(1)
  await rc.settle()
  t.same(rc.from('timeout-t', 0), [[2, 'next']], 'the timed-out record is never read committed')

  // The transactional id is usable again by a new producer.
  const again = await txProducer(t, 'tx-timeout')
  const tx2 = await begin(again)
  await within('send', tx2.send({ topic: 'timeout-t', messages: records(0, ['again']) }))
  await within('commit', tx2.commit())
  await rc.atLeast(2)
  t.same(rc.from('timeout-t', 0).map(([, v]) => v), ['next', 'again'])
})

t.test('ListTransactions and DescribeTransactions show a real transaction (raw protocol, v0/v1)', async t => {
  const admin = await connectedAdmin(t)
  await createTopics(admin, [['describe-t', 2]])
  const producer = await txProducer(t, 'tx-describe', 20_000)
  const conn = await ClientConnection.open('localhost', broker.port, 'txn-describe')
  t.teardown(() => conn.close())

  const tx = await begin(producer)
  const before = Date.now()
  await within('send', tx.send({ topic: 'describe-t', messages: [...records(0, ['d0']), ...records(1, ['d1'])] }))

  const listed = await conn.send(ApiKey.ListTransactions, 0, { stateFilters: [], producerIdFilters: [] })
  t.equal(listed.errorCode, ErrorCode.NONE)
  const mine = listed.transactionStates.find(s => s.transactionalId === 'tx-describe')
  t.equal(mine?.transactionState, 'Ongoing', 'ListTransactions lists the open transaction')
  const onlyDone = await conn.send(ApiKey.ListTransactions, 1, { stateFilters: ['CompleteCommit'], producerIdFilters: [], durationFilter: -1 })
  t.notOk(onlyDone.transactionStates.some(s => s.transactionalId === 'tx-describe'), 'a state filter excludes it')
  if (mine) {
    const byPid = await conn.send(ApiKey.ListTransactions, 0, { stateFilters: [], producerIdFilters: [mine.producerId] })
    t.same(byPid.transactionStates.map(s => s.transactionalId), ['tx-describe'], 'a producer id filter finds it alone')
  }

  const described = await conn.send(ApiKey.DescribeTransactions, 0, { transactionalIds: ['tx-describe', 'tx-none'] })
  const [d, none] = described.transactionStates
  t.equal(d.errorCode, ErrorCode.NONE)
  t.equal(d.transactionState, 'Ongoing')
  t.equal(d.transactionTimeoutMs, 20_000, 'the timeout the producer asked for')
  t.equal(d.producerId, mine?.producerId ?? d.producerId, 'the same producer id as ListTransactions')
  t.ok(d.producerEpoch >= 0)
  t.ok(d.transactionStartTimeMs >= before - 1000 && d.transactionStartTimeMs <= Date.now(), `started when the first partition was added (${d.transactionStartTimeMs})`)
  t.same(d.topics.map(x => [x.topic, [...x.partitions].sort()]), [['describe-t', [0, 1]]], 'both partitions are in the transaction')
  t.equal(none.errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND)

  await within('commit', tx.commit())
  // Kafka answers EndTxn once PrepareCommit is logged and writes the markers after; a moment later it is CompleteCommit.
  const state = async () => (await conn.send(ApiKey.DescribeTransactions, 0, { transactionalIds: ['tx-describe'] })).transactionStates[0]
  await waitFor('DescribeTransactions to show CompleteCommit', async () => (await state()).transactionState === 'CompleteCommit', 5000)
  t.same((await state()).topics, [], 'no partitions left in it')
})

t.test('transactions survive a broker restart', async t => {
  let admin = client().admin()
  await within('admin connect', admin.connect())
  await createTopics(admin, [['restart-tx', 1], ['restart-open', 1], ['restart-in', 1]])

  const p = client().producer({ transactionalId: 'tx-restart', idempotent: true, maxInFlightRequests: 1, retry: { retries: 6, initialRetryTime: 50, maxRetryTime: 500 } })
  const open = client().producer({ transactionalId: 'tx-restart-open', idempotent: true, maxInFlightRequests: 1, retry: { retries: 6, initialRetryTime: 50, maxRetryTime: 500 } })
  try {
    await within('connect', Promise.all([p.connect(), open.connect()]))
    const tx1 = await begin(p)
    await within('send', tx1.send({ topic: 'restart-tx', messages: records(0, ['r1', 'r2']) }))
    await within('sendOffsets', tx1.sendOffsets({ consumerGroupId: 'g-restart-tx', topics: [{ topic: 'restart-in', partitions: [{ partition: 0, offset: '7' }] }] }))
    await within('commit', tx1.commit())
    const tx2 = await begin(p)
    await within('send', tx2.send({ topic: 'restart-tx', messages: records(0, ['rx']) }))
    await within('abort', tx2.abort())
    // Left open across the restart (kafkajs's disconnect does not end it).
    const txOpen = await begin(open)
    await within('send', txOpen.send({ topic: 'restart-open', messages: records(0, ['open-1']) }))
  } finally {
    await Promise.allSettled([p.disconnect(), open.disconnect(), admin.disconnect()])
  }

  await broker.stop()
  broker = await startTempBroker(OVERRIDES, broker.dataDir)

  admin = await connectedAdmin(t)
  t.same(await committedOffsets(admin, 'g-restart-tx', 'restart-in'), ['7'], 'offsets committed by a transaction survived')
  t.same(await stableOffsets(admin, 'restart-tx'), [5], 'r1 r2 COMMIT rx ABORT: nothing open')
  t.same(await stableOffsets(admin, 'restart-open'), [0], 'the transaction left open still holds the stable offset after the restart')

  const [rc, ru] = await Promise.all([reader(t, ['restart-tx', 'restart-open']), reader(t, ['restart-tx'], { readUncommitted: true })])
  await Promise.all([rc.atLeast(2), ru.atLeast(3)])
  await Promise.all([rc.settle(), ru.settle()])
  t.same(rc.from('restart-tx', 0), [[0, 'r1'], [1, 'r2']], 'read_committed after the restart: the committed records, not the aborted one')
  t.same(rc.from('restart-open', 0), [], 'nor the open transaction')
  t.same(ru.from('restart-tx', 0), [[0, 'r1'], [1, 'r2'], [3, 'rx']], 'read_uncommitted still sees the aborted record')

  // A new producer for the open transaction's id: its InitProducerId aborts the reloaded transaction.
  const open2 = await txProducer(t, 'tx-restart-open')
  const txOpen2 = await begin(open2)
  await within('send', txOpen2.send({ topic: 'restart-open', messages: records(0, ['open-2']) }))
  await within('commit', txOpen2.commit())
  // And one for the other id, which picks up where the reloaded state left it.
  const p2 = await txProducer(t, 'tx-restart')
  const tx3 = await begin(p2)
  await within('send', tx3.send({ topic: 'restart-tx', messages: records(0, ['r3']) }))
  await within('commit', tx3.commit())

  await rc.atLeast(4)
  await rc.settle()
  t.same(rc.from('restart-open', 0), [[2, 'open-2']], 'open-1 was aborted by the new producer\'s InitProducerId; open-2 is committed')
  t.same(rc.from('restart-tx', 0), [[0, 'r1'], [1, 'r2'], [5, 'r3']], 'a new transaction after the restart commits')
  t.same(await stableOffsets(admin, 'restart-open'), [4], 'open-1 ABORT open-2 COMMIT')
})

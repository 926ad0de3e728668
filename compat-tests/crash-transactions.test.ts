// Transactions survive a hard kill of the broker process, as Kafka guarantees: a committed
// transaction (records on two partitions and a group's offsets) stays committed, an aborted one
// stays aborted, and one left open at the kill is still open after the restart (holding the last
// stable offset at its first record and its offsets pending) until its timeout, counted from when
// it began before the kill, has the coordinator abort it with a bumped epoch. The broker runs as a
// real child process (`node --import tsx src/main.ts`) killed with SIGKILL, then started again on
// the same data directory. Transactions are driven with kafkajs; what the broker holds is checked
// with Millrace's raw protocol client (ListOffsets and Fetch at both isolation levels,
// DescribeTransactions, OffsetFetch with require_stable, EndTxn), and what a consumer sees with a
// kafkajs read_committed consumer.
//
// B and C interleave: C begins first, B writes inside it, C aborts, B stays open, so that C's
// ABORT marker lies past B's first record (whatever rebuilds the partitions' transaction state
// after the kill must not let C's marker end B). Offsets of crash-txn (both partitions alike):
//   before the kill: 0 a-1, 1 a-2, 2 COMMIT(A), 3 c (C), 4 b (B, open), 5 ABORT(C)
//   after B's timeout: 6 ABORT(B); then tA's new transaction: 7 a-3, 8 COMMIT(A')
// (Aborts out of first-offset order, which kafkajs can only read because Millrace sends the
// aborted list sorted, are covered in transactions-kafkajs.test.ts.)
import t, { type Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Producer, Transaction } from 'kafkajs'
import { ClientConnection } from '../src/client/index.js'
import {
  ApiKey,
  ControlRecordType,
  ErrorCode,
  decodeBatchRecordsSync,
  decodeControlRecordKey,
  isControlBatch,
  isTransactional,
  splitBatches,
  type FetchResponse,
} from '../src/wire/index.js'
import { kafkaClient, runBrokerProcess, type BrokerProcess, within } from './helpers.js'

const TOPIC = 'crash-txn'
const INPUT = 'crash-txn-in'
const GROUP = 'crash-txn-group'
const PARTITIONS = [0, 1]
/**
 * B's transaction timeout: the coordinator must abort B this long after B began (before the kill),
 * so the restart has to be over before then for B to be seen open. The restart takes ~1.3 s alone
 * and up to ~2.3 s with other test files running beside it (3 s left 0.6 s to spare there).
 */
const B_TIMEOUT_MS = 5000
/** The longest any one step may take. */
const STEP_MS = 15_000

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = STEP_MS): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await cond()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(50)
  }
}

/** Starts the broker on the data dir and waits for its port. */
async function start(t: Test, args: string[]): Promise<{ broker: BrokerProcess; port: number }> {
  const broker = runBrokerProcess(args)
  t.teardown(() => void broker.child.kill('SIGKILL'))
  const [, port] = await broker.waitFor(/ready on PLAINTEXT:\/\/localhost:(\d+)/, STEP_MS)
  return { broker, port: Number(port) }
}

/** A raw connection whose every request is bounded. */
interface Raw {
  conn: ClientConnection
  describe: (id: string) => Promise<{ errorCode: number; transactionState: string; producerId: number; producerEpoch: number; transactionStartTimeMs: number; topics: Array<{ topic: string; partitions: number[] }> }>
  /** ListOffsets v5, latest, per partition of TOPIC: isolation 1 answers the last stable offset, 0 the high watermark. */
  latest: (isolation: 0 | 1) => Promise<number[]>
  fetch: (isolation: 0 | 1) => Promise<FetchedPartition[]>
  /** OffsetFetch v7 of GROUP for INPUT: [offset, errorCode] per partition. */
  groupOffsets: (requireStable: boolean) => Promise<Array<[number, number]>>
}

interface FetchedPartition {
  errorCode: number
  hw: number
  lso: number
  aborted: Array<{ producerId: number; firstOffset: number }>
  /** Every data record returned, [offset, value]: read_uncommitted's view. */
  all: Array<[number, string]>
  /** What a read_committed consumer keeps: Kafka's consumer algorithm over the aborted-transactions list. */
  committed: Array<[number, string]>
}

async function raw(port: number): Promise<Raw> {
  const conn = await within('raw connect', ClientConnection.open('localhost', port, 'crash-txn-raw'))
  const send: ClientConnection['send'] = (k, v, body) => within(`request (api key ${k})`, conn.send(k, v, body))
  return {
    conn,
    describe: async id => {
      const s = (await send(ApiKey.DescribeTransactions, 0, { transactionalIds: [id] })).transactionStates[0]!
      return { ...s, topics: s.topics.map(x => ({ topic: x.topic, partitions: [...x.partitions].sort((a, b) => a - b) })).sort((a, b) => a.topic.localeCompare(b.topic)) }
    },
    latest: async isolation => {
      const res = await send(ApiKey.ListOffsets, 5, {
        replicaId: -1,
        isolationLevel: isolation,
        topics: [{ name: TOPIC, partitions: PARTITIONS.map(p => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1 })) }],
      })
      const ps = res.topics[0]!.partitions
      return PARTITIONS.map(i => {
        const p = ps.find(x => x.partitionIndex === i)!
        if (p.errorCode !== 0) throw new Error(`ListOffsets ${TOPIC}-${i} isolation ${isolation}: error ${p.errorCode}`)
        return Number(p.offset)
      })
    },
    fetch: async isolation => {
      const res: FetchResponse = await send(ApiKey.Fetch, 11, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: isolation,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: TOPIC, partitions: PARTITIONS.map(partition => ({ partition, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 })) }],
        forgottenTopicsData: [],
        rackId: '',
      })
      const ps = res.responses[0]!.partitions
      return PARTITIONS.map(i => {
        const p = ps.find(x => x.partitionIndex === i)!
        const aborted = (p.abortedTransactions ?? []).map(a => ({ producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) }))
        const all: Array<[number, string]> = []
        const committed: Array<[number, string]> = []
        const pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset)
        const abortedPids = new Set<number>()
        if (p.records) {
          for (const s of splitBatches(p.records)) {
            const h = s.header
            while (pending.length > 0 && pending[0]!.firstOffset <= h.baseOffset + h.lastOffsetDelta) abortedPids.add(pending.shift()!.producerId)
            const recs = decodeBatchRecordsSync(p.records, s)
            if (isControlBatch(h.attributes)) {
              if (decodeControlRecordKey(recs[0]!.key).type === ControlRecordType.Abort) abortedPids.delete(h.producerId)
              continue
            }
            const dropped = isTransactional(h.attributes) && abortedPids.has(h.producerId)
            for (const r of recs) {
              const rec: [number, string] = [r.offset, r.value?.toString() ?? '']
              all.push(rec)
              if (!dropped) committed.push(rec)
            }
          }
        }
        return { errorCode: p.errorCode, hw: Number(p.highWatermark), lso: Number(p.lastStableOffset), aborted, all, committed }
      })
    },
    groupOffsets: async requireStable => {
      const res = await send(ApiKey.OffsetFetch, 7, { groupId: GROUP, topics: [{ name: INPUT, partitionIndexes: PARTITIONS }], requireStable })
      if (res.errorCode) throw new Error(`OffsetFetch ${GROUP}: error ${res.errorCode}`)
      const ps = res.topics![0]!.partitions!
      return PARTITIONS.map(i => {
        const p = ps.find(x => x.partitionIndex === i)!
        return [Number(p.committedOffset), p.errorCode ?? 0]
      })
    },
  }
}

t.test('transactions survive SIGKILL of the broker: committed stays committed, aborted stays aborted, open is aborted at its timeout', async t => {
  const began = Date.now()
  const dir = mkdtempSync(join(tmpdir(), 'millrace-crash-txn-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const overrides = [
    `log.dirs=${join(dir, 'data')}`,
    'listeners=PLAINTEXT://localhost:0',
    'transaction.state.log.num.partitions=2',
    'offsets.topic.num.partitions=2',
    'group.initial.rebalance.delay.ms=0',
    'transaction.abort.timed.out.transaction.cleanup.interval.ms=200',
  ]
  const args = overrides.flatMap(o => ['--override', o])

  // ------------------------------------------------------------------ before the kill
  const first = await start(t, args)
  const bootstrap1 = `localhost:${first.port}`
  const admin = kafkaClient(bootstrap1, 'crash-txn').admin()
  await within('admin connect', admin.connect())
  await within('createTopics', admin.createTopics({ topics: [TOPIC, INPUT].map(topic => ({ topic, numPartitions: 2 })), waitForLeaders: true }))

  const producers: Producer[] = []
  const txProducer = async (bootstrap: string, transactionalId: string, transactionTimeout = 60_000): Promise<Producer> => {
    const p = kafkaClient(bootstrap, 'crash-txn').producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout,
      retry: { retries: 6, initialRetryTime: 50, maxRetryTime: 500 },
    })
    producers.push(p)
    await within(`producer ${transactionalId} connect`, p.connect())
    return p
  }
  const disconnectAll = () => within('disconnect the clients', Promise.allSettled(producers.splice(0).map(p => p.disconnect())), 5000)
  t.teardown(() => disconnectAll().catch(() => {}))
  const begin = (p: Producer): Promise<Transaction> => within('producer.transaction()', p.transaction())
  const both = (prefix: string) => PARTITIONS.map(partition => ({ partition, value: `${prefix}${partition}` }))
  const offsets = (o0: string, o1: string) => ({ consumerGroupId: GROUP, topics: [{ topic: INPUT, partitions: [{ partition: 0, offset: o0 }, { partition: 1, offset: o1 }] }] })

  // Connected up front, so that little happens between B's start and the kill.
  const [pA, pB, pC] = await Promise.all([txProducer(bootstrap1, 'tA'), txProducer(bootstrap1, 'tB', B_TIMEOUT_MS), txProducer(bootstrap1, 'tC')])

  // A: two records on each partition and the group's offsets, committed.
  const txA = await begin(pA)
  await within('A send', txA.send({ topic: TOPIC, messages: [...both('a-1/'), ...both('a-2/')] }))
  await within('A sendOffsets', txA.sendOffsets(offsets('5', '2')))
  await within('A commit', txA.commit())

  // C: one record on each partition, then (after B's) other offsets again, aborted.
  const txC = await begin(pC)
  await within('C send', txC.send({ topic: TOPIC, messages: both('c/') }))

  // B: one record on each partition and other offsets, left open.
  const txB = await begin(pB)
  const bSent = await within('B send', txB.send({ topic: TOPIC, messages: both('b/') }))
  await within('B sendOffsets', txB.sendOffsets(offsets('50', '20')))
  const bFirst = PARTITIONS.map(p => Number(bSent.find(m => m.partition === p)?.baseOffset))
  t.same(bFirst, [4, 4], "B's records are at offset 4 (a-1 a-2 COMMIT c b)")

  await within('C sendOffsets', txC.sendOffsets(offsets('500', '200')))
  await within('C abort', txC.abort())

  const r1 = await raw(first.port)
  const [dA, dB, dC] = [await r1.describe('tA'), await r1.describe('tB'), await r1.describe('tC')]
  const lsoBefore = await r1.latest(1)
  r1.conn.close()
  t.same(lsoBefore, [4, 4], "before the kill: the last stable offset is B's first offset")
  t.match(dA, { errorCode: 0, transactionState: 'CompleteCommit' }, 'before the kill: A committed')
  t.match(dB, { errorCode: 0, transactionState: 'Ongoing', transactionTimeoutMs: B_TIMEOUT_MS }, 'before the kill: B open, with its timeout')
  t.match(dC, { errorCode: 0, transactionState: 'CompleteAbort' }, 'before the kill: C aborted')
  const bDeadline = dB.transactionStartTimeMs + B_TIMEOUT_MS

  first.broker.child.kill('SIGKILL')
  const exit = await within('the killed broker to exit', first.broker.exited)
  t.equal(exit, null, 'the broker died of the signal')
  await disconnectAll()
  await within('admin disconnect', admin.disconnect(), 5000).catch(() => {})
  const killedAt = Date.now()

  // ------------------------------------------------------------------ after the restart, B still open
  const second = await start(t, args)
  const bootstrap2 = `localhost:${second.port}`
  const r = await raw(second.port)
  t.teardown(() => r.conn.close())
  const restartedAt = Date.now()
  t.comment(`B began ${killedAt - dB.transactionStartTimeMs} ms before the kill; the restart took ${restartedAt - killedAt} ms; B's timeout is ${bDeadline - restartedAt} ms away`)
  // The checks of B while open need it to be before B's timeout (a timing condition of the test, not the broker).
  t.ok(restartedAt < bDeadline - 200, `the broker is back before B's timeout (${bDeadline - restartedAt} ms left)`)

  const openChecks = async (when: string): Promise<void> => {
    t.match(await r.describe('tB'), { errorCode: 0, transactionState: 'Ongoing', producerId: dB.producerId, producerEpoch: dB.producerEpoch, transactionStartTimeMs: dB.transactionStartTimeMs }, `${when}: B is still Ongoing, same producer, epoch and start time`)
    t.same(await r.latest(1), [4, 4], `${when}: ListOffsets at read_committed is held at B's first offset (4) on both partitions`)
  }
  await openChecks('after the restart')
  t.same(await r.latest(0), [6, 6], 'ListOffsets at read_uncommitted: the high watermark, past B and C (a-1 a-2 COMMIT c b ABORT)')
  t.match(await r.describe('tA'), { errorCode: 0, transactionState: 'CompleteCommit', producerId: dA.producerId, producerEpoch: dA.producerEpoch, topics: [] }, 'A is CompleteCommit after the restart')
  t.match(await r.describe('tC'), { errorCode: 0, transactionState: 'CompleteAbort', producerId: dC.producerId, producerEpoch: dC.producerEpoch, topics: [] }, 'C is CompleteAbort after the restart')
  const bTopics = (await r.describe('tB')).topics
  t.same(bTopics.find(x => x.topic === TOPIC)?.partitions, PARTITIONS, "B's partitions of the topic were reloaded")
  t.ok(bTopics.some(x => x.topic === '__consumer_offsets'), `and its __consumer_offsets partition (from sendOffsets): ${JSON.stringify(bTopics)}`)

  const heldFetch = await r.fetch(1)
  for (const p of PARTITIONS) {
    const f = heldFetch[p]!
    t.match(f, { errorCode: 0, lso: 4, hw: 6 }, `Fetch read_committed, partition ${p}: last stable offset 4, high watermark 6`)
    t.same(f.all, [[0, `a-1/${p}`], [1, `a-2/${p}`], [3, `c/${p}`]], `partition ${p}: a read_committed fetch returns nothing from the last stable offset on`)
    t.same(f.aborted, [{ producerId: dC.producerId, firstOffset: 3 }], `partition ${p}: and names C's transaction as aborted`)
    t.same(f.committed, [[0, `a-1/${p}`], [1, `a-2/${p}`]], `partition ${p}: read_committed keeps A's records only`)
  }
  const uncommitted = await r.fetch(0)
  for (const p of PARTITIONS) {
    t.same(uncommitted[p]!.all, [[0, `a-1/${p}`], [1, `a-2/${p}`], [3, `c/${p}`], [4, `b/${p}`]], `partition ${p}: read_uncommitted shows B's and C's records survived the kill`)
  }
  t.same(await r.groupOffsets(false), [[5, 0], [2, 0]], "the group's committed offsets are A's while B is open")
  t.same(await r.groupOffsets(true), [[-1, ErrorCode.UNSTABLE_OFFSET_COMMIT], [-1, ErrorCode.UNSTABLE_OFFSET_COMMIT]], "with require_stable: UNSTABLE_OFFSET_COMMIT, B's offsets are pending")

  // Until B's timeout the coordinator leaves B alone (the restart is no reason to abort it).
  let polls = 0
  const early: string[] = []
  while (Date.now() < bDeadline - 250) {
    const [d, lso] = [await r.describe('tB'), await r.latest(1)]
    polls++
    if (d.transactionState !== 'Ongoing' || lso[0] !== 4 || lso[1] !== 4) early.push(`${bDeadline - Date.now()} ms before B's timeout: ${d.transactionState}, last stable offsets ${lso}`)
    await sleep(100)
  }
  t.same(early, [], `B stays open and holds the last stable offset until its timeout (${polls} polls)`)

  // ------------------------------------------------------------------ B's timeout: aborted with a bumped epoch
  let dB2 = await r.describe('tB')
  await waitFor('the coordinator to abort B after its timeout', async () => (dB2 = await r.describe('tB')).transactionState === 'CompleteAbort', Math.min(STEP_MS, Math.max(1000, bDeadline + 8000 - Date.now())))
  const abortedAfter = Date.now() - bDeadline
  t.ok(abortedAfter < 5000, `B was aborted within a few seconds after its timeout (seen ${abortedAfter} ms after it)`)
  t.match(dB2, { errorCode: 0, transactionState: 'CompleteAbort', producerId: dB.producerId, producerEpoch: dB.producerEpoch + 1, topics: [] }, "DescribeTransactions tB: CompleteAbort, same producer id, the epoch bumped (B's producer is fenced)")
  t.same(await r.latest(1), [7, 7], 'the last stable offset moved past the ABORT marker of B')
  t.same(await r.latest(0), [7, 7], 'and is the high watermark')

  const afterAbort = await r.fetch(1)
  for (const p of PARTITIONS) {
    const f = afterAbort[p]!
    t.match(f, { errorCode: 0, lso: 7, hw: 7 }, `partition ${p}: last stable offset = high watermark = 7`)
    t.same(
      [...f.aborted].sort((a, b) => a.firstOffset - b.firstOffset),
      [{ producerId: dC.producerId, firstOffset: 3 }, { producerId: dB.producerId, firstOffset: 4 }],
      `partition ${p}: the read_committed fetch names B's and C's transactions as aborted`,
    )
    t.same(f.all.map(([o]) => o), [0, 1, 3, 4], `partition ${p}: it returns every data record below the last stable offset`)
    t.same(f.committed, [[0, `a-1/${p}`], [1, `a-2/${p}`]], `partition ${p}: read_committed keeps exactly A's records`)
  }
  t.same(await r.groupOffsets(true), [[5, 0], [2, 0]], "the group's offsets are A's, stable (B's pending offsets were aborted)")

  const fenced = await within('EndTxn', r.conn.send(ApiKey.EndTxn, 3, { transactionalId: 'tB', producerId: dB.producerId, producerEpoch: dB.producerEpoch, committed: true }))
  t.equal(fenced.errorCode, ErrorCode.PRODUCER_FENCED, "B's producer committing at its old epoch: PRODUCER_FENCED")

  // ------------------------------------------------------------------ a kafkajs read_committed consumer
  const consumer = kafkaClient(bootstrap2, 'crash-txn').consumer({
    groupId: 'crash-txn-reader',
    maxWaitTimeInMs: 100,
    sessionTimeout: 6000,
    rebalanceTimeout: 4000,
    heartbeatInterval: 500,
    retry: { retries: 6, initialRetryTime: 50, maxRetryTime: 500 },
  })
  const got: Array<[number, number, string]> = []
  let fetches = 0
  consumer.on(consumer.events.FETCH, () => void fetches++)
  t.teardown(() => within('consumer disconnect', consumer.disconnect(), 5000).catch(() => {}))
  await within('consumer connect', consumer.connect())
  await within('consumer subscribe', consumer.subscribe({ topics: [TOPIC], fromBeginning: true }))
  await within('consumer run', consumer.run({ eachMessage: async ({ partition, message }) => void got.push([partition, Number(message.offset), message.value?.toString() ?? '']) }))
  const gotSorted = () => [...got].sort((a, b) => a[0] - b[0] || a[1] - b[1])
  await waitFor(`the consumer to read A's 4 records (has ${JSON.stringify(got)})`, () => got.length >= 4)
  const settled = fetches + 4
  await waitFor('4 more fetches', () => fetches >= settled)
  t.same(gotSorted(), [[0, 0, 'a-1/0'], [0, 1, 'a-2/0'], [1, 0, 'a-1/1'], [1, 1, 'a-2/1']], "the kafkajs read_committed consumer reads exactly A's records")

  // ------------------------------------------------------------------ tA again, after the restart
  const pA2 = await txProducer(bootstrap2, 'tA')
  const txA2 = await begin(pA2)
  await within('A2 send', txA2.send({ topic: TOPIC, messages: both('a-3/') }))
  await within('A2 sendOffsets', txA2.sendOffsets(offsets('6', '3')))
  await within('A2 commit', txA2.commit())
  await waitFor('DescribeTransactions tA: CompleteCommit', async () => (await r.describe('tA')).transactionState === 'CompleteCommit', 5000)
  t.match(await r.describe('tA'), { transactionState: 'CompleteCommit', producerId: dA.producerId, producerEpoch: dA.producerEpoch + 1 }, 'tA initialised again: the same producer id at the next epoch, committed')
  await waitFor(`the consumer to read A2's records (has ${JSON.stringify(got)})`, () => got.length >= 6)
  const settled2 = fetches + 4
  await waitFor('4 more fetches', () => fetches >= settled2)
  t.same(
    gotSorted(),
    [[0, 0, 'a-1/0'], [0, 1, 'a-2/0'], [0, 7, 'a-3/0'], [1, 0, 'a-1/1'], [1, 1, 'a-2/1'], [1, 7, 'a-3/1']],
    "the new transaction of tA is read, after B's ABORT marker; nothing of B or C ever",
  )
  t.same(await r.latest(1), [9, 9], 'a-3 and its COMMIT marker: stable to the end')
  t.same(await r.groupOffsets(true), [[6, 0], [3, 0]], "the group's offsets are the new transaction's")

  await disconnectAll()
  await within('consumer disconnect', consumer.disconnect(), 5000)
  second.broker.child.kill('SIGTERM')
  t.equal(await within('broker exit', second.broker.exited), 0, 'the broker stops cleanly')
  t.comment(`total ${Date.now() - began} ms`)
})

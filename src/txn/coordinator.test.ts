// The transaction coordinator with fake time, an in-memory __transaction_state and a fake marker
// writer: InitProducerId and epochs, the Ongoing → Prepare → Complete state machine, marker
// retries, failed state writes, timeouts, fencing, reload, expiry, ListTransactions/Describe.

import t from 'tap'
import { createBrokerConfig } from '../config/index.js'
import { MetadataImage } from '../kraft/index.js'
import { FakeTime, partitionForKey, settle, type Logger } from '../util/index.js'
import { MemoryLog } from '../testing/memory-log.js'
import { buildBatch, ErrorCode, randomUuid, type TransactionLogValue } from '../wire/index.js'
import { decodeTxnKey, decodeTxnValue, ProducerIdManager, TRANSACTION_STATE_TOPIC, TransactionCoordinator, TxnState, type TopicPartition, type TxnMarkerRequest } from './index.js'
import { encodeTxnKey, encodeTxnValue } from './records.js'

// ---------------------------------------------------------------------------------------------
// Harness

const TXN_PARTITIONS = 2
const LEADER_EPOCH = 5
const T0 = 1_700_000_000_000

class FakeLog extends MemoryLog {
  /** Every record, decoded: the transactional id and its value (null for a tombstone). */
  records(): Array<{ id: string; value: TransactionLogValue | null }> {
    return this.allRecords().map(r => ({ id: decodeTxnKey(r.key!), value: r.value ? decodeTxnValue(r.value) : null }))
  }
}

class FakeReplicas {
  readonly logs = new Map<number, FakeLog>()
  leaderEpoch = LEADER_EPOCH
  /** Error codes the next appends answer, one each. */
  readonly failNext: number[] = []

  logOf(p: number): FakeLog {
    let l = this.logs.get(p)
    if (!l) this.logs.set(p, (l = new FakeLog()))
    return l
  }

  /** The records of one transactional id, in log order. */
  recordsOf(id: string): Array<TransactionLogValue | null> {
    return this.logOf(partitionForKey(id, TXN_PARTITIONS)).records().filter(r => r.id === id).map(r => r.value)
  }

  statesOf(id: string): number[] {
    return this.recordsOf(id).map(v => (v ? v.transactionStatus : -1))
  }

  getPartition(topic: string, p: number) {
    if (topic !== TRANSACTION_STATE_TOPIC) return undefined
    const log = this.logOf(p)
    const leaderEpoch = this.leaderEpoch
    return { isLeader: true, leaderEpoch, logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset, log }
  }

  async appendRecords(_acks: number, _timeoutMs: number, entries: Array<{ topic: string; partition: number; records: Buffer | null }>) {
    return entries.map(e => {
      const fail = this.failNext.shift()
      if (fail !== undefined) return { errorCode: fail, errorMessage: 'injected' }
      this.logOf(e.partition).append(e.records!)
      return { errorCode: ErrorCode.NONE, errorMessage: null }
    })
  }

  async ready(): Promise<void> {}

  /** Writes a record straight into the log (as another coordinator would have), before a load. */
  async put(id: string, value: TransactionLogValue | null): Promise<void> {
    const batch = await buildBatch({ records: [{ key: encodeTxnKey(id), value: value && encodeTxnValue(value), timestamp: T0 }] })
    this.logOf(partitionForKey(id, TXN_PARTITIONS)).append(batch)
  }
}

class FakeMarkers {
  readonly requests: Array<TxnMarkerRequest & { statesAtWrite: number[] }> = []
  /** `topic-partition` → [error code, how many more times to answer it]. */
  readonly failures = new Map<string, [number, number]>()
  watched = ''
  constructor(private readonly replicas: FakeReplicas) {}

  async writeMarkers(m: TxnMarkerRequest) {
    this.requests.push({ ...m, partitions: [...m.partitions], statesAtWrite: this.watched ? this.replicas.statesOf(this.watched) : [] })
    return m.partitions.map(tp => {
      const f = this.failures.get(`${tp.topic}-${tp.partition}`)
      if (f && f[1] > 0) {
        f[1]--
        return { ...tp, errorCode: f[0] }
      }
      return { ...tp, errorCode: ErrorCode.NONE }
    })
  }
}

function addTopic(image: MetadataImage, name: string, leaders: number[]): void {
  const topicId = randomUuid()
  image.apply({ type: 'TopicRecord', data: { name, topicId } } as never, image.lastOffset + 1)
  leaders.forEach((leader, p) =>
    image.apply(
      { type: 'PartitionRecord', data: { partitionId: p, topicId, replicas: [leader], isr: [leader], removingReplicas: [], addingReplicas: [], leader, leaderEpoch: LEADER_EPOCH, partitionEpoch: 0 } } as never,
      image.lastOffset + 1,
    ),
  )
}

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => quiet }

async function harness(opts: { overrides?: Record<string, string>; txnLeaders?: number[]; replicas?: FakeReplicas } = {}) {
  const time = new FakeTime(T0)
  const image = new MetadataImage()
  const replicas = opts.replicas ?? new FakeReplicas()
  const markers = new FakeMarkers(replicas)
  addTopic(image, 'data', [1, 1, 1, 1])
  addTopic(image, TRANSACTION_STATE_TOPIC, opts.txnLeaders ?? [1, 1])
  const config = createBrokerConfig({
    'transaction.state.log.num.partitions': String(TXN_PARTITIONS),
    'transaction.max.timeout.ms': '900000',
    'transaction.abort.timed.out.transaction.cleanup.interval.ms': '1000',
    'transactional.id.expiration.ms': '60000',
    'transaction.remove.expired.transaction.cleanup.interval.ms': '3600000',
    ...opts.overrides,
  })
  let nextPid = 1000
  const producerIds = new ProducerIdManager(async () => ({ first: (nextPid += 10) - 10, size: 10 }))
  const controller = { createTopics: async () => [] }
  const make = () => new TransactionCoordinator({ nodeId: 1, image, controller, replicas, markers, producerIds, config: () => config, log: quiet, time })
  const h = {
    c: make(),
    time,
    image,
    replicas,
    markers,
    async reopen() {
      h.c.shutdown()
      h.c = make()
      await h.c.loadAll()
    },
  }
  await h.c.loadAll()
  return h
}
type Harness = Awaited<ReturnType<typeof harness>>

/** Lets the coordinator's background work run until `cond` holds. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 50 && !cond(); i++) await settle()
  if (!cond()) throw new Error(`timed out waiting for ${what}`)
}

const tp = (partition: number, topic = 'data'): TopicPartition => ({ topic, partition })

/** InitProducerId then AddPartitionsToTxn: an Ongoing transaction. */
async function begin(h: Harness, id: string, partitions: TopicPartition[], timeoutMs = 60_000) {
  const init = await h.c.initProducerId(id, timeoutMs, null)
  if (init.errorCode !== ErrorCode.NONE) throw new Error(`InitProducerId ${id}: ${init.errorCode}`)
  const code = await h.c.addPartitions(id, init.producerId, init.producerEpoch, partitions)
  if (code !== ErrorCode.NONE) throw new Error(`AddPartitionsToTxn ${id}: ${code}`)
  return init
}

const stateOf = (h: Harness, id: string) => h.c.transaction(id)?.state

// ---------------------------------------------------------------------------------------------

t.test('InitProducerId: epochs, validation, NOT_COORDINATOR and the record written', async t => {
  const h = await harness({ txnLeaders: [1, 2] })
  const id = ['t0', 't1', 't2', 't3', 't4', 't5'].find(x => h.c.partitionFor(x) === 0)!
  const elsewhere = ['t0', 't1', 't2', 't3', 't4', 't5'].find(x => h.c.partitionFor(x) === 1)!

  const first = await h.c.initProducerId(id, 30_000, null)
  t.same(first, { errorCode: ErrorCode.NONE, producerId: first.producerId, producerEpoch: 0 }, 'a new id gets epoch 0')
  t.ok(first.producerId >= 1000, 'the producer id comes from the manager')
  const again = await h.c.initProducerId(id, 30_000, null)
  t.same(again, { errorCode: ErrorCode.NONE, producerId: first.producerId, producerEpoch: 1 }, 'same producer id, epoch 1')

  const records = h.replicas.recordsOf(id)
  t.equal(records.length, 2, 'one record per InitProducerId')
  t.match(records[1], { producerId: first.producerId, producerEpoch: 1, transactionTimeoutMs: 30_000, transactionStatus: TxnState.Empty, transactionStartTimestampMs: -1, transactionLastUpdateTimestampMs: T0 })
  t.same(records[1]!.transactionPartitions ?? [], [], 'no partitions')

  for (const ms of [0, -1, 900_001]) t.equal((await h.c.initProducerId(id, ms, null)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT, `timeout ${ms}`)
  t.equal((await h.c.initProducerId(id, 900_000, null)).errorCode, ErrorCode.NONE, 'transaction.max.timeout.ms itself is allowed')
  t.same(await h.c.initProducerId('', 30_000, null), { errorCode: ErrorCode.INVALID_REQUEST, producerId: -1, producerEpoch: -1 }, 'empty transactional id')
  t.equal((await h.c.initProducerId(elsewhere, 30_000, null)).errorCode, ErrorCode.NOT_COORDINATOR, 'partition led by another node')
  t.equal(h.c.isLoaded(1), false)
  t.equal(h.c.describe(elsewhere).errorCode, ErrorCode.NOT_COORDINATOR)
  h.c.shutdown()
})

t.test('InitProducerId with an expected epoch: retry returns the same epoch, a fenced producer gets PRODUCER_FENCED', async t => {
  const h = await harness()
  const a = await h.c.initProducerId('kip360', 30_000, null)
  const bumped = await h.c.initProducerId('kip360', 30_000, { producerId: a.producerId, producerEpoch: 0 })
  t.same(bumped, { errorCode: ErrorCode.NONE, producerId: a.producerId, producerEpoch: 1 }, 'bump from the current epoch')
  const retried = await h.c.initProducerId('kip360', 30_000, { producerId: a.producerId, producerEpoch: 0 })
  t.same(retried, { errorCode: ErrorCode.NONE, producerId: a.producerId, producerEpoch: 1 }, 'a retry is not bumped again')
  t.equal((await h.c.initProducerId('kip360', 30_000, { producerId: a.producerId + 1, producerEpoch: 1 })).errorCode, ErrorCode.PRODUCER_FENCED, 'another producer id')
  h.c.shutdown()
})

// Kafka's prepareIncrementProducerEpoch forgets the previous epoch when a new producer (no expected
// epoch) takes over, so that the old producer's call cannot pass for a retry and take the new epoch.
t.test('InitProducerId from a fenced zombie after a new producer took over', async t => {
  const h = await harness()
  const a = await h.c.initProducerId('zombie', 30_000, null) // producer A: epoch 0
  await h.c.initProducerId('zombie', 30_000, null) // producer B: epoch 1
  const z = await h.c.initProducerId('zombie', 30_000, { producerId: a.producerId, producerEpoch: 0 })
  t.equal(z.errorCode, ErrorCode.PRODUCER_FENCED, 'A must not get B’s epoch')
  h.c.shutdown()
})

t.test('epoch exhaustion: epoch 32766 moves the id to a new producer id at epoch 0', async t => {
  const replicas = new FakeReplicas()
  await replicas.put('old-timer', { producerId: 777, producerEpoch: 32766, transactionTimeoutMs: 60_000, transactionStatus: TxnState.CompleteCommit, transactionPartitions: [], transactionLastUpdateTimestampMs: T0, transactionStartTimestampMs: T0 })
  const h = await harness({ replicas })
  t.match(h.c.describe('old-timer'), { errorCode: ErrorCode.NONE, producerId: 777, producerEpoch: 32766, transactionState: 'CompleteCommit' }, 'loaded')
  const r = await h.c.initProducerId('old-timer', 60_000, null)
  t.equal(r.errorCode, ErrorCode.NONE)
  t.not(r.producerId, 777, 'a new producer id')
  t.equal(r.producerEpoch, 0)
  t.match(h.replicas.recordsOf('old-timer').at(-1), { producerId: r.producerId, producerEpoch: 0, transactionStatus: TxnState.Empty })
  h.c.shutdown()
})

t.test('AddPartitionsToTxn / EndTxn state machine: commit, retries, wrong producer or epoch', async t => {
  const h = await harness()
  h.markers.watched = 'sm'
  const init = await h.c.initProducerId('sm', 60_000, null)
  const { producerId: pid, producerEpoch: epoch } = init
  t.equal(await h.c.endTxn('sm', pid, epoch, true), ErrorCode.INVALID_TXN_STATE, 'EndTxn with nothing open (Empty)')
  t.equal(await h.c.addPartitions('sm', pid, epoch, [tp(0)]), ErrorCode.NONE)
  t.equal(stateOf(h, 'sm'), TxnState.Ongoing, 'Ongoing after AddPartitionsToTxn')
  t.equal(await h.c.addPartitions('sm', pid, epoch, [tp(0), tp(2)]), ErrorCode.NONE, 'another partition (and a repeat)')
  t.equal(await h.c.addPartitions('sm', pid, epoch, [tp(2)]), ErrorCode.NONE, 'all known: nothing written')
  t.same(h.replicas.statesOf('sm'), [TxnState.Empty, TxnState.Ongoing, TxnState.Ongoing])
  t.match(h.replicas.recordsOf('sm').at(-1), { transactionStartTimestampMs: T0, transactionPartitions: [{ topic: 'data', partitionIds: [0, 2] }] })

  t.equal(await h.c.addPartitions('sm', pid + 1, epoch, [tp(1)]), ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'wrong producer id')
  t.equal(await h.c.addPartitions('sm', pid, epoch + 1, [tp(1)]), ErrorCode.PRODUCER_FENCED, 'wrong epoch')
  t.equal(await h.c.endTxn('sm', pid + 1, epoch, true), ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'EndTxn wrong producer id')
  t.equal(await h.c.endTxn('sm', pid, epoch - 1, true), ErrorCode.PRODUCER_FENCED, 'EndTxn older epoch')
  t.equal(await h.c.endTxn('nobody', pid, epoch, true), ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'EndTxn for an unknown id')
  t.equal(stateOf(h, 'sm'), TxnState.Ongoing, 'still Ongoing')

  t.equal(await h.c.endTxn('sm', pid, epoch, true), ErrorCode.NONE, 'commit')
  t.same(h.replicas.statesOf('sm'), [TxnState.Empty, TxnState.Ongoing, TxnState.Ongoing, TxnState.PrepareCommit, TxnState.CompleteCommit])
  t.equal(h.markers.requests.length, 1, 'one marker request')
  const m = h.markers.requests[0]
  t.match(m, { producerId: pid, producerEpoch: epoch, commit: true, coordinatorEpoch: LEADER_EPOCH })
  t.same(m.partitions.map(x => `${x.topic}-${x.partition}`).sort(), ['data-0', 'data-2'], 'exactly the transaction’s partitions')
  t.equal(m.statesAtWrite.at(-1), TxnState.PrepareCommit, 'markers written after PrepareCommit, before CompleteCommit')
  t.match(h.c.describe('sm'), { transactionState: 'CompleteCommit', topics: [] })

  t.equal(await h.c.endTxn('sm', pid, epoch, true), ErrorCode.NONE, 'a retried commit succeeds')
  t.equal(await h.c.endTxn('sm', pid, epoch, false), ErrorCode.INVALID_TXN_STATE, 'abort after commit')
  t.equal(h.markers.requests.length, 1, 'no new markers')
  t.equal(h.replicas.statesOf('sm').length, 5, 'nothing new written')

  // The next transaction starts afresh, and an abort completes the same way.
  t.equal(await h.c.addPartitions('sm', pid, epoch, [tp(3)]), ErrorCode.NONE)
  await h.time.advance(500)
  t.equal(await h.c.endTxn('sm', pid, epoch, false), ErrorCode.NONE, 'abort')
  t.match(h.markers.requests[1], { commit: false, producerEpoch: epoch, partitions: [tp(3)] })
  t.equal(stateOf(h, 'sm'), TxnState.CompleteAbort)
  t.equal(await h.c.endTxn('sm', pid, epoch, false), ErrorCode.NONE, 'a retried abort succeeds')
  t.equal(await h.c.endTxn('sm', pid, epoch, true), ErrorCode.INVALID_TXN_STATE, 'commit after abort')
  h.c.shutdown()
})

t.test('marker failures are retried until CompleteCommit; requests meanwhile are CONCURRENT_TRANSACTIONS', async t => {
  const h = await harness()
  const { producerId: pid, producerEpoch: epoch } = await begin(h, 'retry', [tp(0), tp(1)])
  h.markers.failures.set('data-1', [ErrorCode.NOT_LEADER_OR_FOLLOWER, 2])
  let answer: number | undefined
  void h.c.endTxn('retry', pid, epoch, true).then(c => (answer = c))
  await until(() => h.markers.requests.length === 1, 'the first marker request')
  t.equal(stateOf(h, 'retry'), TxnState.PrepareCommit)
  t.equal(answer, undefined, 'EndTxn waits for the markers')
  t.equal(await h.c.endTxn('retry', pid, epoch, true), ErrorCode.CONCURRENT_TRANSACTIONS, 'commit again while PrepareCommit')
  t.equal(await h.c.endTxn('retry', pid, epoch, false), ErrorCode.INVALID_TXN_STATE, 'abort while PrepareCommit')
  t.equal(await h.c.addPartitions('retry', pid, epoch, [tp(2)]), ErrorCode.CONCURRENT_TRANSACTIONS, 'AddPartitionsToTxn while PrepareCommit')
  t.equal((await h.c.initProducerId('retry', 60_000, null)).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS, 'InitProducerId while PrepareCommit')
  t.equal(h.c.verifyPartition('retry', pid, epoch, tp(1)), ErrorCode.NOT_ENOUGH_REPLICAS, 'a write verified while PrepareCommit: retriable (CONCURRENT_TRANSACTIONS, as Produce says it)')

  await h.time.advance(1000)
  await until(() => answer !== undefined, 'EndTxn to answer')
  t.equal(answer, ErrorCode.NONE)
  t.same(h.markers.requests.map(r => r.partitions.map(x => x.partition)), [[0, 1], [1], [1]], 'only the failed partition is retried')
  t.ok(h.markers.requests.every(r => r.commit && r.producerEpoch === epoch && r.coordinatorEpoch === LEADER_EPOCH))
  t.equal(stateOf(h, 'retry'), TxnState.CompleteCommit)
  h.c.shutdown()
})

t.test('UNKNOWN_TOPIC_OR_PARTITION for a partition whose topic is gone is not retried', async t => {
  const h = await harness()
  const { producerId: pid, producerEpoch: epoch } = await begin(h, 'gone', [tp(0), tp(0, 'deleted-topic')])
  h.markers.failures.set('deleted-topic-0', [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 100])
  t.equal(await h.c.endTxn('gone', pid, epoch, true), ErrorCode.NONE)
  t.equal(h.markers.requests.length, 1, 'one marker request only')
  t.equal(stateOf(h, 'gone'), TxnState.CompleteCommit)
  h.c.shutdown()
})

// Kafka's TransactionMarkerRequestCompletionHandler retries UNKNOWN_TOPIC_OR_PARTITION like
// NOT_LEADER_OR_FOLLOWER; a partition is dropped only when the metadata no longer knows it
// (TransactionMarkerChannelManager.addTxnMarkersToBrokerQueue). Otherwise a partition whose log is
// not open yet would never get its marker, and its last stable offset would stay stuck.
t.test('UNKNOWN_TOPIC_OR_PARTITION for a partition still in the metadata is retried', async t => {
  const h = await harness()
  const { producerId: pid, producerEpoch: epoch } = await begin(h, 'opening', [tp(0), tp(1)])
  h.markers.failures.set('data-1', [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 1])
  const done = h.c.endTxn('opening', pid, epoch, true)
  await h.time.advance(1000)
  t.equal(await done, ErrorCode.NONE)
  t.same(h.markers.requests.map(r => r.partitions.map(x => x.partition)), [[0, 1], [1]], 'data-1 retried')
  h.c.shutdown()
})

t.test('a failed state write answers COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR and changes nothing', async t => {
  const h = await harness()
  const init = await h.c.initProducerId('wf', 60_000, null)
  const written = () => h.replicas.recordsOf('wf').length

  h.replicas.failNext.push(ErrorCode.NOT_ENOUGH_REPLICAS)
  t.same(await h.c.initProducerId('wf', 60_000, null), { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1, producerEpoch: -1 })
  t.match(h.c.transaction('wf'), { producerEpoch: 0, state: TxnState.Empty, pending: null }, 'epoch not bumped')

  h.replicas.failNext.push(ErrorCode.NOT_LEADER_OR_FOLLOWER)
  t.equal(await h.c.addPartitions('wf', init.producerId, 0, [tp(0)]), ErrorCode.NOT_COORDINATOR)
  t.match(h.c.describe('wf'), { transactionState: 'Empty', topics: [] }, 'no partitions added')

  t.equal(await h.c.addPartitions('wf', init.producerId, 0, [tp(0)]), ErrorCode.NONE)
  h.replicas.failNext.push(ErrorCode.REQUEST_TIMED_OUT)
  t.equal(await h.c.endTxn('wf', init.producerId, 0, true), ErrorCode.COORDINATOR_NOT_AVAILABLE)
  t.equal(stateOf(h, 'wf'), TxnState.Ongoing, 'still Ongoing')
  t.equal(h.markers.requests.length, 0, 'no markers')
  t.equal(written(), 2, 'only the successful writes are in the log')

  t.equal(await h.c.endTxn('wf', init.producerId, 0, true), ErrorCode.NONE, 'the retry commits')
  t.equal(stateOf(h, 'wf'), TxnState.CompleteCommit)
  h.c.shutdown()
})

t.test('a transaction open longer than its timeout is aborted with a bumped epoch, fencing its producer', async t => {
  const h = await harness()
  const { producerId: pid, producerEpoch: epoch } = await begin(h, 'slow', [tp(0), tp(1)], 5000)
  const { producerId: pid2 } = await begin(h, 'fast', [tp(2)], 60_000)
  await h.time.advance(4000)
  t.equal(stateOf(h, 'slow'), TxnState.Ongoing, 'not yet')
  await h.time.advance(2000) // the cleanup timer (every 1000 ms) sees it timed out
  await until(() => stateOf(h, 'slow') === TxnState.CompleteAbort, 'the abort')
  t.equal(h.markers.requests.length, 1)
  t.match(h.markers.requests[0], { producerId: pid, producerEpoch: epoch + 1, commit: false, coordinatorEpoch: LEADER_EPOCH })
  t.same(h.markers.requests[0].partitions.map(x => x.partition).sort(), [0, 1])
  t.same(h.replicas.statesOf('slow').slice(-2), [TxnState.PrepareAbort, TxnState.CompleteAbort])
  t.match(h.replicas.recordsOf('slow').at(-1), { producerEpoch: epoch + 1 })
  t.equal(stateOf(h, 'fast'), TxnState.Ongoing, 'a transaction within its timeout is left alone')

  t.equal(await h.c.endTxn('slow', pid, epoch, true), ErrorCode.PRODUCER_FENCED, 'old producer commits')
  t.equal(await h.c.endTxn('slow', pid, epoch, false), ErrorCode.PRODUCER_FENCED, 'old producer aborts')
  t.equal(await h.c.addPartitions('slow', pid, epoch, [tp(3)]), ErrorCode.PRODUCER_FENCED, 'old producer adds partitions')

  await h.time.advance(55_000)
  await until(() => stateOf(h, 'fast') === TxnState.CompleteAbort, 'the second abort')
  t.match(h.markers.requests[1], { producerId: pid2, producerEpoch: 1, commit: false })
  h.c.shutdown()
})

t.test('abortTimedOut() called directly aborts a transaction past its timeout', async t => {
  const h = await harness({ overrides: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '3600000' } })
  const { producerId: pid, producerEpoch: epoch } = await begin(h, 'late', [tp(0)], 5000)
  await h.time.advance(5001)
  t.equal(stateOf(h, 'late'), TxnState.Ongoing, 'no timer has run')
  h.c.abortTimedOut()
  await until(() => stateOf(h, 'late') === TxnState.CompleteAbort, 'the abort')
  t.match(h.markers.requests, [{ producerId: pid, producerEpoch: epoch + 1, commit: false }])
  t.equal(await h.c.endTxn('late', pid, epoch, false), ErrorCode.PRODUCER_FENCED)
  h.c.shutdown()
})

// Kafka's timedOutTransactions() takes txnStartTimestamp + txnTimeoutMs < now (strictly).
t.test('abortTimedOut() leaves a transaction at exactly its timeout', async t => {
  const h = await harness({ overrides: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '3600000' } })
  await begin(h, 'edge', [tp(0)], 5000)
  await h.time.advance(5000)
  h.c.abortTimedOut()
  await settle()
  t.equal(stateOf(h, 'edge'), TxnState.Ongoing)
  h.c.shutdown()
})

t.test('InitProducerId while Ongoing: CONCURRENT_TRANSACTIONS, the transaction is aborted, then epoch + 2', async t => {
  const h = await harness()
  const { producerId: pid, producerEpoch: epoch } = await begin(h, 'busy', [tp(0), tp(3)])
  t.same(await h.c.initProducerId('busy', 60_000, null), { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS, producerId: -1, producerEpoch: -1 })
  await until(() => stateOf(h, 'busy') === TxnState.CompleteAbort, 'the abort')
  t.equal(h.markers.requests.length, 1)
  t.match(h.markers.requests[0], { producerId: pid, producerEpoch: epoch + 1, commit: false })
  t.equal(await h.c.endTxn('busy', pid, epoch, true), ErrorCode.PRODUCER_FENCED, 'the old producer is fenced')
  t.same(await h.c.initProducerId('busy', 60_000, null), { errorCode: ErrorCode.NONE, producerId: pid, producerEpoch: epoch + 2 })
  h.c.shutdown()
})

t.test('reload: state comes back, a PrepareCommit is completed, tombstones delete ids', async t => {
  const h = await harness()
  const a = await begin(h, 'a', [tp(0)])
  t.equal(await h.c.endTxn('a', a.producerId, a.producerEpoch, true), ErrorCode.NONE)
  await h.time.advance(100)
  const b = await begin(h, 'b', [tp(1), tp(2)], 600_000)
  await h.c.initProducerId('c', 60_000, null)
  await h.replicas.put('c', null)
  const d = { producerId: 4242, producerEpoch: 3, transactionTimeoutMs: 60_000, transactionStatus: TxnState.PrepareCommit, transactionLastUpdateTimestampMs: T0, transactionStartTimestampMs: T0 }
  await h.replicas.put('d', { ...d, transactionPartitions: [{ topic: 'data', partitionIds: [0, 3] }] })
  const before = h.markers.requests.length
  h.replicas.leaderEpoch = LEADER_EPOCH + 1 // the new leadership the reload happens under
  await h.reopen()

  t.match(h.c.describe('a'), { errorCode: ErrorCode.NONE, transactionState: 'CompleteCommit', producerId: a.producerId, producerEpoch: a.producerEpoch })
  t.match(h.c.describe('b'), { transactionState: 'Ongoing', producerId: b.producerId, producerEpoch: b.producerEpoch, transactionTimeoutMs: 600_000, transactionStartTimeMs: T0 + 100, topics: [{ topic: 'data', partitions: [1, 2] }] })
  t.equal(h.c.describe('c').errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, 'tombstoned id is gone')
  t.equal(h.c.transaction('c'), undefined)

  await until(() => stateOf(h, 'd') === TxnState.CompleteCommit, 'd to complete')
  const m = h.markers.requests.slice(before)
  t.equal(m.length, 1, 'markers for d only')
  t.match(m[0], { producerId: 4242, producerEpoch: 3, commit: true, coordinatorEpoch: LEADER_EPOCH + 1 })
  t.same(m[0].partitions.map(x => x.partition).sort(), [0, 3])
  t.equal(h.replicas.statesOf('d').at(-1), TxnState.CompleteCommit, 'CompleteCommit written')

  t.equal(await h.c.endTxn('b', b.producerId, b.producerEpoch, true), ErrorCode.NONE, 'b can still commit after the reload')
  t.same(await h.c.initProducerId('a', 60_000, null), { errorCode: ErrorCode.NONE, producerId: a.producerId, producerEpoch: a.producerEpoch + 1 })
  h.c.shutdown()
})

t.test('removeExpired(): idle ids are tombstoned and forgotten; open transactions are kept', async t => {
  const h = await harness()
  await h.c.initProducerId('idle', 60_000, null)
  const done = await begin(h, 'committed', [tp(0)])
  await h.c.endTxn('committed', done.producerId, done.producerEpoch, true)
  await begin(h, 'open', [tp(1)], 900_000)
  await h.time.advance(30_000)
  await h.c.initProducerId('recent', 60_000, null)
  await h.time.advance(30_000)
  const removing = h.c.removeExpired()
  t.equal((await h.c.initProducerId('idle', 60_000, null)).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS, 'an id being removed is busy: its producer retries')
  t.equal(await removing, 2, 'idle and committed expire')
  for (const id of ['idle', 'committed']) {
    t.equal(h.c.transaction(id), undefined, `${id} forgotten`)
    t.equal(h.replicas.recordsOf(id).at(-1), null, `${id} has a tombstone`)
    t.equal(h.c.describe(id).errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND)
  }
  t.equal(stateOf(h, 'open'), TxnState.Ongoing, 'the Ongoing one is kept')
  t.equal(stateOf(h, 'recent'), TxnState.Empty, 'the recent one is kept')
  t.notOk(h.replicas.recordsOf('open').includes(null))
  await h.reopen()
  t.equal(h.c.transaction('idle'), undefined, 'still gone after a reload')
  t.equal(stateOf(h, 'open'), TxnState.Ongoing)
  h.c.shutdown()
})

t.test('list() filters by state, producer id and duration; describe()', async t => {
  const h = await harness()
  const x = await begin(h, 'x', [tp(1), tp(0), tp(2, 'other')], 120_000)
  await h.time.advance(10_000)
  const y = await begin(h, 'y', [tp(3)], 120_000)
  const z = await h.c.initProducerId('z', 60_000, null)
  const ids = (l: Array<{ transactionalId: string }>) => l.map(e => e.transactionalId).sort()

  t.same(ids(h.c.list([], [], -1)), ['x', 'y', 'z'], 'no filters')
  t.same(ids(h.c.list(['Ongoing'], [], -1)), ['x', 'y'])
  t.same(h.c.list(['Empty'], [], -1), [{ transactionalId: 'z', producerId: z.producerId, transactionState: 'Empty' }])
  t.same(ids(h.c.list(['Empty', 'Ongoing'], [], -1)), ['x', 'y', 'z'])
  t.same(h.c.list(['CompleteCommit'], [], -1), [])
  t.same(ids(h.c.list([], [x.producerId, z.producerId], -1)), ['x', 'z'])
  t.same(ids(h.c.list(['Ongoing'], [y.producerId], -1)), ['y'])
  t.same(ids(h.c.list(['Ongoing'], [], 5000)), ['x'], 'running longer than 5 s')
  t.same(ids(h.c.list(['Ongoing'], [], 20_000)), [])

  const topics = [{ topic: 'data', partitions: [0, 1] }, { topic: 'other', partitions: [2] }]
  const described = { transactionalId: 'x', errorCode: ErrorCode.NONE, transactionState: 'Ongoing', transactionTimeoutMs: 120_000, transactionStartTimeMs: T0 }
  t.same(h.c.describe('x'), { ...described, producerId: x.producerId, producerEpoch: 0, topics })
  t.match(h.c.describe('z'), { transactionState: 'Empty', transactionStartTimeMs: -1, topics: [] })
  t.match(h.c.describe('unknown'), { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, producerId: -1 })
  t.equal(h.c.describe('').errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND)
  h.c.shutdown()
})

t.test('verifyPartition (KIP-890): the partition must be in the open transaction; a state change being written does not matter', async t => {
  const h = await harness()
  const { producerId: pid, producerEpoch: epoch } = await begin(h, 'verify', [tp(0)])
  t.equal(h.c.verifyPartition('verify', pid, epoch, tp(0)), ErrorCode.NONE, 'a partition in the transaction')
  t.equal(h.c.verifyPartition('verify', pid, epoch, tp(1)), ErrorCode.INVALID_TXN_STATE, 'one not in it')
  t.equal(h.c.verifyPartition('verify', pid, epoch - 1, tp(0)), ErrorCode.INVALID_PRODUCER_EPOCH, 'an old epoch (fenced, as Produce says it)')
  t.equal(h.c.verifyPartition('verify', pid + 1, epoch, tp(0)), ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'another producer id')
  t.equal(h.c.verifyPartition('nobody', pid, epoch, tp(0)), ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'an unknown transactional id')
  const adding = h.c.addPartitions('verify', pid, epoch, [tp(1)])
  t.ok(h.c.transaction('verify')!.pending, 'while the next AddPartitionsToTxn is being written')
  t.equal(h.c.verifyPartition('verify', pid, epoch, tp(0)), ErrorCode.NONE, 'a partition already in the transaction still verifies')
  t.equal(await adding, ErrorCode.NONE)
  t.equal(h.c.verifyPartition('verify', pid, epoch, tp(1)), ErrorCode.NONE, 'and the added one once written')
  t.equal(await h.c.endTxn('verify', pid, epoch, true), ErrorCode.NONE)
  t.equal(h.c.verifyPartition('verify', pid, epoch, tp(0)), ErrorCode.INVALID_TXN_STATE, 'after the commit: no transaction open')
  h.c.shutdown()
})

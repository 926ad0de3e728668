// The transaction APIs request by request, over TCP with Millrace's own protocol client: the
// coordinator's answers for each state (Kafka's error codes, per version), what ListTransactions
// and DescribeTransactions show as a transaction goes, and what read_committed fetches see.
import t from 'tap'
import { ClientConnection } from '../src/client/index.js'
import { ApiKey, ErrorCode, buildBatchSync, type FetchResponse } from '../src/wire/index.js'
import { startTempBroker, type TempBroker } from './helpers.js'

let broker: TempBroker
let c: ClientConnection
t.before(async () => {
  broker = await startTempBroker({ 'auto.create.topics.enable': 'false', 'transaction.state.log.num.partitions': '3', 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '100' })
  c = await ClientConnection.open('localhost', broker.port)
  const created = await c.send(ApiKey.CreateTopics, 5, {
    topics: [{ name: 'txn-raw', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  })
  if (created.topics.some(tp => tp.errorCode !== 0)) throw new Error(JSON.stringify(created.topics))
})
t.teardown(async () => {
  c?.close()
  await broker?.destroy()
})

const init = (transactionalId: string, transactionTimeoutMs = 60_000, version = 4, producerId = -1, producerEpoch = -1) =>
  c.send(ApiKey.InitProducerId, version, { transactionalId, transactionTimeoutMs, producerId, producerEpoch })

const addPartitions = (id: string, producerId: number, producerEpoch: number, topics: Array<{ name: string; partitions: number[] }>, version = 3) =>
  c.send(ApiKey.AddPartitionsToTxn, version, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: topics })

const endTxn = (id: string, producerId: number, producerEpoch: number, committed: boolean, version = 3) =>
  c.send(ApiKey.EndTxn, version, { transactionalId: id, producerId, producerEpoch, committed })

const describe = async (id: string) => (await c.send(ApiKey.DescribeTransactions, 0, { transactionalIds: [id] })).transactionStates[0]

async function fetchCommitted(partition: number): Promise<{ lso: number; hw: number; values: string[]; aborted: FetchResponse.AbortedTransaction[] | null | undefined }> {
  const res: FetchResponse = await c.send(ApiKey.Fetch, 11, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 1,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: 'txn-raw', partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  })
  const p = res.responses[0].partitions[0]
  const values: string[] = []
  const { splitBatches, decodeBatchRecordsSync, isControlBatch } = await import('../src/wire/index.js')
  if (p.records) for (const b of splitBatches(p.records)) if (!isControlBatch(b.header.attributes)) for (const r of decodeBatchRecordsSync(p.records, b)) values.push(r.value!.toString())
  return { lso: p.lastStableOffset!, hw: p.highWatermark, values, aborted: p.abortedTransactions }
}

async function produceTxn(transactionalId: string, producerId: number, producerEpoch: number, baseSequence: number, partition: number, value: string, version = 7) {
  const records = buildBatchSync({ producerId, producerEpoch, baseSequence, transactional: true, records: [{ key: null, value: Buffer.from(value) }] })
  const res = await c.send(ApiKey.Produce, version, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: 'txn-raw', partitionData: [{ index: partition, records }] }] })
  return res.responses[0].partitionResponses[0]
}

t.test('a transaction from InitProducerId to EndTxn, as the coordinator and the APIs that watch it see it', async t => {
  t.equal((await describe('raw')).errorCode, ErrorCode.NOT_COORDINATOR, 'before any lookup, __transaction_state does not exist: NOT_COORDINATOR')
  const found = await c.send(ApiKey.FindCoordinator, 1, { key: 'raw', keyType: 1 })
  t.match(found, { errorCode: 0, nodeId: broker.nodeId, port: broker.port }, 'FindCoordinator for a transactional id: this node')
  t.equal((await describe('raw')).errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, 'an unused id: TRANSACTIONAL_ID_NOT_FOUND')

  t.equal((await init('raw', 0)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT, 'timeout 0 refused')
  t.equal((await init('raw', 900_001)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT, 'over transaction.max.timeout.ms refused')
  const first = await init('raw')
  t.match(first, { errorCode: 0, producerEpoch: 0 }, 'a producer id at epoch 0')
  const { producerId } = first
  const second = await init('raw')
  t.match(second, { errorCode: 0, producerId, producerEpoch: 1 }, 'initialising again bumps the epoch')
  t.match(await init('raw', 60_000, 4, producerId, 1), { errorCode: 0, producerId, producerEpoch: 2 }, 'v4 with the current epoch: bumped')
  t.match(await init('raw', 60_000, 4, producerId, 1), { errorCode: 0, producerId, producerEpoch: 2 }, 'the same call again (the previous epoch): a retry, answered without a bump')
  t.match(await init('raw', 60_000, 4, producerId, 0), { errorCode: ErrorCode.PRODUCER_FENCED }, 'v4 with an older epoch: PRODUCER_FENCED')
  t.match(await init('raw', 60_000, 3, producerId, 0), { errorCode: ErrorCode.INVALID_PRODUCER_EPOCH }, 'v3: INVALID_PRODUCER_EPOCH, which it understands')
  const epoch = 2

  t.match(await describe('raw'), { errorCode: 0, transactionState: 'Empty', producerId, producerEpoch: epoch, transactionTimeoutMs: 60_000, topics: [] }, 'DescribeTransactions: Empty')
  t.equal((await endTxn('raw', producerId, epoch, true)).errorCode, ErrorCode.INVALID_TXN_STATE, 'EndTxn with no transaction: INVALID_TXN_STATE')

  const mixed = await addPartitions('raw', producerId, epoch, [{ name: 'txn-raw', partitions: [0] }, { name: 'nope', partitions: [0] }])
  t.same(
    mixed.resultsByTopicV3AndBelow!.map(r => [r.name, r.resultsByPartition[0].partitionErrorCode]),
    [['txn-raw', ErrorCode.OPERATION_NOT_ATTEMPTED], ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
    'an unknown partition fails the request: it gets UNKNOWN_TOPIC_OR_PARTITION, the rest OPERATION_NOT_ATTEMPTED',
  )
  const code = async (r: Promise<{ resultsByTopicV3AndBelow?: Array<{ resultsByPartition: Array<{ partitionErrorCode: number }> }> }>) => (await r).resultsByTopicV3AndBelow![0].resultsByPartition[0].partitionErrorCode
  t.equal(await code(addPartitions('raw', producerId + 1000, epoch, [{ name: 'txn-raw', partitions: [0] }])), ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'another producer id: INVALID_PRODUCER_ID_MAPPING')
  t.equal(await code(addPartitions('raw', producerId, 0, [{ name: 'txn-raw', partitions: [0] }])), ErrorCode.PRODUCER_FENCED, 'an old epoch, v3: PRODUCER_FENCED')
  t.equal(await code(addPartitions('raw', producerId, 0, [{ name: 'txn-raw', partitions: [0] }], 1)), ErrorCode.INVALID_PRODUCER_EPOCH, 'an old epoch, v1: INVALID_PRODUCER_EPOCH')
  t.equal(await code(addPartitions('other-id', producerId, epoch, [{ name: 'txn-raw', partitions: [0] }])), ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'an id never initialised: INVALID_PRODUCER_ID_MAPPING')

  t.equal(await code(addPartitions('raw', producerId, epoch, [{ name: 'txn-raw', partitions: [0, 1] }])), ErrorCode.NONE, 'both partitions join the transaction')
  const ongoing = await describe('raw')
  t.match(ongoing, { transactionState: 'Ongoing', topics: [{ topic: 'txn-raw', partitions: [0, 1] }] })
  t.ok(ongoing.transactionStartTimeMs > Date.now() - 60_000, 'with its start time')
  const listed = await c.send(ApiKey.ListTransactions, 1, { stateFilters: ['Ongoing'], producerIdFilters: [], durationFilter: -1 })
  t.same(listed.transactionStates, [{ transactionalId: 'raw', producerId, transactionState: 'Ongoing' }], 'ListTransactions by state')
  const none = await c.send(ApiKey.ListTransactions, 1, { stateFilters: [], producerIdFilters: [producerId + 1], durationFilter: -1 })
  t.same(none.transactionStates, [], 'by another producer id: none')
  const long = await c.send(ApiKey.ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: 3_600_000 })
  t.same(long.transactionStates, [], 'none open longer than an hour (v1 duration filter)')
  const unknownStates = await c.send(ApiKey.ListTransactions, 0, { stateFilters: ['Bogus'], producerIdFilters: [], durationFilter: -1 })
  t.same(unknownStates.unknownStateFilters, ['Bogus'], 'unknown state names reported back')

  t.equal((await produceTxn('raw', producerId, epoch, 0, 0, 'in-txn')).errorCode, 0, 'a transactional write')
  const open = await fetchCommitted(0)
  t.equal(open.lso, 0, 'read_committed: the last stable offset stays at the open transaction')
  t.same(open.values, [], 'and its records are not returned')
  t.ok(open.hw > 0, 'while the high watermark has moved')
  const listOffset = async (timestamp: number, isolationLevel: number) =>
    (await c.send(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel, topics: [{ name: 'txn-raw', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] })).topics[0].partitions[0].offset
  t.same([await listOffset(-1, 1), await listOffset(-1, 0)], [0, open.hw], 'ListOffsets latest: the last stable offset at read_committed, the high watermark at read_uncommitted')
  t.same([await listOffset(-3, 1), await listOffset(-3, 0)], [-1, 0], 'max timestamp: not an offset of the open transaction at read_committed')

  t.equal((await endTxn('raw', producerId, epoch, true)).errorCode, 0, 'EndTxn commit')
  t.match(await describe('raw'), { transactionState: 'CompleteCommit', topics: [] })
  const committed = await fetchCommitted(0)
  t.same(committed.values, ['in-txn'], 'the committed record is readable')
  t.equal(committed.lso, committed.hw, 'last stable offset = high watermark again')
  t.equal((await endTxn('raw', producerId, epoch, true)).errorCode, 0, 'a retried commit is answered as before')
  t.equal((await endTxn('raw', producerId, epoch, false)).errorCode, ErrorCode.INVALID_TXN_STATE, 'aborting a committed transaction: INVALID_TXN_STATE')
  t.equal((await endTxn('raw', producerId, 0, true)).errorCode, ErrorCode.PRODUCER_FENCED, 'EndTxn with an old epoch: PRODUCER_FENCED')
  t.equal((await endTxn('raw', producerId, 0, true, 1)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'v1: INVALID_PRODUCER_EPOCH')

  // An aborted transaction: the fetch names it so that the consumer can drop its records.
  t.equal(await code(addPartitions('raw', producerId, epoch, [{ name: 'txn-raw', partitions: [1] }])), ErrorCode.NONE)
  const doomed = await produceTxn('raw', producerId, epoch, 0, 1, 'doomed')
  t.equal(doomed.errorCode, 0)
  t.equal((await endTxn('raw', producerId, epoch, false)).errorCode, 0, 'EndTxn abort')
  const aborted = await fetchCommitted(1)
  t.same(aborted.aborted, [{ producerId, firstOffset: doomed.baseOffset }], 'read_committed fetch lists the aborted transaction')
  t.same(aborted.values, ['doomed'], 'whose records it returns (below the last stable offset), for the client to drop')
})

t.test('InitProducerId on an open transaction aborts it and fences its producer', async t => {
  await c.send(ApiKey.FindCoordinator, 1, { key: 'fence', keyType: 1 })
  const { producerId, producerEpoch } = await init('fence')
  await addPartitions('fence', producerId, producerEpoch, [{ name: 'txn-raw', partitions: [0] }])
  const zombie = await produceTxn('fence', producerId, producerEpoch, 0, 0, 'zombie')
  t.equal(zombie.errorCode, 0)
  const busy = await init('fence')
  t.equal(busy.errorCode, ErrorCode.CONCURRENT_TRANSACTIONS, 'first answer: CONCURRENT_TRANSACTIONS while the open transaction is aborted')
  let next = busy
  for (let i = 0; i < 50 && next.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS; i++) {
    await new Promise(r => setTimeout(r, 20))
    next = await init('fence')
  }
  t.match(next, { errorCode: 0, producerId, producerEpoch: producerEpoch + 2 }, 'then the epoch after the fencing one')
  t.equal((await produceTxn('fence', producerId, producerEpoch, 1, 0, 'late')).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'the old producer can no longer write')
  t.equal((await endTxn('fence', producerId, producerEpoch, true)).errorCode, ErrorCode.PRODUCER_FENCED, 'nor commit')
  t.ok((await fetchCommitted(0)).aborted?.some(a => a.producerId === producerId && a.firstOffset === zombie.baseOffset), "the zombie's transaction was aborted: read_committed fetches name it")
})

t.test('a transaction open longer than its timeout is aborted, and its producer fenced', async t => {
  await c.send(ApiKey.FindCoordinator, 1, { key: 'slow', keyType: 1 })
  const { producerId, producerEpoch } = await init('slow', 300)
  await addPartitions('slow', producerId, producerEpoch, [{ name: 'txn-raw', partitions: [1] }])
  const slow = await produceTxn('slow', producerId, producerEpoch, 0, 1, 'too slow')
  t.equal(slow.errorCode, 0)
  let d = await describe('slow')
  for (let i = 0; i < 100 && d.transactionState !== 'CompleteAbort'; i++) {
    await new Promise(r => setTimeout(r, 20))
    d = await describe('slow')
  }
  t.match(d, { transactionState: 'CompleteAbort', producerEpoch: producerEpoch + 1 }, 'aborted with the next epoch')
  t.equal((await endTxn('slow', producerId, producerEpoch, true)).errorCode, ErrorCode.PRODUCER_FENCED, 'the late commit is fenced')
  t.ok((await fetchCommitted(1)).aborted?.some(a => a.producerId === producerId && a.firstOffset === slow.baseOffset), 'and read_committed fetches name the aborted transaction')
})

t.test('WriteTxnMarkers (the inter-broker API) writes markers as the coordinator would', async t => {
  const { producerId, producerEpoch } = await init('markers')
  await addPartitions('markers', producerId, producerEpoch, [{ name: 'txn-raw', partitions: [0] }])
  t.equal((await produceTxn('markers', producerId, producerEpoch, 0, 0, 'marked')).errorCode, 0)
  t.ok((await fetchCommitted(0)).lso < (await fetchCommitted(0)).hw, 'open: the last stable offset is held back')
  const res = await c.send(ApiKey.WriteTxnMarkers, 1, {
    markers: [{ producerId, producerEpoch, transactionResult: true, coordinatorEpoch: 0, topics: [{ name: 'txn-raw', partitionIndexes: [0] }, { name: 'nope', partitionIndexes: [0] }] }],
  })
  t.same(
    res.markers[0].topics.map(tp => [tp.name, tp.partitions[0].errorCode]),
    [['txn-raw', 0], ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
  )
  const after = await fetchCommitted(0)
  t.equal(after.lso, after.hw, 'the marker closed the transaction in the partition')
  t.ok(after.values.includes('marked'), 'its record is readable')
  await endTxn('markers', producerId, producerEpoch, false)
})

t.test('a transactional write must belong to an open transaction that includes the partition (KIP-890)', async t => {
  await c.send(ApiKey.FindCoordinator, 1, { key: 'verify', keyType: 1 })
  const { producerId, producerEpoch } = await init('verify')
  const stray = await produceTxn('verify', producerId, producerEpoch, 0, 0, 'stray', 9)
  t.equal(stray.errorCode, ErrorCode.INVALID_TXN_STATE, 'no transaction open: INVALID_TXN_STATE')
  t.match(stray.errorMessage, /not added to the transaction/, 'with Kafka\'s message (v8+)')
  await addPartitions('verify', producerId, producerEpoch, [{ name: 'txn-raw', partitions: [0] }])
  t.equal((await produceTxn('verify', producerId, producerEpoch, 0, 1, 'elsewhere')).errorCode, ErrorCode.INVALID_TXN_STATE, 'a partition not in the transaction: INVALID_TXN_STATE')
  t.equal((await produceTxn('verify', producerId, producerEpoch, 0, 0, 'ok')).errorCode, 0, 'a partition in it: written')
  t.equal((await produceTxn('verify', producerId, producerEpoch, 1, 0, 'more')).errorCode, 0, 'and more of the same transaction there')
  t.equal((await produceTxn('verify', producerId + 1, 0, 0, 0, 'other')).errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'another producer id under this transactional id: INVALID_PRODUCER_ID_MAPPING')
  t.equal((await endTxn('verify', producerId, producerEpoch, true)).errorCode, 0)
  const after = await fetchCommitted(1)
  t.notOk(after.values.includes('elsewhere') || after.values.includes('stray'), 'nothing refused was written')
})

// The broker's protocol behaviour where clients rarely go: long polls, fetch sessions, idempotent
// sequence checks, and bad input. Driven over TCP with Millrace's own protocol client, so each
// request can be exactly the one that exercises the rule.
import t from 'tap'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ClientConnection } from '../src/client/index.js'
import { ApiKey, ErrorCode, buildBatchSync, decodeBatchRecordsSync, decodeResponse, encodeRequest, frameRequest, splitBatches, ZERO_UUID, type ApiKeyNumber, type FetchResponse } from '../src/wire/index.js'
import { setLogLevel, setLogSink } from '../src/util/index.js'
import { startTempBroker, type TempBroker } from './helpers.js'

const logLines: string[] = []
setLogSink(line => logLines.push(line))
setLogLevel('info')

let broker: TempBroker
let c: ClientConnection
t.before(async () => {
  broker = await startTempBroker({ 'auto.create.topics.enable': 'false' })
  c = await ClientConnection.open('localhost', broker.port)
  const created = await c.send(ApiKey.CreateTopics, 5, {
    topics: [
      { name: 'edges', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] },
      { name: 'idem', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
    ],
    timeoutMs: 5000,
    validateOnly: false,
  })
  if (created.topics.some(tp => tp.errorCode !== 0)) throw new Error(JSON.stringify(created.topics))
})
t.teardown(async () => {
  c?.close()
  await broker?.destroy()
})

const batch = (values: string[], extra: Parameters<typeof buildBatchSync>[0] extends infer O ? Partial<O> : never = {}): Buffer =>
  buildBatchSync({ ...extra, records: values.map(v => ({ key: null, value: Buffer.from(v) })) })

async function produce(topic: string, partition: number, records: Buffer, acks = -1, version = 7) {
  const res = await c.send(ApiKey.Produce, version, { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] })
  return res.responses[0].partitionResponses[0]
}

function fetchBody(topic: string, partition: number, offset: number, extra: { maxWaitMs?: number; minBytes?: number; sessionId?: number; sessionEpoch?: number } = {}) {
  return {
    replicaId: -1,
    maxWaitMs: extra.maxWaitMs ?? 0,
    minBytes: extra.minBytes ?? 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: extra.sessionId ?? 0,
    sessionEpoch: extra.sessionEpoch ?? -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  }
}

const values = (res: FetchResponse): string[] => {
  const out: string[] = []
  for (const tp of res.responses) {
    for (const p of tp.partitions) {
      if (!p.records) continue
      for (const s of splitBatches(p.records)) for (const r of decodeBatchRecordsSync(p.records, s)) out.push(r.value!.toString())
    }
  }
  return out
}

t.test('a long-poll fetch is woken by a produce', async t => {
  const started = Date.now()
  const pending = c.send(ApiKey.Fetch, 11, fetchBody('edges', 1, 0, { maxWaitMs: 10_000 }))
  const other = await ClientConnection.open('localhost', broker.port)
  await new Promise(r => setTimeout(r, 100))
  const sent = await other.send(ApiKey.Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'edges', partitionData: [{ index: 1, records: batch(['wake']) }] }] })
  t.equal(sent.responses[0].partitionResponses[0].errorCode, 0)
  const res = await pending
  other.close()
  t.ok(Date.now() - started < 5000, 'answered long before max.wait.ms')
  t.same(values(res), ['wake'])
})

t.test('one TCP write of requests answered at once and requests that wait: answers in order, every produce readable behind them', async t => {
  const created = await c.send(ApiKey.CreateTopics, 5, {
    topics: [{ name: 'pipelined', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  })
  t.equal(created.topics[0].errorCode, 0)
  const raw = await ClientConnection.open('localhost', broker.port)
  t.teardown(() => raw.close())
  const produceBody = (v: string, acks: number) => ({ transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: 'pipelined', partitionData: [{ index: 0, records: batch([v]) }] }] })
  const requests: Array<[ApiKeyNumber, number, object]> = [
    [ApiKey.Produce, 7, produceBody('a', 1)],
    // Waits its whole max.wait.ms (min.bytes is out of reach): what follows queues behind it.
    [ApiKey.Fetch, 11, fetchBody('pipelined', 0, 0, { maxWaitMs: 300, minBytes: 1 << 20 })],
    [ApiKey.Produce, 7, produceBody('b', 1)],
    [ApiKey.Produce, 7, produceBody('c', -1)],
    [ApiKey.ApiVersions, 2, {}],
    [ApiKey.Produce, 7, produceBody('d', 1)],
    [ApiKey.Fetch, 11, fetchBody('pipelined', 0, 0)],
  ]
  const bytes = Buffer.concat(requests.flatMap(([k, v, body], i) => frameRequest(encodeRequest(k, v, { correlationId: 500 + i, clientId: 'pipe' }, body as never))))
  const started = Date.now()
  const frames = await raw.writeRawAndReadFrames(bytes, requests.length)
  t.ok(Date.now() - started >= 250, 'the long poll held the requests behind it')
  const answers = frames.map((f, i) => decodeResponse(requests[i]![0], requests[i]![1], f))
  t.same(answers.map(a => a.correlationId), requests.map((_, i) => 500 + i), 'answers in request order')
  const offsets = [0, 2, 3, 5].map(i => (answers[i]!.body as { responses: Array<{ partitionResponses: Array<{ errorCode: number; baseOffset: number }> }> }).responses[0]!.partitionResponses[0]!)
  t.same(offsets.map(p => [p.errorCode, p.baseOffset]), [[0, 0], [0, 1], [0, 2], [0, 3]], 'produces appended in order')
  t.same(values(answers[1]!.body as FetchResponse), ['a'], 'the long poll saw the first produce')
  t.same(values(answers[6]!.body as FetchResponse), ['a', 'b', 'c', 'd'], 'the last fetch reads every acknowledged produce')
})

t.test('a fetch with nothing new waits max.wait.ms and returns empty', async t => {
  const started = Date.now()
  const res = await c.send(ApiKey.Fetch, 11, fetchBody('edges', 1, 1, { maxWaitMs: 300 }))
  t.ok(Date.now() - started >= 250, 'waited')
  t.same(values(res), [])
  t.equal(res.responses[0].partitions[0].highWatermark, 1)
})

t.test('OFFSET_OUT_OF_RANGE beyond the log end', async t => {
  const res = await c.send(ApiKey.Fetch, 11, fetchBody('edges', 1, 99))
  t.equal(res.responses[0].partitions[0].errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
})

t.test('incremental fetch sessions (KIP-227)', async t => {
  await produce('edges', 0, batch(['s1', 's2']))
  const first = await c.send(ApiKey.Fetch, 11, fetchBody('edges', 0, 0, { sessionId: 0, sessionEpoch: 0 }))
  t.not(first.sessionId, 0, 'a session was created')
  t.same(values(first), ['s1', 's2'])
  // Epoch 1 moves the partition's offset past what was read: nothing new means an empty answer.
  const moved = fetchBody('edges', 0, 2, { sessionId: first.sessionId, sessionEpoch: 1 })
  const second = await c.send(ApiKey.Fetch, 11, moved)
  t.equal(second.errorCode, 0)
  t.same(second.responses, [], 'no partition has news')
  // Epoch 2 names no partitions: the session still remembers the one it has, and new data shows up.
  await produce('edges', 0, batch(['s3']))
  const empty = { ...fetchBody('edges', 0, 2, { sessionId: first.sessionId, sessionEpoch: 2 }), topics: [] }
  const third = await c.send(ApiKey.Fetch, 11, empty)
  t.same(values(third), ['s3'], 'the remembered partition brings its new record')
  const wrongEpoch = await c.send(ApiKey.Fetch, 11, { ...empty, sessionEpoch: 5 })
  t.equal(wrongEpoch.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH)
  const unknown = await c.send(ApiKey.Fetch, 11, { ...empty, sessionId: 12345, sessionEpoch: 1 })
  t.equal(unknown.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
})

t.test('fetch by topic id (v13+)', async t => {
  const meta = await c.send(ApiKey.Metadata, 12, { topics: [{ topicId: ZERO_UUID, name: 'edges' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  const topicId = meta.topics[0].topicId!
  t.not(topicId, ZERO_UUID)
  const byIdV12 = await c.send(ApiKey.Metadata, 12, { topics: [{ topicId, name: null }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  t.same([byIdV12.topics[0].errorCode, byIdV12.topics[0].name], [0, 'edges'], 'v12 looks topics up by id')
  const byIdV11 = await c.send(ApiKey.Metadata, 11, { topics: [{ topicId, name: 'edges' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  t.equal(byIdV11.topics[0].errorCode, ErrorCode.INVALID_REQUEST, 'before v12 an id in the request is refused')
  for (const v of [1, 11, 12]) {
    const all = await c.send(ApiKey.Metadata, v, { topics: null, ...(v >= 4 ? { allowAutoTopicCreation: false } : {}) })
    const edges = all.topics.find(tp => tp.name === 'edges')
    t.same([edges?.errorCode, edges?.partitions.length], [0, 2], `v${v}: all topics, each answered`)
  }
  const body = fetchBody('edges', 0, 0)
  const res = await c.send(ApiKey.Fetch, 13, { ...body, topics: [{ topicId, partitions: body.topics[0].partitions }] })
  t.equal(res.responses[0].topicId, topicId)
  t.same(values(res), ['s1', 's2', 's3'])
  const bogus = await c.send(ApiKey.Fetch, 13, { ...body, topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: body.topics[0].partitions }] })
  t.equal(bogus.responses[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_ID)
})

t.test('idempotent producer: duplicates, gaps and fencing', async t => {
  const init = await c.send(ApiKey.InitProducerId, 1, { transactionalId: null, transactionTimeoutMs: 60000 })
  t.equal(init.errorCode, 0)
  const pid = init.producerId
  const b0 = batch(['a', 'b'], { producerId: pid, producerEpoch: 0, baseSequence: 0 })
  const r0 = await produce('idem', 0, b0)
  t.same([r0.errorCode, r0.baseOffset], [0, 0])
  const dup = await produce('idem', 0, batch(['a', 'b'], { producerId: pid, producerEpoch: 0, baseSequence: 0 }))
  t.same([dup.errorCode, dup.baseOffset], [0, 0], 'a retried batch is acknowledged with its original offset')
  const gap = await produce('idem', 0, batch(['z'], { producerId: pid, producerEpoch: 0, baseSequence: 7 }))
  t.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'a gap in sequences is refused')
  const next = await produce('idem', 0, batch(['c'], { producerId: pid, producerEpoch: 0, baseSequence: 2 }))
  t.same([next.errorCode, next.baseOffset], [0, 2])
  const offsets = await c.send(ApiKey.ListOffsets, 2, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'idem', partitions: [{ partitionIndex: 0, timestamp: -1 }] }] })
  t.equal(offsets.topics[0].partitions[0].offset, 3, 'three records, no duplicate')

  const described = await c.send(ApiKey.DescribeProducers, 0, { topics: [{ name: 'idem', partitionIndexes: [0] }, { name: 'no-such-topic', partitionIndexes: [0] }] })
  t.match(described.topics[0], { name: 'idem', partitions: [{ partitionIndex: 0, errorCode: 0, errorMessage: null, activeProducers: [{ producerId: pid, producerEpoch: 0, lastSequence: 2, coordinatorEpoch: -1, currentTxnStartOffset: -1 }] }] }, 'DescribeProducers: the producer, its epoch and last sequence')
  t.ok(described.topics[0].partitions[0].activeProducers[0].lastTimestamp > 0, 'and the timestamp of its last batch')
  t.match(described.topics[1].partitions, [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, activeProducers: [] }], 'an unknown partition')
})

t.test('DescribeQuorum: this node is the only voter and the leader; the high watermark follows metadata changes', async t => {
  const ask = { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] }
  const before = await c.send(ApiKey.DescribeQuorum, 2, ask)
  const p = before.topics[0].partitions[0]
  t.match(p, { errorCode: 0, leaderId: broker.nodeId, leaderEpoch: 1, observers: [] })
  t.ok(p.highWatermark > 0, 'the topics created so far are in the metadata log')
  t.match(p.currentVoters, [{ replicaId: broker.nodeId, logEndOffset: p.highWatermark }], 'one voter, caught up')
  t.ok(p.currentVoters[0].lastCaughtUpTimestamp! > Date.now() - 60_000, 'caught up now')
  t.match(before.nodes, [{ nodeId: broker.nodeId, listeners: [{ port: broker.port }] }], 'v2 names the voter endpoints')
  const created = await c.send(ApiKey.CreateTopics, 5, { topics: [{ name: 'quorum-t', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false })
  t.equal(created.topics[0].errorCode, 0)
  for (const v of [0, 1]) {
    const after = await c.send(ApiKey.DescribeQuorum, v, ask)
    t.ok(after.topics[0].partitions[0].highWatermark > p.highWatermark, `v${v}: a new topic moved the high watermark`)
  }
  const wrong = await c.send(ApiKey.DescribeQuorum, 2, { topics: [{ topicName: 'edges', partitions: [{ partitionIndex: 0 }] }] })
  t.match(wrong.topics, [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] }], 'any other partition: UNKNOWN_TOPIC_OR_PARTITION, as Kafka')
})

t.test('a partition whose log cannot be opened is tried again until it can', async t => {
  // A file where the partition's directory belongs makes the open fail (ENOTDIR/EEXIST).
  const blocker = join(broker.dataDir, 'blocked-0')
  writeFileSync(blocker, 'not a directory')
  logLines.length = 0
  const created = await c.send(ApiKey.CreateTopics, 5, { topics: [{ name: 'blocked', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false })
  t.equal(created.topics[0].errorCode, 0, 'the topic is created')
  t.equal((await produce('blocked', 0, batch(['early']))).errorCode, ErrorCode.LEADER_NOT_AVAILABLE, 'its log does not open: LEADER_NOT_AVAILABLE, which clients retry')
  t.ok(logLines.some(l => l.includes('cannot open the log of blocked-0') && l.includes('trying again')), 'logged, with the retry')
  rmSync(blocker)
  let code = -1
  for (let i = 0; i < 60 && code !== 0; i++) {
    await new Promise(r => setTimeout(r, 100))
    code = (await produce('blocked', 0, batch(['later']))).errorCode
  }
  t.equal(code, 0, 'once the obstacle is gone, the partition serves without a restart')
})

t.test('bad input gets Kafka error codes and a log line; the broker keeps serving', async t => {
  logLines.length = 0
  const unknown = await produce('no-such-topic', 0, batch(['x']))
  t.equal(unknown.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'unknown topic with auto-create off')

  const meta = await c.send(ApiKey.Metadata, 9, { topics: [{ name: 'bad name!' }, { name: 'absent' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false })
  t.same(meta.topics.map(tp => tp.errorCode), [ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])

  const corrupt = batch(['will be corrupted'])
  corrupt[corrupt.length - 3] ^= 0xff
  const bad = await produce('edges', 0, corrupt)
  t.equal(bad.errorCode, ErrorCode.CORRUPT_MESSAGE, 'a flipped byte is caught by the CRC')
  t.ok(logLines.some(l => l.includes('edges-0') && l.includes('error 2')), 'and logged')

  const old = await produce('edges', 0, batch(['v2 request']), -1, 2)
  t.equal(old.errorCode, ErrorCode.UNSUPPORTED_VERSION, 'Produce v2 is refused as in Kafka 4')

  const acks = await produce('edges', 0, batch(['x']), 2)
  t.equal(acks.errorCode, ErrorCode.INVALID_REQUIRED_ACKS)

  const garbage = await produce('edges', 0, Buffer.from('this is not a record batch at all, just text'))
  t.equal(garbage.errorCode, ErrorCode.CORRUPT_MESSAGE, 'garbage bytes')

  // acks=0 has no response: a failure closes the connection, as Kafka does.
  const zero = await ClientConnection.open('localhost', broker.port)
  zero.sendNoResponse(ApiKey.Produce, 7, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'edges', partitionData: [{ index: 0, records: corrupt }] }] })
  await zero.waitClosed()
  t.pass('a failed acks=0 produce closes the connection')

  const still = await c.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' })
  t.equal(still.errorCode, 0, 'the broker still answers')
  const data = await c.send(ApiKey.Fetch, 11, fetchBody('edges', 0, 0))
  t.same(values(data), ['s1', 's2', 's3'], 'nothing corrupt was appended')
})

t.test('topic configs take effect at once', async t => {
  const alter = (configs: Array<{ name: string; value: string }>) =>
    c.send(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: 2, resourceName: 'edges', configs: configs.map(x => ({ ...x, configOperation: 0 })) }],
      validateOnly: false,
    })
  const res = await alter([{ name: 'max.message.bytes', value: '200' }])
  t.equal(res.responses[0].errorCode, 0)
  const big = await produce('edges', 1, batch(['x'.repeat(400)]))
  t.equal(big.errorCode, ErrorCode.MESSAGE_TOO_LARGE, 'a lower max.message.bytes refuses a batch at once')

  await alter([{ name: 'max.message.bytes', value: '1048588' }, { name: 'message.timestamp.type', value: 'LogAppendTime' }])
  const before = Date.now()
  const stamped = await produce('edges', 1, batch(['stamped'], { baseTimestamp: 1000 }))
  t.equal(stamped.errorCode, 0)
  t.ok(stamped.logAppendTimeMs! >= before, 'LogAppendTime: the broker stamps the batch and says when')
  const got = await c.send(ApiKey.Fetch, 11, fetchBody('edges', 1, stamped.baseOffset))
  const rec = decodeBatchRecordsSync(got.responses[0].partitions[0].records!, splitBatches(got.responses[0].partitions[0].records!)[0])[0]
  t.equal(rec.timestamp, stamped.logAppendTimeMs, 'consumers see the append time')

  const badKey = await alter([{ name: 'retension.ms', value: '5' }])
  t.equal(badKey.responses[0].errorCode, ErrorCode.INVALID_CONFIG)
  t.match(badKey.responses[0].errorMessage, /did you mean 'retention\.ms'/)
})

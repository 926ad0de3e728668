// The admin handlers against a real metadata image and controller (commit replays records into
// the image), with every answer also encoded and decoded at the version it was made for.
import t, { type Test } from 'tap'
import { ApiKey, ErrorCode, ZERO_UUID, decodeResponse, encodeResponse, randomUuid, type ApiKeyNumber, type RequestHeader, type ResponseTypes } from '../wire/index.js'
import { Controller, MetadataImage } from '../kraft/index.js'
import { createBrokerConfig, validateBrokerConfigs, validateTopicConfigs } from '../config/index.js'
import type { ApiHandler, RequestContext } from './handler.js'
import { adminHandlers, brokerConfigFromImage } from './admin.js'
import { createTopicsHandler } from './create-topics.js'
import { deleteTopicsHandler } from './delete-topics.js'
import { createPartitionsHandler } from './create-partitions.js'
import { deleteRecordsHandler, type DeleteRecordsStorage } from './delete-records.js'
import { describeConfigsHandler } from './describe-configs.js'
import { alterConfigsHandler } from './alter-configs.js'
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.js'
import { describeLogDirsHandler } from './describe-log-dirs.js'
import { describeClusterHandler } from './describe-cluster.js'
import { createAclsHandler, deleteAclsHandler, describeAclsHandler } from './acls.js'
import { electLeadersHandler } from './elect-leaders.js'
import { describeClientQuotasHandler } from './describe-client-quotas.js'
import { alterPartitionReassignmentsHandler, listPartitionReassignmentsHandler } from './partition-reassignments.js'

const NODE = 1
const TOPIC = 2
const BROKER = 4
const Source = { TOPIC_CONFIG: 1, DYNAMIC_DEFAULT_BROKER_CONFIG: 3, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 }

async function cluster() {
  const image = new MetadataImage()
  const base = createBrokerConfig({ 'node.id': String(NODE), 'log.retention.hours': '100', 'num.partitions': '2' })
  const brokerConfig = brokerConfigFromImage(base, image, NODE)
  const controller = new Controller(image, {
    defaultPartitions: () => brokerConfig().get('num.partitions'),
    defaultReplicationFactor: () => 1,
    deleteTopicEnable: () => true,
    validateTopicConfigs: m => {
      const r = validateTopicConfigs(m, brokerConfig())
      return r.ok ? null : r.message
    },
    validateBrokerConfigs: m => {
      const r = validateBrokerConfigs(m, { dynamic: 'per-broker' })
      return r.ok ? null : r.message
    },
    commit: async recs => recs.forEach(r => image.apply(r, image.lastOffset + 1)),
  })
  await controller.registerBroker({
    brokerId: NODE,
    incarnationId: randomUuid(),
    endpoints: [
      { name: 'PLAINTEXT', host: 'broker1', port: 9092, securityProtocol: 0 },
      { name: 'INTERNAL', host: 'broker1-internal', port: 9093, securityProtocol: 0 },
    ],
    rack: 'r1',
  })
  const deps = { image, controller, brokerConfig, nodeId: NODE, clusterId: 'test-cluster-id-00000', controllerId: () => NODE }
  return {
    ...deps,
    createTopics: createTopicsHandler(deps),
    deleteTopics: deleteTopicsHandler(deps),
    createPartitions: createPartitionsHandler(deps),
    describeConfigs: describeConfigsHandler(deps),
    alterConfigs: alterConfigsHandler(deps),
    incrementalAlterConfigs: incrementalAlterConfigsHandler(deps),
    describeCluster: describeClusterHandler(deps),
  }
}

function ctx(apiKey: number, apiVersion: number, listenerName = 'PLAINTEXT'): RequestContext {
  const header: RequestHeader = { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId: 1, clientId: 'test' }
  return { apiVersion, header, connectionId: 'c1', clientAddress: '127.0.0.1:5000', listenerName }
}

/** Calls the handler at version v and checks the answer survives the wire codec at that version. */
async function call<K extends ApiKeyNumber>(t: Test, h: ApiHandler<K>, v: number, req: unknown, listener?: string): Promise<ResponseTypes[K]> {
  t.ok(v >= h.minVersion && v <= h.maxVersion, `v${v} is claimed`)
  const res = (await h.handle(req as never, ctx(h.apiKey, v, listener)))!
  let decoded: unknown
  t.doesNotThrow(() => {
    const frame = Buffer.concat(encodeResponse(h.apiKey, v, { correlationId: 1 }, res)).subarray(4)
    decoded = decodeResponse(h.apiKey, v, frame).body
  }, `api ${h.apiKey} v${v} response encodes`)
  t.ok(decoded, `api ${h.apiKey} v${v} response decodes`)
  return res
}

const versions = (h: ApiHandler<any>): number[] => Array.from({ length: h.maxVersion - h.minVersion + 1 }, (_, i) => h.minVersion + i)

const topicReq = (name: string, over: Partial<{ numPartitions: number; replicationFactor: number; configs: Array<{ name: string; value: string | null }>; assignments: Array<{ partitionIndex: number; brokerIds: number[] }> }> = {}) => ({
  name,
  numPartitions: 3,
  replicationFactor: 1,
  assignments: [],
  configs: [],
  ...over,
})

t.test('CreateTopics', async t => {
  const c = await cluster()
  const res = await call(t, c.createTopics, 7, {
    timeoutMs: 1000,
    validateOnly: false,
    topics: [
      topicReq('orders', { configs: [{ name: 'cleanup.policy', value: 'compact' }] }),
      topicReq('bad name!'),
      topicReq('zero', { numPartitions: 0 }),
      topicReq('wide', { replicationFactor: 2 }),
      topicReq('typo', { configs: [{ name: 'retension.ms', value: '1000' }] }),
      topicReq('nulls', { configs: [{ name: 'retention.ms', value: null }] }),
      topicReq('dup'),
      topicReq('dup'),
      topicReq('defaults', { numPartitions: -1, replicationFactor: -1 }),
      topicReq('manual', { numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [NODE] }] }),
      topicReq('manual-bad', { numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [7] }] }),
    ],
  })
  const by = new Map(res.topics.map(r => [r.name, r]))
  t.equal(res.topics.length, 10, 'one result per distinct name')

  const orders = by.get('orders')!
  t.equal(orders.errorCode, ErrorCode.NONE)
  t.equal(orders.errorMessage, null)
  t.equal(orders.numPartitions, 3)
  t.equal(orders.replicationFactor, 1)
  t.equal(orders.topicId, c.image.topicsByName.get('orders')!.id, 'v7 carries the topic id')
  t.not(orders.topicId, ZERO_UUID)
  const cfg = new Map(orders.configs!.map(e => [e.name, e]))
  t.match(cfg.get('cleanup.policy'), { value: 'compact', configSource: Source.TOPIC_CONFIG, readOnly: false, isSensitive: false })
  t.match(cfg.get('retention.ms'), { value: String(100 * 3600 * 1000), configSource: Source.STATIC_BROKER_CONFIG }, 'defaults come from the broker synonyms')
  t.match(cfg.get('segment.bytes'), { configSource: Source.DEFAULT_CONFIG })
  t.equal(c.image.topicsByName.get('orders')!.partitions.size, 3)
  t.equal(c.image.topicConfigs('orders').get('cleanup.policy'), 'compact')

  t.match(by.get('bad name!'), { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: /illegal/ })
  t.match(by.get('zero'), { errorCode: ErrorCode.INVALID_PARTITIONS, numPartitions: -1, replicationFactor: -1, topicId: ZERO_UUID })
  t.match(by.get('wide'), { errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: /only 1 broker/ })
  t.match(by.get('typo'), { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: "unknown config 'retension.ms' — did you mean 'retention.ms'?" })
  t.match(by.get('nulls'), { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: 'Null value not supported for topic configs: retention.ms' })
  t.match(by.get('dup'), { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' })
  t.match(by.get('defaults'), { errorCode: ErrorCode.NONE, numPartitions: 2, replicationFactor: 1 }, '-1 takes num.partitions and the default RF')
  t.match(by.get('manual'), { errorCode: ErrorCode.NONE, numPartitions: 1, replicationFactor: 1 })
  t.same(c.image.partition('manual', 0)!.replicas, [NODE])
  t.match(by.get('manual-bad'), { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT })
  for (const name of ['bad name!', 'zero', 'wide', 'typo', 'nulls', 'dup', 'manual-bad']) t.notOk(c.image.topicsByName.has(name), `${name} not created`)

  const again = await call(t, c.createTopics, 3, { timeoutMs: 1000, validateOnly: false, topics: [topicReq('orders')] })
  t.match(again.topics[0], { name: 'orders', errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: "Topic 'orders' already exists." })

  const dry = await call(t, c.createTopics, 5, { timeoutMs: 1000, validateOnly: true, topics: [topicReq('dry-run', { configs: [{ name: 'retention.ms', value: '1000' }] })] })
  t.match(dry.topics[0], { errorCode: ErrorCode.NONE, numPartitions: 3, replicationFactor: 1 })
  t.match(new Map(dry.topics[0].configs!.map(e => [e.name, e])).get('retention.ms'), { value: '1000', configSource: Source.TOPIC_CONFIG })
  t.notOk(c.image.topicsByName.has('dry-run'), 'validateOnly creates nothing')
  const offset = c.image.lastOffset
  await call(t, c.createTopics, 1, { timeoutMs: 1000, validateOnly: true, topics: [topicReq('dry-run-2')] })
  t.equal(c.image.lastOffset, offset, 'no records written')

  for (const v of versions(c.createTopics)) {
    const r = await call(t, c.createTopics, v, { timeoutMs: 1000, validateOnly: false, topics: [topicReq(`v${v}`), topicReq('orders'), topicReq('v!')] })
    t.equal(r.topics[0].errorCode, ErrorCode.NONE, `created at v${v}`)
    t.equal(r.topics[1].errorCode, ErrorCode.TOPIC_ALREADY_EXISTS)
  }
})

t.test('DeleteTopics by name and by id', async t => {
  const c = await cluster()
  const make = async (...names: string[]) => {
    await c.controller.createTopics(names.map(n => topicReq(n)), false)
    return names.map(n => c.image.topicsByName.get(n)!.id)
  }
  await make('a', 'b')
  const byName = await call(t, c.deleteTopics, 1, { timeoutMs: 1000, topicNames: ['a', 'nope'] })
  t.match(byName.responses, [
    { name: 'a', errorCode: ErrorCode.NONE },
    { name: 'nope', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
  ])
  t.notOk(c.image.topicsByName.has('a'))

  const [bId] = [c.image.topicsByName.get('b')!.id]
  const unknownId = randomUuid()
  const byId = await call(t, c.deleteTopics, 6, {
    timeoutMs: 1000,
    topics: [
      { name: null, topicId: bId },
      { name: null, topicId: unknownId },
      { name: 'x', topicId: randomUuid() },
      { name: null, topicId: ZERO_UUID },
    ],
  })
  t.match(byId.responses, [
    { name: 'b', topicId: bId, errorCode: ErrorCode.NONE, errorMessage: null },
    { name: null, topicId: unknownId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'This server does not host this topic ID.' },
    { name: 'x', errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'You may not specify both topic name and topic id.' },
    { name: null, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Neither topic name nor id were specified.' },
  ])
  t.notOk(c.image.topicsById.has(bId))

  const [dId] = await make('d')
  const mixed = await call(t, c.deleteTopics, 6, { timeoutMs: 1000, topics: [{ name: null, topicId: dId }, { name: 'd', topicId: ZERO_UUID }, { name: 'e', topicId: ZERO_UUID }, { name: 'e', topicId: ZERO_UUID }] })
  t.match(mixed.responses, [
    { topicId: dId, errorCode: ErrorCode.NONE },
    { name: 'd', errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'The provided topic name maps to an ID that was already supplied.' },
    { name: 'e', errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' },
  ])

  for (const v of versions(c.deleteTopics)) {
    const [id] = await make(`t${v}`)
    const req = v >= 6 ? { timeoutMs: 1000, topics: [{ name: null, topicId: id }, { name: 'missing', topicId: ZERO_UUID }] } : { timeoutMs: 1000, topicNames: [`t${v}`, 'missing'] }
    const r = await call(t, c.deleteTopics, v, req)
    t.match(r.responses, [{ name: `t${v}`, errorCode: ErrorCode.NONE }, { name: 'missing', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }], `v${v}`)
  }
})

t.test('CreatePartitions', async t => {
  const c = await cluster()
  await c.controller.createTopics([topicReq('grow', { numPartitions: 1 })], false)
  const r = await call(t, c.createPartitions, 3, {
    timeoutMs: 1000,
    validateOnly: false,
    topics: [
      { name: 'grow', count: 3, assignments: null },
      { name: 'ghost', count: 3, assignments: null },
    ],
  })
  t.match(r.results, [
    { name: 'grow', errorCode: ErrorCode.NONE, errorMessage: null },
    { name: 'ghost', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
  ])
  t.equal(c.image.topicsByName.get('grow')!.partitions.size, 3)

  const dry = await call(t, c.createPartitions, 0, { timeoutMs: 1000, validateOnly: true, topics: [{ name: 'grow', count: 5, assignments: null }] })
  t.equal(dry.results[0].errorCode, ErrorCode.NONE)
  t.equal(c.image.topicsByName.get('grow')!.partitions.size, 3, 'validateOnly adds nothing')

  const shrink = await call(t, c.createPartitions, 1, { timeoutMs: 1000, validateOnly: false, topics: [{ name: 'grow', count: 2, assignments: null }] })
  t.equal(shrink.results[0].errorCode, ErrorCode.INVALID_PARTITIONS)
  const manual = await call(t, c.createPartitions, 2, { timeoutMs: 1000, validateOnly: false, topics: [{ name: 'grow', count: 4, assignments: [{ brokerIds: [NODE] }] }] })
  t.equal(manual.results[0].errorCode, ErrorCode.NONE)
  t.same(c.image.partition('grow', 3)!.replicas, [NODE])
  const dup = await call(t, c.createPartitions, 3, { timeoutMs: 1000, validateOnly: false, topics: [{ name: 'grow', count: 9, assignments: null }, { name: 'grow', count: 9, assignments: null }] })
  t.same(dup.results, [{ name: 'grow', errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' }])
  for (const v of versions(c.createPartitions)) {
    const res = await call(t, c.createPartitions, v, { timeoutMs: 1000, validateOnly: false, topics: [{ name: 'grow', count: 5 + v, assignments: null }] })
    t.equal(res.results[0].errorCode, ErrorCode.NONE, `v${v}`)
  }
  const before = c.image.topicsByName.get('grow')!.partitions.size
  const huge = await call(t, c.createPartitions, 3, { timeoutMs: 1000, validateOnly: false, topics: [{ name: 'grow', count: 2_000_000_000, assignments: null }] })
  t.same(huge.results, [{ name: 'grow', errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: 'Excessively large number of partitions per request.' }], 'more than 10,000 new partitions: POLICY_VIOLATION, as Kafka')
  t.equal(c.image.topicsByName.get('grow')!.partitions.size, before, 'and nothing added')
})

t.test('CreateTopics: manual assignments are checked with Kafka\'s rules and messages', async t => {
  const c = await cluster()
  const manual = (name: string, assignments: Array<[number, number[]]>) =>
    topicReq(name, { numPartitions: -1, replicationFactor: -1, assignments: assignments.map(([partitionIndex, brokerIds]) => ({ partitionIndex, brokerIds })) })
  const res = await call(t, c.createTopics, 7, {
    timeoutMs: 1000,
    validateOnly: true,
    topics: [
      manual('empty', [[0, []]]),
      manual('twice', [[0, [NODE, NODE]]]),
      manual('ghost', [[0, [9, NODE]]]),
      manual('gap', [[0, [NODE]], [2, [NODE]]]),
      manual('index-twice', [[0, [NODE]], [0, [NODE]]]),
      manual('good', [[1, [NODE]], [0, [NODE]]]),
    ],
  })
  const msg = new Map(res.topics.map(r => [r.name, [r.errorCode, r.errorMessage]]))
  const bad = (m: string) => [ErrorCode.INVALID_REPLICA_ASSIGNMENT, m]
  t.same(msg.get('empty'), bad('The manual partition assignment includes an empty replica list.'))
  t.same(msg.get('twice'), bad(`The manual partition assignment includes the broker ${NODE} more than once.`))
  t.same(msg.get('ghost'), bad('The manual partition assignment includes broker 9, but no such broker is registered.'))
  t.same(msg.get('gap'), bad('partitions should be a consecutive 0-based integer sequence'))
  t.same(msg.get('index-twice'), bad('Found multiple manual partition assignments for partition 0'))
  t.same(msg.get('good'), [ErrorCode.NONE, null], 'indexes in any order')
})

t.test('CreateTopics: more than 10,000 partitions in one request fail it whole, as Kafka', async t => {
  const c = await cluster()
  const huge = await call(t, c.createTopics, 7, { timeoutMs: 1000, validateOnly: false, topics: [topicReq('small'), topicReq('huge', { numPartitions: 2_000_000_000 })] })
  t.match(huge.topics, [
    { name: 'small', errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: 'Excessively large number of partitions per request.' },
    { name: 'huge', errorCode: ErrorCode.POLICY_VIOLATION },
  ])
  t.notOk(c.image.topicsByName.has('small'), 'no topic of the request is created')
  const split = await call(t, c.createTopics, 7, { timeoutMs: 1000, validateOnly: true, topics: [topicReq('a', { numPartitions: 5000 }), topicReq('b', { numPartitions: 5000 })] })
  t.same(split.topics.map(r => r.errorCode), [0, 0], 'exactly 10,000 is allowed')
  const over = await call(t, c.createTopics, 7, { timeoutMs: 1000, validateOnly: true, topics: [topicReq('a', { numPartitions: 5000 }), topicReq('b', { numPartitions: 5001 })] })
  t.same(over.topics.map(r => r.errorCode), [ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION], 'counted over the whole request')
})

t.test('DescribeConfigs: sources, synonyms, key filter, brokers', async t => {
  const c = await cluster()
  await c.controller.createTopics([topicReq('cfg', { configs: [{ name: 'retention.ms', value: '5000' }] })], false)

  const res = await call(t, c.describeConfigs, 4, {
    includeSynonyms: true,
    includeDocumentation: true,
    resources: [
      { resourceType: TOPIC, resourceName: 'cfg', configurationKeys: ['retention.ms', 'segment.bytes', 'no.such.key'] },
      { resourceType: TOPIC, resourceName: 'cfg', configurationKeys: null },
      { resourceType: TOPIC, resourceName: 'missing', configurationKeys: null },
      { resourceType: BROKER, resourceName: String(NODE), configurationKeys: ['log.retention.hours'] },
      { resourceType: BROKER, resourceName: '2', configurationKeys: null },
      { resourceType: BROKER, resourceName: 'x', configurationKeys: null },
      { resourceType: BROKER, resourceName: '', configurationKeys: null },
      { resourceType: 8, resourceName: '1', configurationKeys: null },
    ],
  })
  const [filtered, all, missing, node, other, notInt, clusterDefault, logger] = res.results
  t.same(filtered.configs.map(e => e.name), ['retention.ms', 'segment.bytes'], 'only the keys asked for')
  t.match(filtered.configs[0], {
    value: '5000',
    configSource: Source.TOPIC_CONFIG,
    readOnly: false,
    isSensitive: false,
    configType: 5,
    documentation: /./,
    synonyms: [
      { name: 'retention.ms', value: '5000', source: Source.TOPIC_CONFIG },
      { name: 'log.retention.hours', value: '100', source: Source.STATIC_BROKER_CONFIG },
      { name: 'log.retention.hours', value: '168', source: Source.DEFAULT_CONFIG },
    ],
  })
  t.match(filtered.configs[1], { configSource: Source.DEFAULT_CONFIG })
  t.ok(all.configs.length > 20, 'null keys list every topic config')
  t.match(missing, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, configs: [] })
  t.match(node, { errorCode: ErrorCode.NONE, configs: [{ name: 'log.retention.hours', value: '100', configSource: Source.STATIC_BROKER_CONFIG, configType: 3 }] })
  t.match(other, { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Unexpected broker id, expected 1 or empty string, but received 2' })
  t.match(notInt, { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Broker id must be an integer, but it is: x' })
  t.match(clusterDefault, { errorCode: ErrorCode.NONE, configs: [] }, 'no dynamic cluster defaults yet')
  t.match(logger, { errorCode: ErrorCode.INVALID_REQUEST })

  const v0 = await call(t, c.describeConfigs, 0, { resources: [{ resourceType: TOPIC, resourceName: 'cfg', configurationKeys: ['retention.ms', 'segment.bytes'] }] })
  t.match(v0.results[0].configs, [{ name: 'retention.ms', isDefault: false }, { name: 'segment.bytes', isDefault: true }])
  t.equal(v0.results[0].configs[0].configSource, undefined, 'v0 has no sources')
  const v1 = await call(t, c.describeConfigs, 1, { includeSynonyms: false, resources: [{ resourceType: TOPIC, resourceName: 'cfg', configurationKeys: ['retention.ms'] }] })
  t.match(v1.results[0].configs[0], { configSource: Source.TOPIC_CONFIG, synonyms: [] })
  const v3 = await call(t, c.describeConfigs, 3, { includeSynonyms: true, includeDocumentation: false, resources: [{ resourceType: TOPIC, resourceName: 'cfg', configurationKeys: [] }] })
  t.equal(v3.results[0].configs.length, all.configs.length, 'an empty key list means all')
  t.equal(v3.results[0].configs[0].documentation, null)

  for (const v of versions(c.describeConfigs)) {
    await call(t, c.describeConfigs, v, {
      includeSynonyms: v >= 1,
      includeDocumentation: v >= 3,
      resources: [
        { resourceType: TOPIC, resourceName: 'cfg', configurationKeys: null },
        { resourceType: BROKER, resourceName: String(NODE), configurationKeys: null },
        { resourceType: TOPIC, resourceName: 'missing', configurationKeys: null },
      ],
    })
  }
})

t.test('AlterConfigs and IncrementalAlterConfigs', async t => {
  const c = await cluster()
  await c.controller.createTopics([topicReq('alt', { configs: [{ name: 'segment.ms', value: '60000' }] })], false)
  const describe = async (name: string, key: string) => {
    const r = await call(t, c.describeConfigs, 4, { includeSynonyms: true, includeDocumentation: false, resources: [{ resourceType: TOPIC, resourceName: name, configurationKeys: [key] }] })
    return r.results[0].configs[0]
  }

  // Legacy AlterConfigs replaces the whole set: segment.ms goes back to its default.
  const legacy = await call(t, c.alterConfigs, 1, { validateOnly: false, resources: [{ resourceType: TOPIC, resourceName: 'alt', configs: [{ name: 'retention.ms', value: '1000' }] }] })
  t.same(legacy.responses, [{ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: TOPIC, resourceName: 'alt' }])
  t.match(await describe('alt', 'retention.ms'), { value: '1000', configSource: Source.TOPIC_CONFIG })
  t.match(await describe('alt', 'segment.ms'), { configSource: Source.DEFAULT_CONFIG })

  const legacyBad = await call(t, c.alterConfigs, 2, {
    validateOnly: false,
    resources: [
      { resourceType: TOPIC, resourceName: 'alt', configs: [{ name: 'retention.ms', value: 'soon' }] },
      { resourceType: TOPIC, resourceName: 'ghost', configs: [] },
      { resourceType: BROKER, resourceName: '2', configs: [] },
      { resourceType: TOPIC, resourceName: 'alt2', configs: [{ name: 'a', value: null }] },
    ],
  })
  t.match(legacyBad.responses, [
    { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: /retention\.ms/ },
    { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Unexpected broker id, expected 1, but received 2' },
    { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Null value not supported for : a' },
  ])
  t.match(await describe('alt', 'retention.ms'), { value: '1000' }, 'a failed change leaves the config alone')

  const dry = await call(t, c.alterConfigs, 0, { validateOnly: true, resources: [{ resourceType: TOPIC, resourceName: 'alt', configs: [{ name: 'retention.ms', value: '2000' }] }] })
  t.equal(dry.responses[0].errorCode, ErrorCode.NONE)
  t.match(await describe('alt', 'retention.ms'), { value: '1000' }, 'validateOnly changes nothing')

  // Cluster-wide broker default: shows in the '' resource and as the topic default's source.
  const clusterWide = await call(t, c.alterConfigs, 0, { validateOnly: false, resources: [{ resourceType: BROKER, resourceName: '', configs: [{ name: 'log.retention.ms', value: '7000' }] }] })
  t.equal(clusterWide.responses[0].errorCode, ErrorCode.NONE)
  const defaults = await call(t, c.describeConfigs, 2, { includeSynonyms: true, resources: [{ resourceType: BROKER, resourceName: '', configurationKeys: null }] })
  t.match(defaults.results[0].configs, [{ name: 'log.retention.ms', value: '7000', configSource: Source.DYNAMIC_DEFAULT_BROKER_CONFIG, synonyms: [{ source: Source.DYNAMIC_DEFAULT_BROKER_CONFIG }] }])
  t.equal(defaults.results[0].configs[0].synonyms!.length, 1)
  await c.controller.createTopics([topicReq('plain')], false)
  t.match(await describe('plain', 'retention.ms'), { value: '7000', configSource: Source.DYNAMIC_DEFAULT_BROKER_CONFIG, synonyms: [{ name: 'log.retention.ms', source: Source.DYNAMIC_DEFAULT_BROKER_CONFIG }] })
  const readOnly = await call(t, c.alterConfigs, 0, { validateOnly: false, resources: [{ resourceType: BROKER, resourceName: '1', configs: [{ name: 'log.dirs', value: '/x' }] }] })
  t.match(readOnly.responses[0], { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: /read-only/ })

  // Incremental: APPEND / SUBTRACT on the list config cleanup.policy, SET, DELETE.
  const inc = (configs: Array<{ name: string; configOperation: number; value: string | null }>, name = 'alt', v = 1) =>
    call(t, c.incrementalAlterConfigs, v, { validateOnly: false, resources: [{ resourceType: TOPIC, resourceName: name, configs }] })
  t.equal((await inc([{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }])).responses[0].errorCode, ErrorCode.NONE)
  t.match(await describe('alt', 'cleanup.policy'), { value: 'compact', configSource: Source.TOPIC_CONFIG }, 'APPEND to an unset list starts from empty')
  t.equal((await inc([{ name: 'cleanup.policy', configOperation: 2, value: 'delete' }])).responses[0].errorCode, ErrorCode.NONE)
  t.match(await describe('alt', 'cleanup.policy'), { value: 'compact,delete' })
  t.equal((await inc([{ name: 'cleanup.policy', configOperation: 3, value: 'compact' }], 'alt', 0)).responses[0].errorCode, ErrorCode.NONE)
  t.match(await describe('alt', 'cleanup.policy'), { value: 'delete' })
  t.equal((await inc([{ name: 'max.message.bytes', configOperation: 0, value: '2048' }, { name: 'retention.ms', configOperation: 1, value: null }])).responses[0].errorCode, ErrorCode.NONE)
  t.match(await describe('alt', 'max.message.bytes'), { value: '2048', configSource: Source.TOPIC_CONFIG })
  t.match(await describe('alt', 'retention.ms'), { value: '7000', configSource: Source.DYNAMIC_DEFAULT_BROKER_CONFIG }, 'DELETE falls back to the broker default')
  t.match(await describe('alt', 'cleanup.policy'), { value: 'delete' }, 'other keys are kept')

  const typo = await inc([{ name: 'retension.ms', configOperation: 0, value: '5' }])
  t.match(typo.responses[0], { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: /did you mean 'retention\.ms'/ })
  const notList = await inc([{ name: 'retention.ms', configOperation: 2, value: '5' }])
  t.equal(notList.responses[0].errorCode, ErrorCode.INVALID_CONFIG)
  const badOp = await inc([{ name: 'retention.ms', configOperation: 9, value: '5' }])
  t.match(badOp.responses[0], { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Unknown operations type 9' })
  const dupKeys = await inc([{ name: 'retention.ms', configOperation: 0, value: '5' }, { name: 'retention.ms', configOperation: 1, value: null }])
  t.match(dupKeys.responses[0], { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Error due to duplicate config keys' })
  const twice = await call(t, c.incrementalAlterConfigs, 1, {
    validateOnly: false,
    resources: [
      { resourceType: TOPIC, resourceName: 'alt', configs: [] },
      { resourceType: TOPIC, resourceName: 'alt', configs: [] },
    ],
  })
  t.match(twice.responses, [{ errorMessage: 'Each resource must appear at most once.' }, { errorMessage: 'Each resource must appear at most once.' }])

  const brokerSet = await call(t, c.incrementalAlterConfigs, 1, { validateOnly: false, resources: [{ resourceType: BROKER, resourceName: '1', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '9000' }] }] })
  t.equal(brokerSet.responses[0].errorCode, ErrorCode.NONE)
  const node = await call(t, c.describeConfigs, 4, { includeSynonyms: true, includeDocumentation: false, resources: [{ resourceType: BROKER, resourceName: '1', configurationKeys: ['log.retention.ms'] }] })
  t.match(node.results[0].configs[0], { value: '9000', configSource: 2, synonyms: [{ source: 2, value: '9000' }, { source: Source.DYNAMIC_DEFAULT_BROKER_CONFIG, value: '7000' }] })

  for (const v of versions(c.alterConfigs)) {
    const r = await call(t, c.alterConfigs, v, { validateOnly: false, resources: [{ resourceType: TOPIC, resourceName: 'plain', configs: [{ name: 'retention.ms', value: String(v + 1) }] }, { resourceType: TOPIC, resourceName: 'ghost', configs: [] }] })
    t.equal(r.responses[0].errorCode, ErrorCode.NONE)
  }
  for (const v of versions(c.incrementalAlterConfigs)) {
    const r = await inc([{ name: 'retention.ms', configOperation: 0, value: String(v + 10) }], 'plain', v)
    t.equal(r.responses[0].errorCode, ErrorCode.NONE)
  }
})

t.test('DescribeCluster', async t => {
  const c = await cluster()
  const v0 = await call(t, c.describeCluster, 0, { includeClusterAuthorizedOperations: false })
  t.match(v0, { errorCode: ErrorCode.NONE, clusterId: 'test-cluster-id-00000', controllerId: NODE, brokers: [{ brokerId: NODE, host: 'broker1', port: 9092, rack: 'r1' }], clusterAuthorizedOperations: -2147483648 })
  const internal = await call(t, c.describeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 }, 'INTERNAL')
  t.match(internal, { endpointType: 1, brokers: [{ host: 'broker1-internal', port: 9093 }] }, 'endpoint on the listener asked on')
  t.ok(internal.clusterAuthorizedOperations > 0)
  const controllers = await call(t, c.describeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 })
  t.match(controllers, { errorCode: ErrorCode.MISMATCHED_ENDPOINT_TYPE, errorMessage: 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER', brokers: [] })
  const weird = await call(t, c.describeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 3 })
  t.match(weird, { errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'Unsupported endpoint type 3' })
})

t.test('ACL APIs without an authorizer: SECURITY_DISABLED at every version, one result per creation and filter', async t => {
  const filter = { resourceTypeFilter: 2, resourceNameFilter: 't', patternTypeFilter: 3, principalFilter: 'User:alice', hostFilter: '*', operation: 3, permissionType: 3 }
  const acl = { resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 }
  for (const v of [0, 1, 2, 3]) {
    const d = await call(t, describeAclsHandler(), v, filter)
    t.match(d, { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured on the broker', resources: [] }, `DescribeAcls v${v}`)
    const c = await call(t, createAclsHandler(), v, { creations: [acl, { ...acl, principal: 'User:bob' }] })
    t.same(c.results.map(r => r.errorCode), [ErrorCode.SECURITY_DISABLED, ErrorCode.SECURITY_DISABLED], `CreateAcls v${v}: one result per creation`)
    const del = await call(t, deleteAclsHandler(), v, { filters: [{ ...filter, resourceNameFilter: null }] })
    t.match(del.filterResults, [{ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.', matchingAcls: [] }], `DeleteAcls v${v}`)
  }
})

t.test('ElectLeaders: every partition already led by its preferred replica', async t => {
  const c = await cluster()
  await call(t, c.createTopics, 7, { timeoutMs: 1000, validateOnly: false, topics: [topicReq('e', { numPartitions: 2 })] })
  const h = electLeadersHandler(c)
  for (const v of versions(h)) {
    const r = await call(t, h, v, { electionType: 0, topicPartitions: [{ topic: 'e', partitions: [0, 1, 9] }, { topic: 'nope', partitions: [0] }], timeoutMs: 1000 })
    t.same(
      r.replicaElectionResults.map(x => [x.topic, x.partitionResult.map(p => [p.partitionId, p.errorCode])]),
      [['e', [[0, ErrorCode.ELECTION_NOT_NEEDED], [1, ErrorCode.ELECTION_NOT_NEEDED], [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]], ['nope', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]]],
      `v${v}: named partitions each get a result`,
    )
  }
  const unclean = await call(t, h, 1, { electionType: 1, topicPartitions: [{ topic: 'e', partitions: [0] }], timeoutMs: 1000 })
  t.equal(unclean.replicaElectionResults[0].partitionResult[0].errorCode, ErrorCode.ELECTION_NOT_NEEDED, 'unclean: the partition has a leader')
  const all = await call(t, h, 2, { electionType: 0, topicPartitions: null, timeoutMs: 1000 })
  t.same(all, { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: [] }, 'all partitions: none needed an election, none listed')
})

t.test('Alter/ListPartitionReassignments: the current replicas are accepted, nothing is ever in progress', async t => {
  const c = await cluster()
  await call(t, c.createTopics, 7, { timeoutMs: 1000, validateOnly: false, topics: [topicReq('r', { numPartitions: 1 })] })
  const alter = alterPartitionReassignmentsHandler(c)
  const targets: Array<[number[] | null, number]> = [
    [[NODE], ErrorCode.NONE],
    [null, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS],
    [[], ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    [[NODE, NODE], ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    [[NODE, 7], ErrorCode.INVALID_REPLICA_ASSIGNMENT],
  ]
  for (const [replicas, code] of targets) {
    const r = await call(t, alter, 0, { timeoutMs: 1000, topics: [{ name: 'r', partitions: [{ partitionIndex: 0, replicas }] }] })
    t.equal(r.responses[0].partitions[0].errorCode, code, `target ${JSON.stringify(replicas)}`)
  }
  const bad = await call(t, alter, 0, { timeoutMs: 1000, topics: [{ name: 'r', partitions: [{ partitionIndex: 0, replicas: [NODE, 7] }] }] })
  t.equal(bad.responses[0].partitions[0].errorMessage, 'The manual partition assignment includes broker 7, but no such broker is registered.')
  const unknown = await call(t, alter, 0, { timeoutMs: 1000, topics: [{ name: 'nope', partitions: [{ partitionIndex: 0, replicas: [NODE] }] }] })
  t.equal(unknown.responses[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  t.same(c.image.partition('r', 0)!.replicas, [NODE], 'the replicas did not change')
  const list = listPartitionReassignmentsHandler()
  for (const topics of [null, [{ name: 'r', partitionIndexes: [0] }]]) {
    t.same(await call(t, list, 0, { timeoutMs: 1000, topics }), { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] }, 'nothing in progress')
  }
})

t.test('DescribeClientQuotas: a valid filter matches nothing (none can be set); a bad one gets Kafka\'s error', async t => {
  const h = describeClientQuotasHandler()
  const component = (entityType: string, matchType: number, match: string | null) => ({ entityType, matchType, match })
  for (const v of versions(h)) {
    for (const components of [[], [component('user', 0, 'alice')], [component('client-id', 2, null), component('user', 1, null)], [component('ip', 0, '10.0.0.1')]]) {
      t.same(await call(t, h, v, { components, strict: false }), { throttleTimeMs: 0, errorCode: 0, errorMessage: null, entries: [] }, `v${v} ${JSON.stringify(components)}`)
    }
  }
  const bad: Array<[ReturnType<typeof component>[], number, string]> = [
    [[component('', 0, 'x')], ErrorCode.INVALID_REQUEST, 'Invalid empty entity type.'],
    [[component('user', 0, 'a'), component('user', 2, null)], ErrorCode.INVALID_REQUEST, 'Entity type user cannot appear more than once in the filter.'],
    [[component('group', 0, 'g')], ErrorCode.UNSUPPORTED_VERSION, 'Unsupported entity type group'],
    [[component('user', 0, null)], ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_EXACT, but set match string to null.'],
    [[component('user', 1, 'a')], ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_DEFAULT, but also specified a match string.'],
    [[component('user', 2, 'a')], ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.'],
    [[component('user', 7, null)], ErrorCode.UNSUPPORTED_VERSION, 'Unknown match type 7'],
    [[component('ip', 2, null), component('user', 2, null)], ErrorCode.INVALID_REQUEST, 'Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.'],
  ]
  for (const [components, errorCode, errorMessage] of bad) {
    t.same(await call(t, h, 1, { components, strict: true }), { throttleTimeMs: 0, errorCode, errorMessage, entries: null }, errorMessage)
  }
})

t.test('DeleteRecords', async t => {
  const c = await cluster()
  await c.controller.createTopics([topicReq('recs', { numPartitions: 2 }), topicReq('compacted', { numPartitions: 1, configs: [{ name: 'cleanup.policy', value: 'compact' }] })], false)
  const logStart = new Map<number, number>([[0, 0], [1, 0]])
  const calls: Array<[string, number, number]> = []
  const storage: DeleteRecordsStorage = {
    partitionOffsets: (_topic, p) => ({ highWatermark: 50, logStartOffset: logStart.get(p) ?? 0 }),
    deleteRecordsBefore: async (topic, p, offset) => {
      calls.push([topic, p, offset])
      logStart.set(p, Math.max(logStart.get(p) ?? 0, offset))
      return { errorCode: ErrorCode.NONE, lowWatermark: logStart.get(p)! }
    },
  }
  const h = deleteRecordsHandler({ image: c.image, storage, brokerConfig: c.brokerConfig, nodeId: NODE })
  const r = await call(t, h, 2, {
    timeoutMs: 1000,
    topics: [
      { name: 'recs', partitions: [{ partitionIndex: 0, offset: 20 }, { partitionIndex: 1, offset: -1 }, { partitionIndex: 2, offset: 1 }] },
      { name: 'recs', partitions: [] },
      { name: 'ghost', partitions: [{ partitionIndex: 0, offset: 1 }] },
      { name: 'compacted', partitions: [{ partitionIndex: 0, offset: 1 }] },
    ],
  })
  t.same(r.topics[0].partitions, [
    { partitionIndex: 0, lowWatermark: 20, errorCode: ErrorCode.NONE },
    { partitionIndex: 1, lowWatermark: 50, errorCode: ErrorCode.NONE },
    { partitionIndex: 2, lowWatermark: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
  ])
  t.same(r.topics[2].partitions, [{ partitionIndex: 0, lowWatermark: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }])
  t.same(r.topics[3].partitions, [{ partitionIndex: 0, lowWatermark: -1, errorCode: ErrorCode.POLICY_VIOLATION }])
  t.same(calls, [['recs', 0, 20], ['recs', 1, 50]], '-1 means the high watermark')
  for (const v of versions(h)) {
    const res = await call(t, h, v, { timeoutMs: 1000, topics: [{ name: 'recs', partitions: [{ partitionIndex: 0, offset: 51 }, { partitionIndex: 0, offset: -2 }] }] })
    t.same(res.topics[0].partitions.map(p => p.errorCode), [ErrorCode.OFFSET_OUT_OF_RANGE, ErrorCode.OFFSET_OUT_OF_RANGE], 'beyond the high watermark')
  }
})

t.test('DescribeLogDirs', async t => {
  const h = describeLogDirsHandler({
    logDirs: {
      describeLogDirs: async () => [
        {
          path: '/data/a',
          partitions: [
            { topic: 'x', partition: 1, size: 100, offsetLag: 0, isFuture: false },
            { topic: 'x', partition: 0, size: 200, offsetLag: 2, isFuture: false },
            { topic: 'y', partition: 0, size: 5, offsetLag: 0, isFuture: false },
          ],
          totalBytes: 1000,
          usableBytes: 400,
        },
        { path: '/data/b', errorCode: ErrorCode.KAFKA_STORAGE_ERROR, partitions: [], totalBytes: 0, usableBytes: 0 },
      ],
    },
  })
  const all = await call(t, h, 4, { topics: null })
  t.match(all.results[0], { logDir: '/data/a', errorCode: 0, totalBytes: 1000, usableBytes: 400, topics: [{ name: 'x', partitions: [{ partitionIndex: 0, partitionSize: 200, offsetLag: 2 }, { partitionIndex: 1 }] }, { name: 'y' }] })
  t.match(all.results[1], { logDir: '/data/b', errorCode: ErrorCode.KAFKA_STORAGE_ERROR, totalBytes: -1 })
  const some = await call(t, h, 1, { topics: [{ topic: 'x', partitions: [1] }] })
  t.same(some.results[0].topics, [{ name: 'x', partitions: [{ partitionIndex: 1, partitionSize: 100, offsetLag: 0, isFutureKey: false }] }])
  for (const v of versions(h)) await call(t, h, v, { topics: null })
})

t.test('adminHandlers registers every admin API once', async t => {
  const c = await cluster()
  const hs = adminHandlers({
    ...c,
    deleteRecords: { partitionOffsets: () => null, deleteRecordsBefore: async () => ({ errorCode: 0, lowWatermark: 0 }) },
    logDirs: { describeLogDirs: () => [] },
  })
  t.same(
    hs.map(h => [h.apiKey, h.minVersion, h.maxVersion]),
    [
      [ApiKey.CreateTopics, 0, 7],
      [ApiKey.DeleteTopics, 0, 6],
      [ApiKey.CreatePartitions, 0, 3],
      [ApiKey.DeleteRecords, 0, 2],
      [ApiKey.DescribeConfigs, 0, 4],
      [ApiKey.AlterConfigs, 0, 2],
      [ApiKey.IncrementalAlterConfigs, 0, 1],
      [ApiKey.DescribeLogDirs, 0, 4],
      [ApiKey.DescribeCluster, 0, 1],
      [ApiKey.ElectLeaders, 0, 2],
      [ApiKey.AlterPartitionReassignments, 0, 0],
      [ApiKey.ListPartitionReassignments, 0, 0],
      [ApiKey.DescribeClientQuotas, 0, 1],
      [ApiKey.DescribeAcls, 0, 3],
      [ApiKey.CreateAcls, 0, 3],
      [ApiKey.DeleteAcls, 0, 3],
    ],
  )
})

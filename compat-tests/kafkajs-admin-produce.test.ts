// kafkajs against a real Millrace: admin operations, producing with every acks setting and codec,
// size limits, idempotence, and a restart that keeps every acknowledged message and topic config.
import t from 'tap'
import kafkajs, { CompressionTypes, type Admin, type Producer } from 'kafkajs'
import { hasKcat, kafkaClient, kcat, registerKafkajsCodecs, startTempBroker, type TempBroker } from './helpers.js'

await registerKafkajsCodecs()

let broker: TempBroker
t.before(async () => {
  broker = await startTempBroker({ 'num.partitions': '3' })
})
t.teardown(() => broker?.destroy())

/** Every (key, value) in a topic, read back by kcat (librdkafka): a second, independent client. */
async function readAll(topic: string): Promise<string[]> {
  const { stdout } = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p|%o|%k|%s|%h\n'])
  return stdout.split('\n').filter(Boolean)
}

t.test('admin: topics, partitions, configs, offsets, records', async t => {
  const admin: Admin = kafkaClient(broker.bootstrap).admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())

  t.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] }), true)
  t.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] }), false, 'second create reports it existed')
  t.ok((await admin.listTopics()).includes('orders'))

  const meta = await admin.fetchTopicMetadata({ topics: ['orders'] })
  t.equal(meta.topics[0].partitions.length, 2)
  t.same(meta.topics[0].partitions.map(p => p.leader), [1, 1])

  await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 4 }] })
  t.equal((await admin.fetchTopicMetadata({ topics: ['orders'] })).topics[0].partitions.length, 4, 'grew to 4 partitions')

  const described = await admin.describeConfigs({ resources: [{ type: 2, name: 'orders', configNames: ['retention.ms', 'cleanup.policy'] }], includeSynonyms: false })
  const entries = Object.fromEntries(described.resources[0].configEntries.map(e => [e.configName, e.configValue]))
  t.equal(entries['retention.ms'], '3600000')
  t.equal(entries['cleanup.policy'], 'delete')

  await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'orders', configEntries: [{ name: 'retention.ms', value: '7200000' }] }] })
  const after = await admin.describeConfigs({ resources: [{ type: 2, name: 'orders', configNames: ['retention.ms'] }], includeSynonyms: false })
  t.equal(after.resources[0].configEntries[0].configValue, '7200000', 'alterConfigs took effect')

  const misspelt = await admin.createTopics({ topics: [{ topic: 'bad', configEntries: [{ name: 'retension.ms', value: '1' }] }] }).catch(e => e)
  t.equal(misspelt?.errors?.[0]?.type, 'INVALID_CONFIG', 'a misspelt config is refused with INVALID_CONFIG')
  await t.rejects(admin.createTopics({ topics: [{ topic: 'no/slashes' }] }), 'an invalid topic name is refused')

  const producer = kafkaClient(broker.bootstrap).producer()
  await producer.connect()
  const before = Date.now()
  await producer.send({ topic: 'orders', messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `v${i}`, timestamp: String(before + i * 1000) })) })
  await producer.disconnect()

  const offsets = await admin.fetchTopicOffsets('orders')
  const p0 = offsets.find(o => o.partition === 0)!
  t.same([p0.low, p0.high], ['0', '10'], 'earliest and latest offsets')
  const byTime = await admin.fetchTopicOffsetsByTimestamp('orders', before + 4500)
  t.equal(byTime.find(o => o.partition === 0)!.offset, '5', 'offset for a timestamp')

  await admin.deleteTopicRecords({ topic: 'orders', partitions: [{ partition: 0, offset: '4' }] })
  const trimmed = (await admin.fetchTopicOffsets('orders')).find(o => o.partition === 0)!
  t.equal(trimmed.low, '4', 'deleteRecords moved the log start offset')

  await admin.deleteTopics({ topics: ['orders'] })
  t.notOk((await admin.listTopics()).includes('orders'), 'deleted')
})

t.test('admin ACL calls: "security features are disabled", as from Kafka without an authorizer', async t => {
  const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs
  const admin: Admin = kafkaClient(broker.bootstrap).admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  const acl = {
    resourceType: AclResourceTypes.TOPIC,
    resourceName: 'orders',
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: 'User:alice',
    host: '*',
    operation: AclOperationTypes.READ,
    permissionType: AclPermissionTypes.ALLOW,
  }
  const errorOf = (p: Promise<unknown>): Promise<unknown> => p.then(() => 'no error', (e: unknown) => e)
  const disabled = { type: 'SECURITY_DISABLED', retriable: false }
  t.match(await errorOf(admin.describeAcls({ ...acl, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY })), disabled, 'describeAcls')
  t.match(await errorOf(admin.createAcls({ acl: [acl] })), disabled, 'createAcls')
  t.match(await errorOf(admin.deleteAcls({ filters: [acl] })), disabled, 'deleteAcls')
  t.equal((await admin.describeCluster()).brokers.length, 1, 'the connection still serves')
})

t.test('admin partition reassignments: the current replicas are accepted, a bad target refused, none in progress', async t => {
  const admin: Admin = kafkaClient(broker.bootstrap).admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'moves', numPartitions: 2 }] })
  const [{ partitions }] = (await admin.fetchTopicMetadata({ topics: ['moves'] })).topics
  const node = partitions[0]!.replicas[0]!
  await admin.alterPartitionReassignments({ topics: [{ topic: 'moves', partitionAssignment: [{ partition: 0, replicas: [node] }, { partition: 1, replicas: [node] }] }] })
  t.pass('moving partitions to where they are succeeds')
  const errorOf = (p: Promise<unknown>): Promise<unknown> => p.then(() => 'no error', (e: unknown) => e)
  const bad = await errorOf(admin.alterPartitionReassignments({ topics: [{ topic: 'moves', partitionAssignment: [{ partition: 0, replicas: [node, node + 100] }] }] }))
  t.match(bad, { name: 'KafkaJSAggregateError', errors: [{ type: 'INVALID_REPLICA_ASSIGNMENT' }] }, 'a broker that does not exist is refused')
  t.same(await admin.listPartitionReassignments({}), { topics: [] }, 'nothing in progress')
  t.same(await admin.listPartitionReassignments({ topics: [{ topic: 'moves', partitions: [0, 1] }] }), { topics: [] })
})

t.test('producer: acks, keys, headers, partitions, idempotence, codecs, size limits', async t => {
  const kafka = kafkaClient(broker.bootstrap)
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 3 }] })

  const plain: Producer = kafka.producer()
  const idempotent: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await plain.connect()
  await idempotent.connect()
  t.teardown(() => Promise.all([plain.disconnect(), idempotent.disconnect()]))

  const sent: string[] = []
  for (const acks of [1, -1]) {
    for (const compression of [CompressionTypes.None, CompressionTypes.GZIP, CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD]) {
      const messages = Array.from({ length: 20 }, (_, i) => {
        const key = `k${i % 5}`
        const value = `acks${acks}-c${compression}-${i}`
        sent.push(value)
        return { key, value, headers: { source: 'kafkajs', n: String(i) } }
      })
      // kafkajs allows idempotence only with acks=all.
      const producer = acks === -1 ? idempotent : plain
      const res = await producer.send({ topic: 'events', acks, compression, messages })
      t.ok(res.every(r => r.errorCode === 0), `acks=${acks} codec=${compression}`)
    }
  }

  // acks=0 from a separate, non-idempotent producer (idempotence requires acks=all).
  const fireAndForget = kafka.producer()
  await fireAndForget.connect()
  await fireAndForget.send({ topic: 'events', acks: 0, messages: [{ key: 'k0', value: 'acks0' }] })
  sent.push('acks0')
  // The broker handles one connection's requests in order: a later acked request proves the acks=0 one landed.
  await fireAndForget.send({ topic: 'events', acks: 1, messages: [{ key: 'k0', value: 'after-acks0' }] })
  sent.push('after-acks0')

  // A value just under max.message.bytes (1048588 by default) fits; one over it is refused.
  await fireAndForget.send({ topic: 'events', messages: [{ key: 'big', value: Buffer.alloc(1_000_000, 1) }] })
  await t.rejects(
    fireAndForget.send({ topic: 'events', messages: [{ key: 'huge', value: Buffer.alloc(1_100_000, 1) }] }),
    /message larger than the max message size/,
    'an oversized message gets MESSAGE_TOO_LARGE',
  )
  await fireAndForget.disconnect()

  if (!hasKcat) {
    t.comment('kcat is not installed: skipping the read-back')
    return
  }
  const lines = await readAll('events')
  const values = lines.map(l => l.split('|')[3])
  for (const v of sent) t.ok(values.includes(v), `read back ${v}`)
  // Same key, same partition; order within a partition is the send order.
  const byKey = new Map<string, Set<string>>()
  for (const l of lines) {
    const [p, , k] = l.split('|')
    if (!byKey.has(k)) byKey.set(k, new Set())
    byKey.get(k)!.add(p)
  }
  for (const [k, parts] of byKey) t.equal(parts.size, 1, `key ${k} stays on one partition`)
  t.ok(lines.some(l => l.includes('source=kafkajs')), 'headers arrive')
})

t.test('restart keeps acknowledged messages and topic configs', async t => {
  const kafka = kafkaClient(broker.bootstrap)
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'durable', numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] })
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: 'durable', acks: -1, messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) })
  await producer.disconnect()
  await admin.disconnect()

  const dir = broker.dataDir
  await broker.stop()
  broker = await startTempBroker({ 'num.partitions': '3' }, dir)

  const admin2 = kafkaClient(broker.bootstrap).admin()
  await admin2.connect()
  t.teardown(() => admin2.disconnect())
  const offsets = await admin2.fetchTopicOffsets('durable')
  t.equal(offsets.reduce((n, o) => n + Number(o.high), 0), 50, 'all 50 messages are there')
  const cfg = await admin2.describeConfigs({ resources: [{ type: 2, name: 'durable', configNames: ['cleanup.policy'] }], includeSynonyms: false })
  t.equal(cfg.resources[0].configEntries[0].configValue, 'compact', 'the topic config survived')
  if (hasKcat) {
    const lines = await readAll('durable')
    t.equal(lines.length, 50, 'kcat reads all 50 after the restart')
  }
})

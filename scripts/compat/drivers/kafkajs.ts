// Compatibility driver for kafkajs (npm). gzip is built in; snappy is the kafkajs-snappy plug-in;
// for LZ4 and zstd kafkajs only has plug-ins that need native builds, so this driver plugs in
// Millrace's own codecs (lz4-napi frames and zstd), which other clients then have to read.

import { createRequire } from 'node:module'
import kafkajs from 'kafkajs'
import snappyCodec from 'kafkajs-snappy'
import { Compression, compress, decompress } from '../../../src/wire/index.js'
import { messageAt, type Codec, type ConsumedRecord } from '../protocol.js'
import { chunks, log, runDriver, waitFor, type Driver } from './host.js'
import { runGroupFlow } from './group-flow.js'

const { Kafka, logLevel, CompressionCodecs, CompressionTypes, ConfigResourceTypes } = kafkajs
type Consumer = ReturnType<InstanceType<typeof Kafka>['consumer']>

const version = (createRequire(import.meta.url)('kafkajs/package.json') as { version: string }).version
const bootstrap = process.argv[2]

CompressionCodecs[CompressionTypes.Snappy] = snappyCodec as never
const viaWire = (codec: number) => () => ({
  compress: async (encoder: { buffer: Buffer }) => compress(codec, encoder.buffer),
  decompress: async (buffer: Buffer) => decompress(codec, buffer),
})
CompressionCodecs[CompressionTypes.LZ4] = viaWire(Compression.Lz4) as never
CompressionCodecs[CompressionTypes.ZSTD] = viaWire(Compression.Zstd) as never
const codecType: Record<Codec, number> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
}

const levelName = ['NOTHING', 'ERROR', 'WARN', 'INFO', 'DEBUG']
const kafka = new Kafka({
  clientId: 'millrace-compat-kafkajs',
  brokers: [bootstrap],
  logLevel: logLevel.WARN,
  logCreator: () => ({ namespace, level, log: entry }) => {
    const { message, timestamp: _t, logger: _l, ...rest } = entry as Record<string, unknown>
    log(`kafkajs ${levelName[level]} [${namespace}] ${String(message)} ${JSON.stringify(rest)}`)
  },
  retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 },
})
const admin = kafka.admin()
let adminConnected: Promise<void> | null = null
const connectedAdmin = async () => {
  adminConnected ??= admin.connect()
  await adminConnected
  return admin
}

function toRecord(partition: number, m: { offset: string; key: Buffer | null; value: Buffer | null; headers?: Record<string, unknown> }): ConsumedRecord {
  const headers: [string, string][] = []
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    for (const one of Array.isArray(v) ? v : [v]) headers.push([k, Buffer.isBuffer(one) ? one.toString('utf8') : String(one)])
  }
  return [partition, Number(m.offset), m.key?.toString('utf8') ?? null, m.value?.toString('utf8') ?? null, headers]
}

let nextGroup = 0
const groupConsumerOptions = { sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 }

const driver: Driver = {
  async hello() {
    return {
      client: 'kafkajs',
      version,
      produceCodecs: ['gzip', 'snappy', 'lz4', 'zstd'],
      consumeCodecs: ['gzip', 'snappy', 'lz4', 'zstd'],
      features: ['lz4 and zstd through plug-ins over Millrace codecs (kafkajs ships none that install here)'],
    }
  },

  async metadata(topics) {
    const a = await connectedAdmin()
    const cluster = await a.describeCluster()
    const meta = await a.fetchTopicMetadata({ topics })
    return {
      brokers: cluster.brokers.map(b => ({ id: b.nodeId, host: b.host, port: b.port })),
      controllerId: cluster.controller,
      topics: meta.topics.map(t => ({
        name: t.name,
        partitions: t.partitions.map(p => ({ id: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr })),
      })),
    }
  },

  async createTopic(topic, partitions, configs) {
    const a = await connectedAdmin()
    const created = await a.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      waitForLeaders: true,
    })
    if (!created) throw new Error(`createTopics answered false: ${topic} already exists`)
  },

  async describeTopic(topic, configKeys) {
    const a = await connectedAdmin()
    const meta = await a.fetchTopicMetadata({ topics: [topic] })
    const described = await a.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: configKeys }], includeSynonyms: false })
    const configs: Record<string, string> = {}
    for (const e of described.resources[0]?.configEntries ?? []) configs[e.configName] = e.configValue
    return { partitions: meta.topics[0].partitions.length, configs }
  },

  async deleteTopic(topic) {
    await (await connectedAdmin()).deleteTopics({ topics: [topic] })
  },

  async listTopics() {
    return (await connectedAdmin()).listTopics()
  },

  async produce(req) {
    const producer = kafka.producer(req.idempotent ? { idempotent: true, maxInFlightRequests: 1 } : {})
    await producer.connect()
    try {
      const all = Array.from({ length: req.count }, (_, j) => messageAt(req.start + j, req.tag, req.partitions))
      for (const batch of chunks(all, 1000)) {
        await producer.send({
          topic: req.topic,
          acks: req.acks,
          compression: codecType[req.compression],
          messages: batch.map(m => ({ key: m.key, value: m.value, partition: m.partition, headers: Object.fromEntries(m.headers) })),
        })
      }
    } finally {
      await producer.disconnect()
    }
    return { count: req.count }
  },

  async consume(req) {
    const records: ConsumedRecord[] = []
    const consumer = kafka.consumer({
      groupId: `compat-kafkajs-read-${process.pid}-${nextGroup++}`,
      ...groupConsumerOptions,
      retry: { retries: 2 },
      ...(req.readCommitted ? { readUncommitted: false } : {}),
    })
    let crash: Error | null = null
    consumer.on(consumer.events.CRASH, e => (crash = e.payload.error))
    await consumer.connect()
    try {
      await consumer.subscribe({ topics: [req.topic], fromBeginning: true })
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) records.push(toRecord(batch.partition, m))
        },
      })
      await waitFor(() => records.length >= req.expect || crash !== null, req.timeoutMs, () => `${req.expect} records (have ${records.length})`)
      if (crash) throw crash
    } finally {
      await consumer.disconnect()
    }
    return { records }
  },

  async group(req) {
    let crash: Error | null = null
    return runGroupFlow(req, {
      failed: () => crash,
      startMember: async (name, onMessage) => {
        const consumer: Consumer = kafka.consumer({ groupId: req.groupId, ...groupConsumerOptions })
        let owned: number[] = []
        consumer.on(consumer.events.GROUP_JOIN, e => {
          owned = [...((e.payload.memberAssignment as Record<string, number[]>)[req.topic] ?? [])].sort((a, b) => a - b)
        })
        consumer.on(consumer.events.REBALANCING, () => (owned = []))
        consumer.on(consumer.events.CRASH, e => {
          log(`member ${name} crashed:`, e.payload.error)
          if (!e.payload.restart) crash = e.payload.error
        })
        await consumer.connect()
        await consumer.subscribe({ topics: [req.topic], fromBeginning: true })
        await consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            onMessage(partition, Number(message.offset), message.key?.toString('utf8') ?? null)
            await consumer.commitOffsets([{ topic: req.topic, partition, offset: String(Number(message.offset) + 1) }])
          },
        })
        return { assignment: () => owned, stop: () => consumer.disconnect() }
      },
      produce: async (start, count) => {
        await driver.produce!({ topic: req.topic, partitions: req.partitions, start, count, tag: req.tag, compression: 'none', idempotent: false, acks: -1 })
      },
      committed: async () => {
        const [topic] = await (await connectedAdmin()).fetchOffsets({ groupId: req.groupId, topics: [req.topic] })
        return Object.fromEntries(topic.partitions.map(p => [String(p.partition), Number(p.offset)]))
      },
    })
  },

  async offsets(req) {
    const a = await connectedAdmin()
    const ends = await a.fetchTopicOffsets(req.topic)
    const byPartition = (rows: { partition: number; offset: string }[], p: number) => Number(rows.find(r => r.partition === p)?.offset ?? NaN)
    const byTime: number[][] = Array.from({ length: req.partitions }, () => [])
    for (const ts of req.timestamps) {
      const rows = await a.fetchTopicOffsetsByTimestamp(req.topic, ts)
      for (let p = 0; p < req.partitions; p++) byTime[p].push(byPartition(rows, p))
    }
    return {
      earliest: Array.from({ length: req.partitions }, (_, p) => Number(ends.find(r => r.partition === p)?.low ?? NaN)),
      latest: Array.from({ length: req.partitions }, (_, p) => Number(ends.find(r => r.partition === p)?.high ?? NaN)),
      byTime,
    }
  },

  async transactions(req) {
    const producer = kafka.producer({ transactionalId: req.transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 30_000 })
    await producer.connect() // InitProducerId with the transactional id
    let committed = 0
    let aborted = 0
    try {
      for (const step of req.transactions) {
        const tx = await producer.transaction()
        try {
          const all = Array.from({ length: step.count }, (_, j) => messageAt(step.start + j, req.tag, req.partitions))
          for (const batch of chunks(all, 1000)) {
            await tx.send({ topic: req.topic, acks: -1, messages: batch.map(m => ({ key: m.key, value: m.value, partition: m.partition, headers: Object.fromEntries(m.headers) })) })
          }
          if (step.offsets) {
            const partitions = Object.entries(step.offsets).map(([p, offset]) => ({ partition: Number(p), offset: String(offset) }))
            await tx.sendOffsets({ consumerGroupId: req.groupId, topics: [{ topic: req.offsetsTopic, partitions }] })
          }
          if (step.commit) {
            await tx.commit()
            committed++
          } else {
            await tx.abort()
            aborted++
          }
        } catch (e) {
          if (tx.isActive()) await tx.abort().catch(err => log('abort after a failure failed:', err))
          throw e
        }
      }
    } finally {
      await producer.disconnect()
    }
    return { committed, aborted }
  },

  async close() {
    if (adminConnected) await admin.disconnect()
  },
}

runDriver(driver)

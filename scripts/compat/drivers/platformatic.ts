// Compatibility driver for @platformatic/kafka (npm; pure TypeScript, modern flexible API
// versions). Its codecs come from Node's zlib and its own WASM builds; zstd needs Node 22's zlib.

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import {
  Admin,
  ConfigResourceTypes,
  Consumer,
  FetchIsolationLevels,
  MessagesStreamModes,
  Producer,
  compressionsAlgorithms,
  stringDeserializers,
  stringSerializers,
  type Message,
} from '@platformatic/kafka'
import { messageAt, type Codec, type ConsumedRecord, type ProduceRequest } from '../protocol.js'
import { chunks, log, runDriver, waitFor, type Driver } from './host.js'
import { runGroupFlow } from './group-flow.js'

// The package exports no ./package.json; read it next to its dist/ folder.
const packageDir = dirname(dirname(createRequire(import.meta.url).resolve('@platformatic/kafka')))
const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version
const bootstrap = process.argv[2]
const base = { clientId: 'millrace-compat-platformatic', bootstrapBrokers: [bootstrap], retries: 5, retryDelay: 200 }
const codecs: Codec[] = (['gzip', 'snappy', 'lz4', 'zstd'] as const).filter(c => compressionsAlgorithms[c].available)

let adminClient: Admin | null = null
const admin = () => (adminClient ??= new Admin(base))

type StrMessage = Message<string, string, string, string>

function toRecord(m: StrMessage): ConsumedRecord {
  return [m.partition, Number(m.offset), m.key ?? null, m.value ?? null, [...m.headers.entries()].map(([k, v]) => [String(k), String(v)])]
}

async function produce(req: ProduceRequest): Promise<void> {
  const producer = new Producer({ ...base, serializers: stringSerializers, idempotent: req.idempotent, acks: req.acks, compression: req.compression, autocreateTopics: false })
  try {
    const all = Array.from({ length: req.count }, (_, j) => messageAt(req.start + j, req.tag, req.partitions))
    for (const batch of chunks(all, 500)) {
      await producer.send({ messages: batch.map(m => ({ topic: req.topic, key: m.key, value: m.value, partition: m.partition, headers: new Map(m.headers) })) })
    }
  } finally {
    await producer.close()
  }
}

let groups = 0
const groupOptions = { sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 500, maxWaitTime: 200 }

const driver: Driver = {
  async hello() {
    const missing = (['gzip', 'snappy', 'lz4', 'zstd'] as const).filter(c => !codecs.includes(c))
    return {
      client: 'platformatic',
      version,
      produceCodecs: codecs,
      consumeCodecs: codecs,
      readsXerialSnappy: false,
      features: [
        ...(missing.length ? [`no ${missing.join(', ')} on Node ${process.versions.node} (needs Node 22's zlib)`] : []),
        'reads raw snappy blocks only, not the xerial framing kafka-python and the Java client write',
      ],
    }
  },

  async metadata(topics) {
    const md = await admin().metadata({ topics, forceUpdate: true })
    return {
      brokers: [...md.brokers].map(([id, b]) => ({ id, host: b.host, port: b.port })),
      controllerId: md.controllerId,
      topics: [...md.topics].map(([name, t]) => ({
        name,
        partitions: t.partitions.map((p, id) => ({ id, leader: p.leader, replicas: p.replicas, isr: p.isr })),
      })),
    }
  },

  async createTopic(topic, partitions, configs) {
    await admin().createTopics({ topics: [topic], partitions, replicas: 1, configs: Object.entries(configs).map(([name, value]) => ({ name, value })) })
  },

  async describeTopic(topic, configKeys) {
    const md = await admin().metadata({ topics: [topic], forceUpdate: true })
    const [described] = await admin().describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: configKeys }] })
    const configs: Record<string, string> = {}
    for (const c of described?.configs ?? []) if (typeof c.value === 'string') configs[c.name] = c.value
    return { partitions: md.topics.get(topic)!.partitionsCount, configs }
  },

  async deleteTopic(topic) {
    await admin().deleteTopics({ topics: [topic] })
  },

  async listTopics() {
    return admin().listTopics()
  },

  async produce(req) {
    await produce(req)
    return { count: req.count }
  },

  async consume(req) {
    const consumer = new Consumer({
      ...base,
      groupId: `compat-plt-read-${process.pid}-${groups++}`,
      deserializers: stringDeserializers,
      autocommit: false,
      ...groupOptions,
      ...(req.readCommitted ? { isolationLevel: FetchIsolationLevels.READ_COMMITTED } : {}),
    })
    const records: ConsumedRecord[] = []
    let failure: Error | null = null
    try {
      const stream = await consumer.consume({ topics: [req.topic], mode: MessagesStreamModes.EARLIEST, autocommit: false })
      stream.on('data', (m: StrMessage) => records.push(toRecord(m)))
      stream.on('error', (e: Error) => (failure = e))
      await waitFor(() => records.length >= req.expect || failure !== null, req.timeoutMs, () => `${req.expect} records (have ${records.length})`)
      if (failure) throw failure
      await stream.close()
    } finally {
      await consumer.close(true)
    }
    return { records }
  },

  async group(req) {
    let failure: Error | null = null
    return runGroupFlow(req, {
      failed: () => failure,
      startMember: async (name, onMessage) => {
        const consumer = new Consumer({ ...base, groupId: req.groupId, deserializers: stringDeserializers, autocommit: false, ...groupOptions })
        let owned: number[] = []
        consumer.on('consumer:group:join', p => {
          owned = [...(p.assignments?.find(a => a.topic === req.topic)?.partitions ?? [])].sort((a, b) => a - b)
        })
        consumer.on('consumer:group:rebalance', () => (owned = []))
        const stream = await consumer.consume({ topics: [req.topic], mode: MessagesStreamModes.COMMITTED, fallbackMode: 'earliest', autocommit: false })
        stream.on('error', (e: Error) => {
          log(`member ${name} stream error:`, e)
          failure = e
        })
        stream.on('data', (m: StrMessage) => {
          onMessage(m.partition, Number(m.offset), m.key ?? null)
          stream.pause()
          Promise.resolve(m.commit())
            .catch(e => log(`member ${name} commit failed:`, e))
            .finally(() => stream.resume())
        })
        return {
          assignment: () => owned,
          stop: async () => {
            await stream.close()
            await consumer.close(true)
          },
        }
      },
      produce: (start, count) => produce({ topic: req.topic, partitions: req.partitions, start, count, tag: req.tag, compression: 'none', idempotent: false, acks: -1 }),
      committed: async () => {
        const [group] = await admin().listConsumerGroupOffsets({ groups: [req.groupId] })
        const topic = group?.topics.find(t => t.name === req.topic)
        return Object.fromEntries((topic?.partitions ?? []).map(p => [String(p.partitionIndex), Number(p.committedOffset)]))
      },
    })
  },

  async offsets(req) {
    const ask = async (timestamp: bigint): Promise<number[]> => {
      const [topic] = await admin().listOffsets({ topics: [{ name: req.topic, partitions: Array.from({ length: req.partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp })) }] })
      const out: number[] = []
      for (const p of topic.partitions) out[p.partitionIndex] = Number(p.offset)
      return out
    }
    const earliest = await ask(-2n)
    const latest = await ask(-1n)
    const byTime: number[][] = Array.from({ length: req.partitions }, () => [])
    for (const ts of req.timestamps) {
      const row = await ask(BigInt(ts))
      for (let p = 0; p < req.partitions; p++) byTime[p].push(row[p])
    }
    return { earliest, latest, byTime }
  },

  async transactions(req) {
    const producer = new Producer({ ...base, serializers: stringSerializers, idempotent: true, transactionalId: req.transactionalId, acks: -1, autocreateTopics: false })
    // Its transactions take offsets only as consumed messages (addOffset commits message.offset + 1
    // for the group of the consumer that read it, with that member's id and generation): a member
    // of the group reads the offsets topic first, and the offset o is sent as the message at o - 1.
    const wanted = new Set(req.transactions.flatMap(s => Object.entries(s.offsets ?? {}).map(([p, o]) => `${p}@${o - 1}`)))
    const consumed = new Map<string, StrMessage>()
    let consumer: Consumer<string, string, string, string> | null = null
    let stream: Awaited<ReturnType<Consumer<string, string, string, string>['consume']>> | null = null
    let committed = 0
    let aborted = 0
    try {
      if (wanted.size) {
        consumer = new Consumer({ ...base, groupId: req.groupId, deserializers: stringDeserializers, autocommit: false, ...groupOptions })
        let failure: Error | null = null
        stream = await consumer.consume({ topics: [req.offsetsTopic], mode: MessagesStreamModes.EARLIEST, autocommit: false })
        stream.on('data', (m: StrMessage) => consumed.set(`${m.partition}@${m.offset}`, m))
        stream.on('error', (e: Error) => (failure = e))
        await waitFor(
          () => [...wanted].every(k => consumed.has(k)),
          req.timeoutMs / 2,
          () => `the group member to read ${[...wanted].filter(k => !consumed.has(k)).join(', ')} of ${req.offsetsTopic}`,
          () => failure,
        )
      }
      for (const step of req.transactions) {
        const tx = await producer.beginTransaction()
        try {
          const all = Array.from({ length: step.count }, (_, j) => messageAt(step.start + j, req.tag, req.partitions))
          for (const batch of chunks(all, 500)) {
            await tx.send({ messages: batch.map(m => ({ topic: req.topic, key: m.key, value: m.value, partition: m.partition, headers: new Map(m.headers) })) })
          }
          if (step.offsets) {
            await tx.addConsumer(consumer!)
            for (const [p, o] of Object.entries(step.offsets)) await tx.addOffset(consumed.get(`${p}@${o - 1}`)!)
          }
          if (step.commit) {
            await tx.commit()
            committed++
          } else {
            await tx.abort()
            aborted++
          }
        } catch (e) {
          if (!tx.completed) await tx.abort().catch(err => log('abort after a failure failed:', err))
          throw e
        }
      }
    } finally {
      await stream?.close()
      await consumer?.close(true)
      await producer.close()
    }
    return { committed, aborted }
  },

  async close() {
    await adminClient?.close()
  },
}

runDriver(driver)

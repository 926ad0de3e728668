// Compatibility driver for node-rdkafka (npm; its own librdkafka, built from the bundled source).
// Its AdminClient creates and deletes topics but cannot describe configs (the runner then checks
// the configs itself).

import { createRequire } from 'node:module'
import Kafka from 'node-rdkafka'
import { messageAt, type Codec, type ConsumedRecord, type ProduceRequest } from '../protocol.js'
import { log, runDriver, waitFor, type Driver } from './host.js'
import { runGroupFlow } from './group-flow.js'

const version = (createRequire(import.meta.url)('node-rdkafka/package.json') as { version: string }).version
const bootstrap = process.argv[2]
const base = { 'metadata.broker.list': bootstrap, 'client.id': 'millrace-compat-node-rdkafka', log_level: 4 }

type Producer = InstanceType<typeof Kafka.Producer>
type Consumer = InstanceType<typeof Kafka.KafkaConsumer>

const logEvents = (who: string, c: { on(ev: string, fn: (...a: any[]) => void): unknown }) => {
  c.on('event.log', (e: { severity: number; fac: string; message: string }) => log(`${who} librdkafka ${e.severity} ${e.fac}: ${e.message}`))
  c.on('event.error', (e: Error) => log(`${who} error: ${e.message}`))
}

const promised = <T>(fn: (cb: (err: unknown, v: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((err, v) => (err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(v))))

async function connected<C extends Producer | Consumer>(c: C): Promise<C> {
  await promised<unknown>(cb => (c as Producer).connect({ timeout: 10_000 }, cb as never))
  return c
}

function disconnect(c: Producer | Consumer): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(resolve, 10_000)
    c.disconnect(() => {
      clearTimeout(timer)
      resolve()
    })
  })
}

let metaProducer: Promise<Producer> | null = null
const metadataClient = () => (metaProducer ??= connected(new Kafka.Producer({ ...base })))

let admin: ReturnType<typeof Kafka.AdminClient.create> | null = null
const adminClient = () => (admin ??= Kafka.AdminClient.create({ ...base }))

async function produce(req: ProduceRequest): Promise<void> {
  const conf: Record<string, unknown> = { ...base, dr_cb: true, 'compression.codec': req.compression, 'linger.ms': 5, acks: req.acks, 'queue.buffering.max.messages': 200_000 }
  if (req.idempotent) conf['enable.idempotence'] = true
  const producer = new Kafka.Producer(conf)
  logEvents('producer', producer)
  let delivered = 0
  const errors: string[] = []
  producer.on('delivery-report', (err: unknown) => {
    delivered++
    if (err) errors.push(String((err as Error).message ?? err))
  })
  await connected(producer)
  producer.setPollInterval(5)
  try {
    for (let i = req.start; i < req.start + req.count; i++) {
      const m = messageAt(i, req.tag, req.partitions)
      producer.produce(req.topic, m.partition, Buffer.from(m.value), m.key, null, null, m.headers.map(([k, v]) => ({ [k]: Buffer.from(v) })))
    }
    await promised<void>(cb => producer.flush(60_000, cb as never))
    await waitFor(() => delivered >= req.count, 30_000, () => `${req.count} delivery reports (have ${delivered})`)
    if (errors.length) throw new Error(`${errors.length} delivery errors, first: ${errors[0]}`)
  } finally {
    await disconnect(producer)
  }
}

function toRecord(m: Kafka.Message): ConsumedRecord {
  const headers: [string, string][] = []
  for (const h of m.headers ?? []) for (const [k, v] of Object.entries(h)) headers.push([k, Buffer.isBuffer(v) ? v.toString('utf8') : String(v)])
  const key = m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key.toString('utf8') : String(m.key)
  return [m.partition, m.offset, key, m.value?.toString('utf8') ?? null, headers]
}

let groups = 0
const codecs: Codec[] = (['gzip', 'snappy', 'lz4', 'zstd'] as const).filter(c => Kafka.features.includes(c))

const driver: Driver = {
  async hello() {
    const missing = (['gzip', 'snappy', 'lz4', 'zstd'] as const).filter(c => !codecs.includes(c))
    return {
      client: 'node-rdkafka',
      version: `${version.replace(/^v/, '')} (librdkafka ${Kafka.librdkafkaVersion})`,
      produceCodecs: codecs,
      consumeCodecs: codecs,
      features: [
        'AdminClient cannot describe configs: the runner checks them itself',
        ...(missing.length ? [`built without ${missing.join(', ')} (librdkafka built where libzstd-dev was not installed)`] : []),
      ],
    }
  },

  async metadata(topics) {
    const p = await metadataClient()
    const md = await promised<Kafka.Metadata>(cb => p.getMetadata({ timeout: 10_000 }, cb as never))
    return {
      brokers: md.brokers.map(b => ({ id: b.id, host: b.host, port: b.port })),
      controllerId: null,
      topics: md.topics
        .filter(t => topics.includes(t.name))
        .map(t => ({ name: t.name, partitions: t.partitions.map(x => ({ id: x.id, leader: x.leader, replicas: x.replicas, isr: x.isrs })).sort((a, b) => a.id - b.id) })),
    }
  },

  async createTopic(topic, partitions, configs) {
    await promised<void>(cb => adminClient().createTopic({ topic, num_partitions: partitions, replication_factor: 1, config: configs }, 10_000, cb as never))
  },

  async describeTopic(topic) {
    const p = await metadataClient()
    const md = await promised<Kafka.Metadata>(cb => p.getMetadata({ topic, timeout: 10_000 }, cb as never))
    const t = md.topics.find(x => x.name === topic)
    if (!t) throw new Error(`topic ${topic} is not in the metadata`)
    return { partitions: t.partitions.length, configs: null }
  },

  async deleteTopic(topic) {
    await promised<void>(cb => adminClient().deleteTopic(topic, 10_000, cb as never))
  },

  async listTopics() {
    const p = await metadataClient()
    const md = await promised<Kafka.Metadata>(cb => p.getMetadata({ timeout: 10_000 }, cb as never))
    return md.topics.map(t => t.name)
  },

  async produce(req) {
    await produce(req)
    return { count: req.count }
  },

  async consume(req) {
    const consumer = new Kafka.KafkaConsumer(
      {
        ...base,
        'group.id': `compat-nrd-read-${process.pid}-${groups++}`,
        'enable.auto.commit': false,
        'fetch.wait.max.ms': 100,
        ...(req.readCommitted ? { 'isolation.level': 'read_committed' } : {}),
      },
      { 'auto.offset.reset': 'earliest' },
    )
    logEvents('consumer', consumer)
    await connected(consumer)
    consumer.setDefaultConsumeTimeout(100)
    const records: ConsumedRecord[] = []
    try {
      consumer.assign(Array.from({ length: req.partitions }, (_, partition) => ({ topic: req.topic, partition, offset: -2 })))
      const deadline = Date.now() + req.timeoutMs
      while (records.length < req.expect && Date.now() < deadline) {
        const batch = await promised<Kafka.Message[]>(cb => consumer.consume(1000, cb as never))
        for (const m of batch) records.push(toRecord(m))
      }
    } finally {
      await disconnect(consumer)
    }
    return { records }
  },

  async group(req) {
    return runGroupFlow(req, {
      startMember: async (name, onMessage) => {
        let owned: number[] = []
        const consumer: Consumer = new Kafka.KafkaConsumer(
          {
            ...base,
            'group.id': req.groupId,
            'enable.auto.commit': false,
            'session.timeout.ms': 10_000,
            'heartbeat.interval.ms': 500,
            'fetch.wait.max.ms': 100,
            rebalance_cb(this: Consumer, err: { code: number }, assignment: { topic: string; partition: number }[]) {
              if (err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
                owned = assignment.filter(a => a.topic === req.topic).map(a => a.partition).sort((a, b) => a - b)
                this.assign(assignment)
              } else {
                owned = []
                this.unassign()
              }
            },
          },
          { 'auto.offset.reset': 'earliest' },
        )
        logEvents(`member ${name}`, consumer)
        consumer.on('data', m => {
          onMessage(m.partition, m.offset, m.key === undefined || m.key === null ? null : String(m.key))
          consumer.commitMessageSync(m)
        })
        await connected(consumer)
        consumer.subscribe([req.topic])
        consumer.consume()
        return { assignment: () => owned, stop: () => disconnect(consumer) }
      },
      produce: (start, count) => produce({ topic: req.topic, partitions: req.partitions, start, count, tag: req.tag, compression: 'none', idempotent: false, acks: -1 }),
      committed: async () => {
        const c = await connected(new Kafka.KafkaConsumer({ ...base, 'group.id': req.groupId, 'enable.auto.commit': false }, {}))
        try {
          const tps = Array.from({ length: req.partitions }, (_, partition) => ({ topic: req.topic, partition }))
          const got = await promised<Kafka.TopicPartitionOffset[]>(cb => c.committed(tps, 10_000, cb as never))
          return Object.fromEntries(got.map(t => [String(t.partition), t.offset]))
        } finally {
          await disconnect(c)
        }
      },
    })
  },

  async offsets(req) {
    const c = await connected(new Kafka.KafkaConsumer({ ...base, 'group.id': `compat-nrd-offsets-${process.pid}`, 'enable.auto.commit': false }, {}))
    try {
      const earliest: number[] = []
      const latest: number[] = []
      for (let p = 0; p < req.partitions; p++) {
        const w = await promised<Kafka.WatermarkOffsets>(cb => c.queryWatermarkOffsets(req.topic, p, 10_000, cb as never))
        earliest.push(w.lowOffset)
        latest.push(w.highOffset)
      }
      const byTime: number[][] = Array.from({ length: req.partitions }, () => [])
      for (const ts of req.timestamps) {
        const tps = Array.from({ length: req.partitions }, (_, partition) => ({ topic: req.topic, partition, offset: ts }))
        const got = await promised<Kafka.TopicPartitionOffset[]>(cb => c.offsetsForTimes(tps, 10_000, cb as never))
        for (const t of got) byTime[t.partition].push(t.offset)
      }
      return { earliest, latest, byTime }
    } finally {
      await disconnect(c)
    }
  },

  async transactions(req) {
    const producer = new Kafka.Producer({ ...base, dr_cb: true, 'transactional.id': req.transactionalId, 'transaction.timeout.ms': 30_000, 'linger.ms': 5 })
    logEvents('tx producer', producer)
    let delivered = 0
    const errors: string[] = []
    producer.on('delivery-report', (err: unknown) => {
      delivered++
      if (err) errors.push(String((err as Error).message ?? err))
    })
    // sendOffsetsToTransaction takes the group's metadata from a consumer of that group.
    const consumer: Consumer = new Kafka.KafkaConsumer({ ...base, 'group.id': req.groupId, 'enable.auto.commit': false }, {})
    logEvents('group consumer', consumer)
    let committed = 0
    let aborted = 0
    await connected(producer)
    producer.setPollInterval(5)
    try {
      await connected(consumer)
      await promised<void>(cb => producer.initTransactions(30_000, cb as never))
      for (const step of req.transactions) {
        await promised<void>(cb => producer.beginTransaction(cb as never))
        const target = delivered + step.count
        for (let i = step.start; i < step.start + step.count; i++) {
          const m = messageAt(i, req.tag, req.partitions)
          producer.produce(req.topic, m.partition, Buffer.from(m.value), m.key, null, null, m.headers.map(([k, v]) => ({ [k]: Buffer.from(v) })))
        }
        if (step.offsets) {
          const offsets = Object.entries(step.offsets).map(([p, offset]) => ({ topic: req.offsetsTopic, partition: Number(p), offset }))
          await promised<void>(cb => producer.sendOffsetsToTransaction(offsets, consumer, 30_000, cb as never))
        }
        if (step.commit) {
          await promised<void>(cb => producer.commitTransaction(30_000, cb as never))
          committed++
        } else {
          // abortTransaction drops what is still queued: deliver everything first, so the aborted
          // records are in the log and the broker has to hide them.
          await promised<void>(cb => producer.flush(30_000, cb as never))
          await waitFor(() => delivered >= target, 30_000, () => `${step.count} delivery reports before the abort (have ${delivered - target + step.count})`)
          await promised<void>(cb => producer.abortTransaction(30_000, cb as never))
          aborted++
        }
        await waitFor(() => delivered >= target, 30_000, () => `${step.count} delivery reports`)
        if (errors.length) throw new Error(`${errors.length} delivery errors, first: ${errors[0]}`)
      }
    } finally {
      await disconnect(consumer)
      await disconnect(producer)
    }
    return { committed, aborted }
  },

  async close() {
    admin?.disconnect()
    if (metaProducer) await disconnect(await metaProducer)
  },
}

runDriver(driver)

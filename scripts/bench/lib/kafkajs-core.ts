// Producer and consumer throughput through the stock kafkajs client (2.2.4).
// Producer: producer.send() with --batch-records messages per call, --in-flight calls at once.
// Consumer: a kafkajs consumer group when the broker offers the group APIs; otherwise kafkajs's
// own lower-level pieces, which are what its consumer runs underneath the group protocol: the
// Cluster (metadata, connections), Broker.fetch (request encoding, record-batch decoding into
// messages) and Batch (offset filtering), one fetch in flight at a time as its consumer does.

import { createRequire } from 'node:module'
import { Kafka, logLevel } from 'kafkajs'
import { ApiKey } from '../../../src/wire/index.js'
import { RawConnection } from './raw-connection.js'
import { apiVersions, ensureTopic, listOffsets } from './kafka.js'
import { makePayload, runProducer } from './produce-core.js'
import { nowUs } from './stats.js'

const require = createRequire(import.meta.url)

export interface KafkajsOptions {
  bootstrap: string
  host: string
  port: number
  topic: string
  numRecords: number
  durationMs: number
  recordSize: number
  batchRecords: number
  inFlight: number
  acks: number
  consumeRecords: number
  consumeTimeoutMs: number
}

export interface KafkajsResult {
  produce: { records: number; seconds: number; recordsPerSec: number; mibPerSec: number }
  consume: {
    mode: 'group' | 'lower-level' | 'n/a'
    records: number
    seconds: number
    recordsPerSec: number
    mibPerSec: number
    /** Group mode: from subscribing to the first batch (joining the group, first fetch), ms. */
    firstBatchMs?: number
    /** Group mode: rate from the first batch on (without the join). */
    steadyRecordsPerSec?: number
    note?: string
  }
}

const GROUP_APIS = [ApiKey.FindCoordinator, ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.Heartbeat, ApiKey.OffsetFetch, ApiKey.OffsetCommit, ApiKey.LeaveGroup]

interface KjsBroker {
  fetch(req: object): Promise<{ responses: { topicName: string; partitions: { partition: number; errorCode: number; messages: { offset: string; value: Buffer | null }[] }[] }[] }>
}
interface KjsCluster {
  connect(): Promise<void>
  disconnect(): Promise<void>
  addTargetTopic(topic: string): Promise<void>
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[]
  findBroker(q: { nodeId: number }): Promise<KjsBroker>
}

export async function runKafkajs(o: KafkajsOptions): Promise<KafkajsResult> {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
  const admin = await RawConnection.open(o.host, o.port)
  const versions = await apiVersions(admin)
  await ensureTopic(admin, versions, o.topic, 1)
  const groups = GROUP_APIS.every(k => versions.has(k))
  const start = (await listOffsets(admin, versions, o.topic, 1, -2))[0]!
  admin.close()

  const kafka = new Kafka({ clientId: 'millrace-bench-kafkajs', brokers: [o.bootstrap], logLevel: logLevel.NOTHING })

  // Produce.
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const payload = makePayload(o.recordSize)
  const messages = Array.from({ length: o.batchRecords }, () => ({ value: payload }))
  let produced = 0
  const t0 = nowUs()
  const until = o.durationMs > 0 ? t0 + o.durationMs * 1000 : Infinity
  const worker = async (): Promise<void> => {
    while (produced < o.numRecords && nowUs() < until) {
      produced += messages.length
      await producer.send({ topic: o.topic, acks: o.acks, messages })
    }
  }
  await Promise.all(Array.from({ length: o.inFlight }, worker))
  const pSecs = (nowUs() - t0) / 1e6
  await producer.disconnect()
  const produce = { records: produced, seconds: pSecs, recordsPerSec: produced / pSecs, mibPerSec: (produced * o.recordSize) / 2 ** 20 / pSecs }

  // Consume: top the topic up to consumeRecords with the bench's own producer first (untimed), so
  // the consumer has a worthwhile amount to read even though kafkajs produces slowly.
  if (produced < o.consumeRecords) {
    await runProducer({
      host: o.host,
      port: o.port,
      topic: o.topic,
      partitions: 1,
      numRecords: o.consumeRecords - produced,
      recordSize: o.recordSize,
      throughput: -1,
      acks: 1,
      batchBytes: 1 << 20,
      lingerMs: 0,
      maxInFlight: 5,
      compression: 'none',
      reportingIntervalMs: 3_600_000,
      log: () => {},
    })
  }
  const want = o.consumeRecords
  let consume: KafkajsResult['consume']
  if (groups) {
    consume = await consumeWithGroup(kafka, o, want)
  } else {
    consume = await consumeLowerLevel(kafka, o, want, start)
  }
  return { produce, consume }
}

async function consumeWithGroup(kafka: Kafka, o: KafkajsOptions, want: number): Promise<KafkajsResult['consume']> {
  const consumer = kafka.consumer({ groupId: `millrace-bench-${Date.now()}`, maxBytesPerPartition: 1 << 20 })
  await consumer.connect()
  await consumer.subscribe({ topic: o.topic, fromBeginning: true })
  let got = 0
  let firstCount = 0
  const t0 = nowUs()
  let tEnd = t0
  let tFirst = 0
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kafkajs consumer saw ${got} of ${want} records in ${o.consumeTimeoutMs} ms`)), o.consumeTimeoutMs)
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (!tFirst) {
            tFirst = nowUs()
            firstCount = batch.messages.length
          }
          got += batch.messages.length
          if (got >= want) {
            tEnd = nowUs()
            clearTimeout(timer)
            resolve()
          }
        },
      })
      .catch(reject)
  })
  await consumer.disconnect()
  const secs = (tEnd - t0) / 1e6
  const steadySecs = (tEnd - tFirst) / 1e6
  return {
    mode: 'group',
    records: got,
    seconds: secs,
    recordsPerSec: got / secs,
    mibPerSec: (got * o.recordSize) / 2 ** 20 / secs,
    firstBatchMs: (tFirst - t0) / 1000,
    steadyRecordsPerSec: steadySecs > 0 ? (got - firstCount) / steadySecs : NaN,
    note: 'consumer group (subscribe, join, eachBatch)',
  }
}

async function consumeLowerLevel(kafka: Kafka, o: KafkajsOptions, want: number, startOffset: number): Promise<KafkajsResult['consume']> {
  const sym = Object.getOwnPropertySymbols(kafka).find(s => s.description === 'private:Kafka:createCluster')
  if (!sym) return { mode: 'n/a', records: 0, seconds: 0, recordsPerSec: 0, mibPerSec: 0, note: 'n/a (groups): no group APIs and kafkajs internals not found' }
  const createCluster = (kafka as unknown as Record<symbol, (o: object) => KjsCluster>)[sym]!
  const cluster = createCluster({ metadataMaxAge: 300_000, allowAutoTopicCreation: false, maxInFlightRequests: null, isolationLevel: 0 })
  const Batch = require('kafkajs/src/consumer/batch.js') as new (topic: string, fetchedOffset: string, partitionData: object) => {
    messages: { offset: string; value: Buffer | null }[]
    isEmpty(): boolean
    lastOffset(): string
  }
  await cluster.connect()
  await cluster.addTargetTopic(o.topic)
  const leader = cluster.findTopicPartitionMetadata(o.topic).find(p => p.partitionId === 0)!.leader
  const broker = await cluster.findBroker({ nodeId: leader })
  let offset = startOffset
  let got = 0
  let bytes = 0
  const t0 = nowUs()
  const deadline = t0 + o.consumeTimeoutMs * 1000
  while (got < want && nowUs() < deadline) {
    const { responses } = await broker.fetch({
      replicaId: -1,
      isolationLevel: 0,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 10 << 20,
      topics: [{ topic: o.topic, partitions: [{ partition: 0, fetchOffset: String(offset), maxBytes: 1 << 20 }] }],
    })
    for (const r of responses) {
      for (const p of r.partitions) {
        if (p.errorCode) throw new Error(`kafkajs fetch: error ${p.errorCode}`)
        const batch = new Batch(r.topicName, String(offset), p)
        if (batch.isEmpty()) continue
        for (const m of batch.messages) bytes += m.value?.length ?? 0
        got += batch.messages.length
        offset = Number(batch.lastOffset()) + 1
      }
    }
  }
  const secs = (nowUs() - t0) / 1e6
  await cluster.disconnect()
  return {
    mode: 'lower-level',
    records: got,
    seconds: secs,
    recordsPerSec: got / secs,
    mibPerSec: bytes / 2 ** 20 / secs,
    note: 'group APIs missing: kafkajs Cluster + Broker.fetch + Batch, one fetch in flight',
  }
}

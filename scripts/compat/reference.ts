// The runner's own view of the broker, through Millrace's small protocol client rather than any
// of the clients under test: it creates topics, writes records with chosen timestamps, reads the
// stored batches as they are (codec, producer id, sequences, transaction markers), reads them as a
// read_committed consumer would, and reads committed offsets.

import { ClientConnection } from '../../src/client/index.js'
import {
  ApiKey,
  BatchAttribute,
  ControlRecordType,
  buildBatch,
  compressionName,
  decodeBatchRecords,
  decodeControlRecordKey,
  splitBatches,
  type BatchHeader,
  type Record as WireRecord,
} from '../../src/wire/index.js'

export interface PartitionRead {
  batches: StoredBatch[]
  /** Sorted by first offset. */
  abortedTransactions: { producerId: number; firstOffset: number }[]
  highWatermark: number
  lastStableOffset: number
}

export interface StoredBatch {
  header: BatchHeader
  codec: string
  records: WireRecord[]
}

const TOPIC_RESOURCE = 2

function check(errorCode: number | undefined, what: string, message?: string | null): void {
  if (errorCode) throw new Error(`${what}: error code ${errorCode}${message ? ` (${message})` : ''}`)
}

export class Reference {
  private constructor(private readonly conn: ClientConnection) {}

  static async open(bootstrap: string): Promise<Reference> {
    const i = bootstrap.lastIndexOf(':')
    return new Reference(await ClientConnection.open(bootstrap.slice(0, i), Number(bootstrap.slice(i + 1)), 'millrace-compat-reference'))
  }

  close(): void {
    this.conn.close()
  }

  async metadata(topics: string[] | null) {
    return this.conn.send(ApiKey.Metadata, 4, { topics: topics?.map(name => ({ name })) ?? null, allowAutoTopicCreation: false })
  }

  async topicExists(topic: string): Promise<boolean> {
    const m = await this.metadata([topic])
    return m.topics.some(t => t.name === topic && t.errorCode === 0)
  }

  async createTopic(topic: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
    const res = await this.conn.send(ApiKey.CreateTopics, 4, {
      topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      timeoutMs: 10_000,
      validateOnly: false,
    })
    const r = res.topics[0]
    check(r.errorCode, `CreateTopics ${topic}`, r.errorMessage)
    // Wait until every partition has a leader, as clients expect right after creation.
    for (let i = 0; i < 100; i++) {
      const m = await this.metadata([topic])
      const t = m.topics.find(x => x.name === topic)
      if (t && t.errorCode === 0 && t.partitions.length === partitions && t.partitions.every(p => p.leaderId >= 0)) return
      await new Promise(r => setTimeout(r, 50))
    }
    throw new Error(`topic ${topic} has no leaders 5 s after creation`)
  }

  async deleteTopic(topic: string): Promise<void> {
    const res = await this.conn.send(ApiKey.DeleteTopics, 1, { topicNames: [topic], timeoutMs: 10_000 })
    check(res.responses[0]?.errorCode, `DeleteTopics ${topic}`)
  }

  async topicConfigs(topic: string, keys: string[]): Promise<Record<string, string | null>> {
    const res = await this.conn.send(ApiKey.DescribeConfigs, 1, {
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: keys }],
      includeSynonyms: false,
    })
    const r = res.results[0]
    check(r.errorCode, `DescribeConfigs ${topic}`, r.errorMessage)
    return Object.fromEntries(r.configs.map(c => [c.name, c.value]))
  }

  /** Appends one uncompressed batch per call: records with the given timestamps. */
  async produceWithTimestamps(topic: string, partition: number, timestamps: number[]): Promise<void> {
    const records = await buildBatch({
      records: timestamps.map((timestamp, i) => ({ key: Buffer.from(`t-${i}`), value: Buffer.from(`at ${timestamp}`), timestamp })),
    })
    const res = await this.conn.send(ApiKey.Produce, 7, { acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] })
    check(res.responses[0].partitionResponses[0].errorCode, `Produce ${topic}-${partition}`)
  }

  async deleteRecordsBefore(topic: string, partition: number, offset: number): Promise<void> {
    const res = await this.conn.send(ApiKey.DeleteRecords, 1, { topics: [{ name: topic, partitions: [{ partitionIndex: partition, offset }] }], timeoutMs: 10_000 })
    check(res.topics[0].partitions[0].errorCode, `DeleteRecords ${topic}-${partition}`)
  }

  /** [logStartOffset, highWatermark] of each partition. */
  async offsetRange(topic: string, partitions: number): Promise<[number, number][]> {
    const out: [number, number][] = []
    for (let p = 0; p < partitions; p++) {
      const ask = async (timestamp: number) => {
        const res = await this.conn.send(ApiKey.ListOffsets, 1, { replicaId: -1, topics: [{ name: topic, partitions: [{ partitionIndex: p, timestamp }] }] })
        const r = res.topics[0].partitions[0]
        check(r.errorCode, `ListOffsets ${topic}-${p}`)
        return r.offset ?? -1
      }
      out.push([await ask(-2), await ask(-1)])
    }
    return out
  }

  /** Every batch stored in a partition, as written (header untouched), with its records decoded. */
  async batches(topic: string, partition: number): Promise<StoredBatch[]> {
    return (await this.read(topic, partition, 0)).batches
  }

  /**
   * A partition from its log start, as a consumer fetches it: isolation level 0 (read_uncommitted)
   * up to the high watermark, or 1 (read_committed) up to the last stable offset, with the
   * aborted transactions the broker names for that range. Batches come as stored, control batches
   * included; dropping aborted records is the reader's job, as in Kafka (see readCommitted()).
   */
  async read(topic: string, partition: number, isolationLevel: 0 | 1): Promise<PartitionRead> {
    const out: PartitionRead = { batches: [], abortedTransactions: [], highWatermark: -1, lastStableOffset: -1 }
    let offset = (await this.offsetRange(topic, partition + 1))[partition][0]
    const seenAborts = new Set<string>()
    for (let round = 0; round < 10_000; round++) {
      const res = await this.conn.send(ApiKey.Fetch, 4, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 16 << 20,
        isolationLevel,
        topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 8 << 20 }] }],
      })
      const pd = res.responses[0].partitions[0]
      check(pd.errorCode, `Fetch ${topic}-${partition}`)
      out.highWatermark = pd.highWatermark
      out.lastStableOffset = pd.lastStableOffset ?? -1
      for (const a of pd.abortedTransactions ?? []) {
        const key = `${a.producerId}@${a.firstOffset}`
        if (!seenAborts.has(key)) out.abortedTransactions.push({ producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) })
        seenAborts.add(key)
      }
      const slices = pd.records ? splitBatches(pd.records) : []
      let progressed = false
      for (const s of slices) {
        const end = s.header.baseOffset + s.header.lastOffsetDelta + 1
        if (end <= offset) continue
        const records = (await decodeBatchRecords(pd.records!, s)).filter(r => r.offset >= offset)
        out.batches.push({ header: s.header, codec: compressionName(s.header.attributes & BatchAttribute.CompressionMask), records })
        offset = end
        progressed = true
      }
      const upTo = isolationLevel === 1 ? out.lastStableOffset : pd.highWatermark
      if (!progressed || offset >= upTo) break
    }
    out.abortedTransactions.sort((a, b) => a.firstOffset - b.firstOffset)
    return out
  }

  /**
   * What a read_committed consumer of this partition gets, filtered the way Kafka's consumer does:
   * from a read_committed fetch (up to the last stable offset), the records of a transactional
   * batch are dropped while its producer is in an aborted transaction the broker named (from that
   * transaction's first offset to its ABORT marker), and control batches are never returned.
   */
  async readCommitted(topic: string, partition: number): Promise<{ records: WireRecord[]; read: PartitionRead }> {
    const read = await this.read(topic, partition, 1)
    const pending = [...read.abortedTransactions]
    const aborting = new Set<number>()
    const records: WireRecord[] = []
    for (const b of read.batches) {
      while (pending.length && pending[0].firstOffset <= b.header.baseOffset + b.header.lastOffsetDelta) aborting.add(pending.shift()!.producerId)
      const producerId = Number(b.header.producerId)
      if (b.header.attributes & BatchAttribute.Control) {
        const key = b.records[0]?.key
        if (key && decodeControlRecordKey(key).type === ControlRecordType.Abort) aborting.delete(producerId)
        continue
      }
      if (b.header.attributes & BatchAttribute.Transactional && aborting.has(producerId)) continue
      records.push(...b.records)
    }
    return { records, read }
  }

  /** The committed offset of each partition for a group (-1 where none). */
  async committed(groupId: string, topic: string, partitions: number): Promise<Record<string, number>> {
    const res = await this.conn.send(ApiKey.OffsetFetch, 3, {
      groupId,
      topics: [{ name: topic, partitionIndexes: Array.from({ length: partitions }, (_, i) => i) }],
    })
    check(res.errorCode, `OffsetFetch ${groupId}`)
    const out: Record<string, number> = {}
    for (const p of res.topics?.[0]?.partitions ?? []) {
      check(p.errorCode, `OffsetFetch ${groupId} ${topic}-${p.partitionIndex}`)
      out[String(p.partitionIndex)] = p.committedOffset ?? -1
    }
    return out
  }
}

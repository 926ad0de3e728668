// Many partitions: create topics of 1,000 and 10,000 partitions, time Metadata for all topics,
// compare scenario 3 (acks=1, 1 KiB records, 16 KiB batches) on one partition with the same
// stream spread round-robin over 1,000 partitions, and watch the broker's RSS.

import { ApiKey, decodeResponse } from '../../../src/wire/index.js'
import type { Host } from './host.js'
import { apiVersions, ensureTopic, requestChunks, requireVersion, type VersionTable } from './kafka.js'
import { combineProduceRuns, runProducer, type ProduceResult } from './produce-core.js'
import { RawConnection } from './raw-connection.js'
import { median, nowUs } from './stats.js'

export interface MetadataTiming {
  topics: number
  partitions: number
  responseBytes: number
  medianMs: number
  maxMs: number
  decodeMs: number
}

export interface PartitionsResult {
  createMs: Record<string, number>
  metadata: Record<string, MetadataTiming>
  single: ProduceResult
  spread: ProduceResult
  spreadRatio: number
  rss: Record<string, number>
  /** Broker event-loop utilization while idle for 2 s after each creation (0..1). */
  idleElu: Record<string, number>
}

async function timeMetadataAll(conn: RawConnection, versions: VersionTable, repeats: number): Promise<MetadataTiming> {
  const v = requireVersion(versions, ApiKey.Metadata, 4, 12, 'Metadata')
  const times: number[] = []
  let frame: Buffer | null = null
  for (let i = 0; i < repeats; i++) {
    const id = conn.correlationId()
    const chunks = requestChunks(ApiKey.Metadata, v, id, { topics: null, allowAutoTopicCreation: false })
    const t = nowUs()
    frame = await conn.request(chunks, id)
    times.push((nowUs() - t) / 1000)
  }
  const t = nowUs()
  const res = decodeResponse(ApiKey.Metadata, v, frame!).body
  const decodeMs = (nowUs() - t) / 1000
  return {
    topics: res.topics.length,
    partitions: res.topics.reduce((a, x) => a + x.partitions.length, 0),
    responseBytes: frame!.length,
    medianMs: median(times),
    maxMs: Math.max(...times),
    decodeMs,
  }
}

export async function runPartitions(o: {
  host: string
  port: number
  hosted: Host | null
  sizes: number[]
  spreadPartitions: number
  durationMs: number
  repeats: number
  /** When profiling: start the profile afresh before the idle pause after creating this many. */
  profileIdleAfter?: number
  log?: (l: string) => void
}): Promise<PartitionsResult> {
  const log = o.log ?? (l => process.stdout.write(l + '\n'))
  const conn = await RawConnection.open(o.host, o.port, 16 << 20)
  const versions = await apiVersions(conn)
  const rss: Record<string, number> = {}
  const noteRss = async (label: string): Promise<void> => {
    if (!o.hosted) return
    rss[label] = (await o.hosted.stats()).rss
    log(`  broker process RSS ${label}: ${(rss[label]! / 2 ** 20).toFixed(0)} MiB`)
  }
  await noteRss('at start')
  const stamp = Date.now().toString(36)
  const createMs: Record<string, number> = {}
  const idleElu: Record<string, number> = {}
  const metadata: Record<string, MetadataTiming> = {}
  const s3 = { numRecords: 0, durationMs: o.durationMs, recordSize: 1024, throughput: -1, acks: 1, batchBytes: 16384, lingerMs: 0, maxInFlight: 5, compression: 'none', reportingIntervalMs: 60_000, log }
  let single: ProduceResult | null = null
  let spread: ProduceResult | null = null
  const sizes = [...new Set([...o.sizes, o.spreadPartitions])].sort((a, b) => a - b)
  const topicOf = new Map<number, string>()
  for (const n of sizes) {
    const topic = `partitions-${n}-${stamp}`
    topicOf.set(n, topic)
    const t = nowUs()
    await ensureTopic(conn, versions, topic, n, 300_000)
    createMs[n] = (nowUs() - t) / 1000
    log(`created ${topic} with ${n} partitions in ${createMs[n]!.toFixed(0)} ms`)
    await noteRss(`after ${n}`)
    if (o.hosted) {
      if (o.profileIdleAfter === n) await o.hosted.restartProfile()
      await o.hosted.stats()
      await new Promise(r => setTimeout(r, 2000))
      const st = await o.hosted.stats()
      idleElu[n] = st.elu
      log(`  broker idle for 2 s with ${n} more partitions: event loop ${(st.elu * 100).toFixed(0)}% busy, loop delay max ${st.delayMaxMs.toFixed(0)} ms`)
    }
    const m = await timeMetadataAll(conn, versions, o.repeats)
    metadata[n] = m
    log(
      `  Metadata for all topics (${m.topics} topics, ${m.partitions} partitions, ${(m.responseBytes / 1024).toFixed(0)} KiB): median ${m.medianMs.toFixed(1)} ms, max ${m.maxMs.toFixed(1)} ms (client decode ${m.decodeMs.toFixed(1)} ms)`,
    )
    if (n === o.spreadPartitions) {
      // In halves, in the order one, spread, spread, one: each produce run grows the page cache,
      // which on some VMs makes later writes dearer, so neither side should always go second.
      const one = `partitions-single-${stamp}`
      const half = { ...s3, host: o.host, port: o.port, durationMs: o.durationMs / 2 }
      const singleRuns: ProduceResult[] = []
      const spreadRuns: ProduceResult[] = []
      for (const which of ['one', 'spread', 'spread', 'one'] as const) {
        if (which === 'one') singleRuns.push(await runProducer({ ...half, topic: one, partitions: 1 }))
        else spreadRuns.push(await runProducer({ ...half, topic, partitions: n }))
      }
      single = combineProduceRuns(singleRuns)
      spread = combineProduceRuns(spreadRuns)
      const rates = (runs: ProduceResult[]): string => runs.map(r => r.recordsPerSec.toFixed(0)).join(' and ')
      log(`  S3 on 1 partition: ${single.recordsPerSec.toFixed(0)} records/s (halves ${rates(singleRuns)}), ${single.requestsPerSec.toFixed(0)} requests/s, p99 ${single.latency.p99} ms`)
      log(`  S3 spread over ${n} partitions: ${spread.recordsPerSec.toFixed(0)} records/s (halves ${rates(spreadRuns)}), ${spread.requestsPerSec.toFixed(0)} requests/s, p99 ${spread.latency.p99} ms (${((spread.recordsPerSec / single.recordsPerSec) * 100).toFixed(0)}% of one partition)`)
      await noteRss(`after producing to ${n}`)
    }
  }
  conn.close()
  return { createMs, metadata, single: single!, spread: spread!, spreadRatio: spread!.recordsPerSec / single!.recordsPerSec, rss, idleElu }
}

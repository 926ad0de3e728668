// Protocol helpers the bench tools share: typed calls over a RawConnection, version choice,
// topic creation and offsets. Everything here is off the hot path.

import {
  ApiKey,
  decodeResponse,
  encodeRequest,
  errorName,
  frameRequest,
  type ApiKeyNumber,
  type RequestTypes,
  type ResponseTypes,
} from '../../../src/wire/index.js'
import { RawConnection } from './raw-connection.js'

export const CLIENT_ID = 'millrace-bench'

/** Encodes one request ready for RawConnection.send. */
export function requestChunks<K extends ApiKeyNumber>(apiKey: K, version: number, correlationId: number, body: RequestTypes[K], clientId = CLIENT_ID): Buffer[] {
  return frameRequest(encodeRequest(apiKey, version, { correlationId, clientId }, body))
}

/** One request, its decoded response. */
export async function call<K extends ApiKeyNumber>(conn: RawConnection, apiKey: K, version: number, body: RequestTypes[K]): Promise<ResponseTypes[K]> {
  const id = conn.correlationId()
  const frame = await conn.request(requestChunks(apiKey, version, id, body), id)
  return decodeResponse(apiKey, version, frame).body
}

export type VersionTable = Map<number, { min: number; max: number }>

export async function apiVersions(conn: RawConnection): Promise<VersionTable> {
  const res = await call(conn, ApiKey.ApiVersions, 3, { clientSoftwareName: 'millrace-bench', clientSoftwareVersion: '0.1.0' })
  if (res.errorCode !== 0) throw new Error(`ApiVersions failed: ${errorName(res.errorCode)}`)
  return new Map(res.apiKeys.map(k => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]))
}

/** The highest version both sides speak within [lo, hi], or null when the broker lacks the API. */
export function pickVersion(table: VersionTable, apiKey: number, lo: number, hi: number): number | null {
  const v = table.get(apiKey)
  if (!v) return null
  const best = Math.min(hi, v.max)
  return best >= Math.max(lo, v.min) ? best : null
}

export function requireVersion(table: VersionTable, apiKey: number, lo: number, hi: number, name: string): number {
  const v = pickVersion(table, apiKey, lo, hi)
  if (v === null) throw new Error(`the broker does not offer ${name} v${lo}-v${hi} (it offers ${JSON.stringify(table.get(apiKey) ?? 'none')})`)
  return v
}

export interface TopicInfo {
  name: string
  partitions: number
}

/** The partitions of a topic with their leaders, or null when it does not exist. */
export async function describeTopic(conn: RawConnection, versions: VersionTable, topic: string): Promise<{ partitions: number; ready: boolean } | null> {
  const v = requireVersion(versions, ApiKey.Metadata, 4, 12, 'Metadata')
  const res = await call(conn, ApiKey.Metadata, v, { topics: [{ name: topic }], allowAutoTopicCreation: false })
  const t = res.topics.find(x => x.name === topic)
  if (!t || t.errorCode === 3 /* UNKNOWN_TOPIC_OR_PARTITION */) return null
  const ready = t.errorCode === 0 && t.partitions.length > 0 && t.partitions.every(p => p.errorCode === 0 && p.leaderId >= 0)
  return { partitions: t.partitions.length, ready }
}

/**
 * Makes sure `topic` exists with at least `partitions` partitions: CreateTopics when the broker
 * offers it, else Metadata with auto-creation (the broker's num.partitions then decides).
 */
export async function ensureTopic(conn: RawConnection, versions: VersionTable, topic: string, partitions: number, timeoutMs = 120_000): Promise<TopicInfo> {
  let info = await describeTopic(conn, versions, topic)
  if (!info) {
    const cv = pickVersion(versions, ApiKey.CreateTopics, 2, 7)
    if (cv !== null) {
      const res = await call(conn, ApiKey.CreateTopics, cv, {
        topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: timeoutMs,
      })
      const r = res.topics[0]
      if (r && r.errorCode !== 0 && r.errorCode !== 36 /* TOPIC_ALREADY_EXISTS */) {
        throw new Error(`CreateTopics ${topic} (${partitions} partitions): ${errorName(r.errorCode)} ${r.errorMessage ?? ''}`)
      }
    } else {
      const v = requireVersion(versions, ApiKey.Metadata, 4, 12, 'Metadata')
      await call(conn, ApiKey.Metadata, v, { topics: [{ name: topic }], allowAutoTopicCreation: true })
    }
  }
  const deadline = Date.now() + timeoutMs
  for (;;) {
    info = await describeTopic(conn, versions, topic)
    if (info?.ready) break
    if (Date.now() > deadline) throw new Error(`topic ${topic} has no leaders after ${timeoutMs} ms`)
    await sleep(20)
  }
  if (info.partitions < partitions) {
    throw new Error(`topic ${topic} has ${info.partitions} partitions, ${partitions} wanted (the broker has no CreateTopics; set its num.partitions)`)
  }
  return { name: topic, partitions: info.partitions }
}

/** ListOffsets for every partition: timestamp -2 = earliest, -1 = latest. */
export async function listOffsets(conn: RawConnection, versions: VersionTable, topic: string, partitions: number, timestamp: -1 | -2): Promise<number[]> {
  const v = requireVersion(versions, ApiKey.ListOffsets, 1, 9, 'ListOffsets')
  const res = await call(conn, ApiKey.ListOffsets, v, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, i) => ({ partitionIndex: i, timestamp, currentLeaderEpoch: -1 })) }],
  })
  const out: number[] = new Array(partitions).fill(0)
  for (const t of res.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== 0) throw new Error(`ListOffsets ${topic}-${p.partitionIndex}: ${errorName(p.errorCode)}`)
      out[p.partitionIndex] = p.offset ?? 0
    }
  }
  return out
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

/** Retries connecting until the deadline (for a broker that is still starting). */
export async function openWhenReady(host: string, port: number, timeoutMs = 30_000): Promise<RawConnection> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await RawConnection.open(host, port)
    } catch (err) {
      if (Date.now() > deadline) throw err
      await sleep(20)
    }
  }
}

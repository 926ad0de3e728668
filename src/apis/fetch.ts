// Fetch (key 1): read record batches, long-polling for min.bytes, with fetch sessions (KIP-227).

import { ApiKey, ErrorCode, ZERO_UUID, type FetchRequest, type FetchResponse, type Uuid } from '../wire/index.js'
import type { MetadataImage } from '../kraft/index.js'
import {
  FINAL_EPOCH,
  INITIAL_EPOCH,
  type FetchPartitionResult,
  type FetchSession,
  type FetchSessionCache,
  type FetchTarget,
  type ReplicaManager,
  type SessionPartition,
} from '../replication/index.js'
import { defineHandler, type RequestContext } from './handler.js'

export interface FetchDeps {
  image: MetadataImage
  replicas: ReplicaManager
  sessions: FetchSessionCache
  /** fetch.max.bytes: the most one response may carry. */
  fetchMaxBytes: () => number
}

const READ_COMMITTED = 1

interface Wanted extends SessionPartition {
  /** Set when the request named a topic id this node does not know. */
  unknownTopicId?: boolean
}

function errorResponse(errorCode: number): FetchResponse {
  return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] }
}

export function fetchHandler(d: FetchDeps) {
  const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`

  /** The partitions named by a request, resolving topic ids (v13+) to names. */
  function requested(req: FetchRequest, v: number): Wanted[] {
    const out: Wanted[] = []
    for (const t of req.topics) {
      let name = t.topic ?? ''
      let id: Uuid = t.topicId ?? ZERO_UUID
      let unknownTopicId = false
      if (v >= 13) {
        const topic = d.image.topicsById.get(id)
        if (topic) name = topic.name
        else unknownTopicId = true
      } else {
        id = d.image.topicsByName.get(name)?.id ?? ZERO_UUID
      }
      for (const p of t.partitions) {
        out.push({
          topic: name,
          topicId: id,
          partition: p.partition,
          fetchOffset: p.fetchOffset,
          maxBytes: p.partitionMaxBytes,
          currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
          lastHighWatermark: -1,
          lastLogStartOffset: -1,
          unknownTopicId,
        })
      }
    }
    return out
  }

  function forgotten(req: FetchRequest, v: number): Array<{ topic: string; partition: number }> {
    const out = []
    for (const f of req.forgottenTopicsData ?? []) {
      const name = v >= 13 ? d.image.topicsById.get(f.topicId ?? ZERO_UUID)?.name : f.topic
      if (name === undefined) continue
      for (const p of f.partitions ?? []) out.push({ topic: name, partition: p })
    }
    return out
  }

  return defineHandler({
    apiKey: ApiKey.Fetch,
    minVersion: 4,
    maxVersion: 17,
    async handle(req: FetchRequest, ctx: RequestContext): Promise<FetchResponse> {
      const v = ctx.apiVersion
      const sessionId = req.sessionId ?? 0
      const epoch = req.sessionEpoch ?? FINAL_EPOCH
      const replicaId = v >= 15 ? (req.replicaState?.replicaId ?? -1) : (req.replicaId ?? -1)

      // Work out which partitions to read and which session (if any) this fetch belongs to.
      let session: FetchSession | null = null
      let targets: Wanted[]
      let incremental = false
      if (sessionId === 0 && epoch !== INITIAL_EPOCH && epoch !== FINAL_EPOCH) {
        return errorResponse(ErrorCode.INVALID_FETCH_SESSION_EPOCH)
      }
      if (sessionId !== 0 && (epoch === FINAL_EPOCH || epoch === INITIAL_EPOCH)) d.sessions.remove(sessionId)
      if (epoch === FINAL_EPOCH) {
        targets = requested(req, v)
      } else if (epoch === INITIAL_EPOCH) {
        targets = requested(req, v)
        session = d.sessions.create()
        if (session) for (const t of targets) session.partitions.set(key(t.topic, t.partition), { ...t })
      } else {
        session = d.sessions.get(sessionId) ?? null
        if (!session) return errorResponse(ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
        if (session.nextEpoch !== epoch) return errorResponse(ErrorCode.INVALID_FETCH_SESSION_EPOCH)
        for (const t of requested(req, v)) {
          const k = key(t.topic, t.partition)
          const prev = session.partitions.get(k)
          session.partitions.set(k, { ...t, lastHighWatermark: prev?.lastHighWatermark ?? -1, lastLogStartOffset: prev?.lastLogStartOffset ?? -1 })
        }
        for (const f of forgotten(req, v)) session.partitions.delete(key(f.topic, f.partition))
        targets = [...session.partitions.values()]
        incremental = true
      }
      if (session) {
        session.nextEpoch = epoch === INITIAL_EPOCH ? 1 : session.nextEpoch + 1
        session.lastUsed = Date.now()
      }

      const readable = targets.filter(t => !(t as Wanted).unknownTopicId)
      const fetchTargets: FetchTarget[] = readable.map(t => ({
        topic: t.topic,
        partition: t.partition,
        fetchOffset: t.fetchOffset,
        maxBytes: t.maxBytes,
        currentLeaderEpoch: t.currentLeaderEpoch,
      }))
      const results = await d.replicas.fetch({
        replicaId,
        maxWaitMs: req.maxWaitMs,
        minBytes: req.minBytes,
        maxBytes: Math.min(req.maxBytes ?? 0x7fffffff, d.fetchMaxBytes()),
        isolationLevel: req.isolationLevel ?? 0,
        targets: fetchTargets,
      })
      const byKey = new Map<string, FetchPartitionResult>()
      for (const r of results) byKey.set(key(r.topic, r.partition), r)

      const readCommitted = (req.isolationLevel ?? 0) === READ_COMMITTED
      const topics = new Map<string, FetchResponse.FetchableTopicResponse>()
      for (const t of targets) {
        const r = byKey.get(key(t.topic, t.partition))
        const errorCode = (t as Wanted).unknownTopicId ? ErrorCode.UNKNOWN_TOPIC_ID : (r?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        const hw = r?.highWatermark ?? -1
        const logStart = r?.logStartOffset ?? -1
        const records = r?.records ?? null
        if (session) {
          const sp = session.partitions.get(key(t.topic, t.partition))
          // An incremental response leaves out partitions with nothing new for the client.
          const news = errorCode !== ErrorCode.NONE || (records !== null && records.length > 0) || !sp || sp.lastHighWatermark !== hw || sp.lastLogStartOffset !== logStart
          if (sp) {
            sp.lastHighWatermark = hw
            sp.lastLogStartOffset = logStart
          }
          if (incremental && !news) continue
        }
        const topicKey = v >= 13 ? t.topicId : t.topic
        let topic = topics.get(topicKey)
        if (!topic) topics.set(topicKey, (topic = { topic: t.topic, topicId: t.topicId, partitions: [] }))
        topic.partitions.push({
          partitionIndex: t.partition,
          errorCode,
          highWatermark: hw,
          lastStableOffset: r?.lastStableOffset ?? -1,
          logStartOffset: logStart,
          abortedTransactions: readCommitted ? (r?.abortedTransactions ?? []) : null,
          preferredReadReplica: -1,
          records,
        })
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: session?.id ?? 0, responses: [...topics.values()] }
    },
  })
}

// ListOffsets (key 2): offsets by timestamp, earliest, latest and max-timestamp.

import { ApiKey, ErrorCode, type ListOffsetsRequest, type ListOffsetsResponse } from '../wire/index.js'
import type { ReplicaManager } from '../replication/index.js'
import { defineHandler, type RequestContext } from './handler.js'

export function listOffsetsHandler(d: { replicas: ReplicaManager }) {
  return defineHandler({
    apiKey: ApiKey.ListOffsets,
    minVersion: 0,
    // v10 is marked unstable in the specs.
    maxVersion: 9,
    async handle(req: ListOffsetsRequest, ctx: RequestContext): Promise<ListOffsetsResponse> {
      const seen = new Map<string, number>()
      for (const t of req.topics) for (const p of t.partitions) seen.set(`${t.name}-${p.partitionIndex}`, (seen.get(`${t.name}-${p.partitionIndex}`) ?? 0) + 1)
      const topics = await Promise.all(
        req.topics.map(async t => ({
          name: t.name,
          partitions: await Promise.all(
            t.partitions.map(async p => {
              // Kafka answers INVALID_REQUEST for a partition listed twice.
              if ((seen.get(`${t.name}-${p.partitionIndex}`) ?? 0) > 1) {
                return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.INVALID_REQUEST, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 }
              }
              const r = await d.replicas.listOffset(t.name, p.partitionIndex, p.timestamp, p.currentLeaderEpoch ?? -1, ctx.apiVersion >= 2 ? (req.isolationLevel ?? 0) : 0)
              // v0 answers with a list of offsets; v1+ with one offset and its timestamp; v4+ adds the epoch.
              const v = ctx.apiVersion
              return {
                partitionIndex: p.partitionIndex,
                errorCode: r.errorCode,
                oldStyleOffsets: v === 0 && r.offset >= 0 ? [r.offset] : [],
                timestamp: v >= 1 ? r.timestamp : -1,
                offset: v >= 1 ? r.offset : -1,
                leaderEpoch: v >= 4 ? r.leaderEpoch : -1,
              }
            }),
          ),
        })),
      )
      return { throttleTimeMs: 0, topics }
    },
  })
}

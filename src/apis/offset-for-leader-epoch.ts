// OffsetForLeaderEpoch (key 23): where a leader epoch ends, for truncation and offset validation.

import { ApiKey, type OffsetForLeaderEpochRequest, type OffsetForLeaderEpochResponse } from '../wire/index.js'
import type { ReplicaManager } from '../replication/index.js'
import { defineHandler } from './handler.js'

export function offsetForLeaderEpochHandler(d: { replicas: ReplicaManager }) {
  return defineHandler({
    apiKey: ApiKey.OffsetForLeaderEpoch,
    minVersion: 0,
    maxVersion: 4,
    handle(req: OffsetForLeaderEpochRequest): OffsetForLeaderEpochResponse {
      return {
        throttleTimeMs: 0,
        topics: req.topics.map(t => ({
          topic: t.topic,
          partitions: t.partitions.map(p => ({
            partition: p.partition,
            ...d.replicas.endOffsetForEpoch(t.topic, p.partition, p.leaderEpoch, p.currentLeaderEpoch ?? -1),
          })),
        })),
      }
    },
  })
}

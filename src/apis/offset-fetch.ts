// OffsetFetch (key 9): a group's committed offsets, for given partitions or (topics null, v2+)
// all of them; v8+ asks for several groups at once. Partitions without a commit get offset -1.

import { ApiKey, ErrorCode, type OffsetFetchRequest, type OffsetFetchResponse } from '../wire/index.js'
import type { FetchedOffset, GroupCoordinator } from '../groups/index.js'
import { defineHandler, type RequestContext } from './handler.js'

export interface OffsetFetchDeps {
  coordinator: GroupCoordinator
}

function byTopic(offsets: FetchedOffset[]): Array<{ name: string; partitions: FetchedOffset[] }> {
  const out = new Map<string, FetchedOffset[]>()
  for (const o of offsets) {
    let list = out.get(o.topic)
    if (!list) out.set(o.topic, (list = []))
    list.push(o)
  }
  return [...out].map(([name, partitions]) => ({ name, partitions }))
}

function partitionOut(o: FetchedOffset) {
  return { partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: o.errorCode }
}

export function offsetFetchHandler(d: OffsetFetchDeps) {
  return defineHandler({
    apiKey: ApiKey.OffsetFetch,
    minVersion: 0,
    maxVersion: 9,
    handle(req: OffsetFetchRequest, ctx: RequestContext): OffsetFetchResponse {
      const v = ctx.apiVersion
      const requireStable = v >= 7 && req.requireStable === true
      if (v >= 8) {
        const groups = (req.groups ?? []).map(g => {
          const topics = g.topics == null ? null : g.topics.map(t => ({ topic: t.name ?? '', partitions: t.partitionIndexes ?? [] }))
          const res = d.coordinator.fetchOffsets(g.groupId ?? '', topics, requireStable)
          return {
            groupId: g.groupId ?? '',
            errorCode: res.errorCode,
            topics: res.errorCode === ErrorCode.NONE ? byTopic(res.offsets).map(t => ({ name: t.name, partitions: t.partitions.map(partitionOut) })) : [],
          }
        })
        return { throttleTimeMs: 0, groups }
      }
      // v0-1 cannot ask for all topics; null from v2.
      const requested = req.topics == null ? null : req.topics.map(t => ({ topic: t.name ?? '', partitions: t.partitionIndexes ?? [] }))
      const res = d.coordinator.fetchOffsets(req.groupId ?? '', requested, requireStable)
      if (res.errorCode !== ErrorCode.NONE) {
        if (v >= 2) return { throttleTimeMs: 0, errorCode: res.errorCode, topics: [] }
        // v0-1 have no top-level error: every requested partition carries it.
        return {
          throttleTimeMs: 0,
          topics: (requested ?? []).map(t => ({
            name: t.topic,
            partitions: t.partitions.map(p => ({ partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: res.errorCode })),
          })),
        }
      }
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        topics: byTopic(res.offsets).map(t => ({ name: t.name, partitions: t.partitions.map(partitionOut) })),
      }
    },
  })
}

// OffsetCommit (key 8): a group member (or a consumer outside any group, with generation -1)
// commits offsets; they are written to __consumer_offsets before the answer.
// v9+ belongs to KIP-848 consumer groups (member epochs), which Millrace does not serve.

import { ApiKey, type OffsetCommitRequest, type OffsetCommitResponse } from '../wire/index.js'
import type { GroupCoordinator } from '../groups/index.js'
import { defineHandler, type RequestContext } from './handler.js'
import { partitionErrors } from './group-common.js'

export interface OffsetCommitDeps {
  coordinator: GroupCoordinator
}

export function offsetCommitHandler(d: OffsetCommitDeps) {
  return defineHandler({
    apiKey: ApiKey.OffsetCommit,
    minVersion: 0,
    maxVersion: 8,
    async handle(req: OffsetCommitRequest, ctx: RequestContext): Promise<OffsetCommitResponse> {
      const v = ctx.apiVersion
      const offsets = req.topics.flatMap(t =>
        t.partitions.map(p => ({
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: v >= 6 ? (p.committedLeaderEpoch ?? -1) : -1,
          metadata: p.committedMetadata,
          commitTimestamp: v === 1 ? (p.commitTimestamp ?? -1) : -1,
        })),
      )
      const codes = await d.coordinator.commitOffsets({
        groupId: req.groupId,
        generationId: v >= 1 ? (req.generationIdOrMemberEpoch ?? -1) : -1,
        memberId: v >= 1 ? (req.memberId ?? '') : '',
        groupInstanceId: v >= 7 ? (req.groupInstanceId ?? null) : null,
        retentionTimeMs: v >= 2 && v <= 4 ? (req.retentionTimeMs ?? -1) : -1,
        offsets,
      })
      return { throttleTimeMs: 0, topics: partitionErrors(req.topics, codes) }
    },
  })
}

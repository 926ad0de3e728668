// OffsetDelete (key 47): removes a group's committed offsets for partitions it does not consume.

import { ApiKey, ErrorCode, type OffsetDeleteRequest, type OffsetDeleteResponse } from '../wire/index.js'
import type { GroupCoordinator } from '../groups/index.js'
import { defineHandler } from './handler.js'

export interface OffsetDeleteDeps {
  coordinator: GroupCoordinator
}

export function offsetDeleteHandler(d: OffsetDeleteDeps) {
  return defineHandler({
    apiKey: ApiKey.OffsetDelete,
    minVersion: 0,
    maxVersion: 0,
    async handle(req: OffsetDeleteRequest): Promise<OffsetDeleteResponse> {
      const partitions = req.topics.flatMap(t => t.partitions.map(p => ({ topic: t.name, partition: p.partitionIndex })))
      const res = await d.coordinator.deleteOffsets(req.groupId, partitions)
      if (res.errorCode !== ErrorCode.NONE) return { errorCode: res.errorCode, throttleTimeMs: 0, topics: [] }
      let i = 0
      return {
        errorCode: ErrorCode.NONE,
        throttleTimeMs: 0,
        topics: req.topics.map(t => ({ name: t.name, partitions: t.partitions.map(p => ({ partitionIndex: p.partitionIndex, errorCode: res.partitions[i++].errorCode })) })),
      }
    },
  })
}

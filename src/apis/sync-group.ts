// SyncGroup (key 14): after a JoinGroup round, the leader sends everyone's assignment and every
// member waits for its own.

import { ApiKey, type SyncGroupRequest, type SyncGroupResponse } from '../wire/index.js'
import type { GroupCoordinator } from '../groups/index.js'
import { defineHandler, type RequestContext } from './handler.js'

export interface SyncGroupDeps {
  coordinator: GroupCoordinator
}

export function syncGroupHandler(d: SyncGroupDeps) {
  return defineHandler({
    apiKey: ApiKey.SyncGroup,
    minVersion: 0,
    maxVersion: 5,
    async handle(req: SyncGroupRequest, ctx: RequestContext): Promise<SyncGroupResponse> {
      const v = ctx.apiVersion
      const res = await d.coordinator.syncGroup({
        groupId: req.groupId,
        generationId: req.generationId,
        memberId: req.memberId,
        groupInstanceId: v >= 3 ? (req.groupInstanceId ?? null) : null,
        protocolType: v >= 5 ? (req.protocolType ?? null) : null,
        protocolName: v >= 5 ? (req.protocolName ?? null) : null,
        assignments: req.assignments.map(a => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
      })
      return { throttleTimeMs: 0, errorCode: res.errorCode, protocolType: res.protocolType, protocolName: res.protocolName, assignment: res.assignment }
    },
  })
}

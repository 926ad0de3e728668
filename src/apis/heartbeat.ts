// Heartbeat (key 12): a member proves it is alive; the answer tells it when to rejoin.

import { ApiKey, type HeartbeatRequest, type HeartbeatResponse } from '../wire/index.js'
import type { GroupCoordinator } from '../groups/index.js'
import { defineHandler, type RequestContext } from './handler.js'

export interface HeartbeatDeps {
  coordinator: GroupCoordinator
}

export function heartbeatHandler(d: HeartbeatDeps) {
  return defineHandler({
    apiKey: ApiKey.Heartbeat,
    minVersion: 0,
    maxVersion: 4,
    handle(req: HeartbeatRequest, ctx: RequestContext): HeartbeatResponse {
      const errorCode = d.coordinator.heartbeat({
        groupId: req.groupId,
        generationId: req.generationId,
        memberId: req.memberId,
        groupInstanceId: ctx.apiVersion >= 3 ? (req.groupInstanceId ?? null) : null,
      })
      return { throttleTimeMs: 0, errorCode }
    },
  })
}

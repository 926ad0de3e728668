// LeaveGroup (key 13): members leave a group (v0-2 one member by id; v3+ a batch, also by
// group.instance.id for administrative removal of static members).

import { ApiKey, ErrorCode, type LeaveGroupRequest, type LeaveGroupResponse } from '../wire/index.js'
import type { GroupCoordinator } from '../groups/index.js'
import { defineHandler, type RequestContext } from './handler.js'

export interface LeaveGroupDeps {
  coordinator: GroupCoordinator
}

export function leaveGroupHandler(d: LeaveGroupDeps) {
  return defineHandler({
    apiKey: ApiKey.LeaveGroup,
    minVersion: 0,
    maxVersion: 5,
    handle(req: LeaveGroupRequest, ctx: RequestContext): LeaveGroupResponse {
      const v = ctx.apiVersion
      const leaving =
        v >= 3
          ? (req.members ?? []).map(m => ({ memberId: m.memberId ?? '', groupInstanceId: m.groupInstanceId ?? null, reason: v >= 5 ? (m.reason ?? null) : null }))
          : [{ memberId: req.memberId ?? '', groupInstanceId: null, reason: null }]
      const res = d.coordinator.leaveGroup(req.groupId, leaving)
      if (v >= 3) return { throttleTimeMs: 0, errorCode: res.errorCode, members: res.members }
      // One member: its error is the answer's.
      const errorCode = res.errorCode !== ErrorCode.NONE ? res.errorCode : (res.members.find(m => m.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE)
      return { throttleTimeMs: 0, errorCode }
    },
  })
}

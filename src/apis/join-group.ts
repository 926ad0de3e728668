// JoinGroup (key 11): a member joins (or rejoins) a classic group and waits for the rebalance to
// complete; the answer names the generation, the chosen protocol and the leader, and gives the
// leader everyone's metadata.

import { ApiKey, type JoinGroupRequest, type JoinGroupResponse } from '../wire/index.js'
import type { GroupCoordinator } from '../groups/index.js'
import { defineHandler, type RequestContext } from './handler.js'
import { clientHostOf } from './group-common.js'

export interface JoinGroupDeps {
  coordinator: GroupCoordinator
}

export function joinGroupHandler(d: JoinGroupDeps) {
  return defineHandler({
    apiKey: ApiKey.JoinGroup,
    minVersion: 0,
    maxVersion: 9,
    async handle(req: JoinGroupRequest, ctx: RequestContext): Promise<JoinGroupResponse> {
      const v = ctx.apiVersion
      const groupInstanceId = v >= 5 ? (req.groupInstanceId ?? null) : null
      const res = await d.coordinator.joinGroup({
        groupId: req.groupId,
        memberId: req.memberId ?? '',
        groupInstanceId,
        requireKnownMemberId: v >= 4 && groupInstanceId === null,
        clientId: ctx.header.clientId ?? '',
        clientHost: clientHostOf(ctx.clientAddress),
        // v0 has no rebalance timeout: the session timeout serves for both.
        rebalanceTimeoutMs: v >= 1 && req.rebalanceTimeoutMs !== undefined ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
        sessionTimeoutMs: req.sessionTimeoutMs,
        protocolType: req.protocolType,
        protocols: req.protocols.map(p => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
        reason: v >= 8 ? (req.reason ?? null) : null,
      })
      return {
        throttleTimeMs: 0,
        errorCode: res.errorCode,
        generationId: res.generationId,
        protocolType: res.protocolType,
        // Nullable from v7; before, an unset protocol is the empty string.
        protocolName: v >= 7 ? res.protocolName : (res.protocolName ?? ''),
        leader: res.leaderId,
        skipAssignment: false,
        memberId: res.memberId,
        members: res.members.map(m => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
      }
    },
  })
}

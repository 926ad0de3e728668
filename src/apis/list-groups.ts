// ListGroups (key 16): the groups this node coordinates, filtered by state (v4+) and type (v5+).

import { ApiKey, type ListGroupsRequest, type ListGroupsResponse } from '../wire/index.js'
import type { GroupCoordinator } from '../groups/index.js'
import { defineHandler, type RequestContext } from './handler.js'

export interface ListGroupsDeps {
  coordinator: GroupCoordinator
}

export function listGroupsHandler(d: ListGroupsDeps) {
  return defineHandler({
    apiKey: ApiKey.ListGroups,
    minVersion: 0,
    maxVersion: 5,
    handle(req: ListGroupsRequest, ctx: RequestContext): ListGroupsResponse {
      const v = ctx.apiVersion
      const res = d.coordinator.listGroups(v >= 4 ? (req.statesFilter ?? []) : [], v >= 5 ? (req.typesFilter ?? []) : [])
      return {
        throttleTimeMs: 0,
        errorCode: res.errorCode,
        groups: res.groups.map(g => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.type })),
      }
    },
  })
}

// DescribeGroups (key 15): state, protocol, members and (when stable) their metadata and
// assignments. A group that does not exist is described as Dead, as Kafka does before v6.

import { ApiKey, type DescribeGroupsRequest, type DescribeGroupsResponse } from '../wire/index.js'
import type { GroupCoordinator } from '../groups/index.js'
import { AUTHORIZED_OPERATIONS_OMITTED } from './cluster-view.js'
import { GROUP_OPERATIONS } from './group-common.js'
import { defineHandler, type RequestContext } from './handler.js'

export interface DescribeGroupsDeps {
  coordinator: GroupCoordinator
}

export function describeGroupsHandler(d: DescribeGroupsDeps) {
  return defineHandler({
    apiKey: ApiKey.DescribeGroups,
    minVersion: 0,
    maxVersion: 5,
    handle(req: DescribeGroupsRequest, ctx: RequestContext): DescribeGroupsResponse {
      const ops = ctx.apiVersion >= 3 && req.includeAuthorizedOperations === true ? GROUP_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED
      return {
        throttleTimeMs: 0,
        groups: req.groups.map(id => {
          const g = d.coordinator.describeGroup(id)
          return {
            errorCode: g.errorCode,
            groupId: g.groupId,
            groupState: g.state,
            protocolType: g.protocolType,
            protocolData: g.protocol,
            members: g.members.map(m => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              memberMetadata: m.metadata,
              memberAssignment: m.assignment,
            })),
            authorizedOperations: ops,
          }
        }),
      }
    },
  })
}

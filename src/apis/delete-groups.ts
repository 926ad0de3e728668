// DeleteGroups (key 42): deletes empty groups and their committed offsets.

import { ApiKey, type DeleteGroupsRequest, type DeleteGroupsResponse } from '../wire/index.js'
import type { GroupCoordinator } from '../groups/index.js'
import { defineHandler } from './handler.js'

export interface DeleteGroupsDeps {
  coordinator: GroupCoordinator
}

export function deleteGroupsHandler(d: DeleteGroupsDeps) {
  return defineHandler({
    apiKey: ApiKey.DeleteGroups,
    minVersion: 0,
    maxVersion: 2,
    async handle(req: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
      const results = await d.coordinator.deleteGroups(req.groupsNames)
      return { throttleTimeMs: 0, results }
    },
  })
}

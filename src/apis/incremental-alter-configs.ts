// IncrementalAlterConfigs (key 44): SET, DELETE, APPEND and SUBTRACT single config keys of a
// topic or broker resource, leaving the other keys as they are.

import { ApiKey, type IncrementalAlterConfigsRequest, type IncrementalAlterConfigsResponse } from '../wire/index.js'
import type { Controller } from '../kraft/index.js'
import { defineHandler, type RequestContext } from './handler.js'
import { alterResources } from './alter-configs.js'

export interface IncrementalAlterConfigsDeps {
  controller: Controller
  nodeId: number
}

/** AlterConfigOp.OpType ids. */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const

export function incrementalAlterConfigsHandler(d: IncrementalAlterConfigsDeps) {
  return defineHandler({
    apiKey: ApiKey.IncrementalAlterConfigs,
    minVersion: 0,
    maxVersion: 1,
    async handle(req: IncrementalAlterConfigsRequest, _ctx: RequestContext): Promise<IncrementalAlterConfigsResponse> {
      const resources = req.resources.map(r => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        configs: r.configs.map(c => ({ name: c.name, value: c.value, op: c.configOperation })),
      }))
      const outcomes = await alterResources(d.controller, d.nodeId, resources, true, req.validateOnly === true)
      return {
        throttleTimeMs: 0,
        responses: req.resources.map((r, i) => ({ ...outcomes[i], resourceType: r.resourceType, resourceName: r.resourceName })),
      }
    },
  })
}

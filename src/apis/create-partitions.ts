// CreatePartitions (key 37): add partitions to existing topics through the controller.

import { ApiKey, ErrorCode, type CreatePartitionsRequest, type CreatePartitionsResponse } from '../wire/index.js'
import type { Controller } from '../kraft/index.js'
import { defineHandler, type RequestContext } from './handler.js'

export interface CreatePartitionsDeps {
  controller: Controller
}

type Result = CreatePartitionsResponse.CreatePartitionsTopicResult

export function createPartitionsHandler(d: CreatePartitionsDeps) {
  return defineHandler({
    apiKey: ApiKey.CreatePartitions,
    minVersion: 0,
    maxVersion: 3,
    async handle(req: CreatePartitionsRequest, _ctx: RequestContext): Promise<CreatePartitionsResponse> {
      const counts = new Map<string, number>()
      for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)

      // One result per topic name (the response is keyed by name), in request order.
      const results = new Map<string, Result | null>()
      const specs: Array<{ name: string; count: number; assignments: Array<{ brokerIds: number[] }> | null }> = []
      for (const t of req.topics) {
        if (results.has(t.name)) continue
        if ((counts.get(t.name) ?? 0) > 1) {
          results.set(t.name, { name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' })
          continue
        }
        results.set(t.name, null)
        specs.push({ name: t.name, count: t.count, assignments: t.assignments ? t.assignments.map(a => ({ brokerIds: a.brokerIds })) : null })
      }

      const done = specs.length > 0 ? await d.controller.createPartitions(specs, req.validateOnly === true) : []
      for (const r of done) results.set(r.name, { name: r.name, errorCode: r.errorCode, errorMessage: r.errorCode === ErrorCode.NONE ? null : r.errorMessage })

      const out: Result[] = []
      for (const [name, r] of results) {
        out.push(r ?? { name, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The controller returned no result for this topic.' })
      }
      return { throttleTimeMs: 0, results: out }
    },
  })
}

// AlterConfigs (key 33): replace every dynamic config of a topic or broker resource with the
// ones given (keys not listed are removed). Deprecated in Kafka in favour of
// IncrementalAlterConfigs, but kafkajs and librdkafka 2.0 still use it.

import { ApiKey, ErrorCode, type AlterConfigsRequest, type AlterConfigsResponse } from '../wire/index.js'
import { ConfigResourceType, type ConfigAlteration, type Controller } from '../kraft/index.js'
import { validateBrokerConfigs } from '../config/index.js'
import { defineHandler, type RequestContext } from './handler.js'
import { brokerIdOf, ResourceError } from './describe-configs.js'

export interface AlterConfigsDeps {
  controller: Controller
  nodeId: number
}

export interface ResourceOutcome {
  errorCode: number
  errorMessage: string | null
}

interface Resource {
  resourceType: number
  resourceName: string
  configs: Array<{ name: string; value: string | null; op: number }>
}

/**
 * Kafka's broker-side checks before a config change goes to the controller
 * (ConfigAdminManager.preprocess): each resource once, each key once, values where one is
 * needed, a BROKER resource naming this node (or '' for the cluster default) with changes
 * that are dynamic and valid. Returns the failures by resource index; the rest may proceed.
 */
export function preprocessAlterations(resources: Resource[], nodeId: number, incremental: boolean): Map<number, ResourceOutcome> {
  const failures = new Map<number, ResourceOutcome>()
  const seen = new Map<string, number>()
  resources.forEach((r, i) => {
    const key = `${r.resourceType}:${r.resourceName}`
    const first = seen.get(key)
    if (first !== undefined) {
      for (const j of [first, i]) failures.set(j, { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Each resource must appear at most once.' })
    } else seen.set(key, i)
  })
  resources.forEach((r, i) => {
    if (failures.has(i)) return
    try {
      const names = r.configs.map(c => c.name)
      if (new Set(names).size !== names.length) throw new ResourceError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys')
      const nulls = r.configs.filter(c => c.value === null && (!incremental || c.op !== 1)).map(c => c.name)
      if (nulls.length > 0) throw new ResourceError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nulls.join(', ')}`)
      for (const c of r.configs) {
        if (c.op < 0 || c.op > 3) throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unknown operations type ${c.op}`)
      }
      if (r.resourceType === ConfigResourceType.BROKER) {
        if (r.resourceName !== '') {
          const id = brokerIdOf(r.resourceName, 'Node id')
          if (id !== nodeId) throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${nodeId}, but received ${r.resourceName}`)
        }
        // Kafka answers broker config validation failures with INVALID_REQUEST (KAFKA-13609).
        const check = validateBrokerConfigs(new Map(r.configs.map(c => [c.name, c.op === 1 ? null : c.value])), {
          dynamic: r.resourceName === '' ? 'cluster-default' : 'per-broker',
        })
        if (!check.ok) throw new ResourceError(ErrorCode.INVALID_REQUEST, check.message)
      } else if (r.resourceType !== ConfigResourceType.TOPIC) {
        throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unknown resource type ${r.resourceType}`)
      }
    } catch (e) {
      if (!(e instanceof ResourceError)) throw e
      failures.set(i, { errorCode: e.errorCode, errorMessage: e.messageOrNull })
    }
  })
  return failures
}

/** Preprocesses, sends what passes to the controller, and returns one outcome per resource, in order. */
export async function alterResources(
  controller: Controller,
  nodeId: number,
  resources: Resource[],
  incremental: boolean,
  validateOnly: boolean,
): Promise<ResourceOutcome[]> {
  const failures = preprocessAlterations(resources, nodeId, incremental)
  const passing: number[] = []
  const alterations: ConfigAlteration[] = []
  resources.forEach((r, i) => {
    if (failures.has(i)) return
    passing.push(i)
    alterations.push({
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      replaceAll: !incremental,
      changes: r.configs.map(c => ({ name: c.name, op: c.op as 0 | 1 | 2 | 3, value: c.value })),
    })
  })
  const done = alterations.length > 0 ? await controller.alterConfigs(alterations, validateOnly) : []
  const out: ResourceOutcome[] = resources.map((_, i) => failures.get(i) ?? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null })
  passing.forEach((i, k) => {
    const r = done[k]
    out[i] = r
      ? { errorCode: r.errorCode, errorMessage: r.errorCode === ErrorCode.NONE ? null : r.errorMessage }
      : { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The controller returned no result for this resource.' }
  })
  return out
}

export function alterConfigsHandler(d: AlterConfigsDeps) {
  return defineHandler({
    apiKey: ApiKey.AlterConfigs,
    minVersion: 0,
    maxVersion: 2,
    async handle(req: AlterConfigsRequest, _ctx: RequestContext): Promise<AlterConfigsResponse> {
      const resources: Resource[] = req.resources.map(r => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        configs: r.configs.map(c => ({ name: c.name, value: c.value, op: 0 })),
      }))
      const outcomes = await alterResources(d.controller, d.nodeId, resources, false, req.validateOnly === true)
      return {
        throttleTimeMs: 0,
        responses: req.resources.map((r, i) => ({ ...outcomes[i], resourceType: r.resourceType, resourceName: r.resourceName })),
      }
    },
  })
}

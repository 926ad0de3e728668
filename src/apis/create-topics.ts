// CreateTopics (key 19): validate and create topics through the controller. From v5 the answer
// carries the partition count, replication factor and every config of the topic with its source.

import { ApiKey, ErrorCode, ZERO_UUID, type CreateTopicsRequest, type CreateTopicsResponse } from '../wire/index.js'
import { invalidTopicNameReason, type Controller, type CreateTopicSpec, type MetadataImage } from '../kraft/index.js'
import { resolveTopicConfig, type BrokerConfig } from '../config/index.js'
import { defineHandler, type RequestContext } from './handler.js'

export interface CreateTopicsDeps {
  controller: Controller
  image: MetadataImage
  /** This node's effective configuration: the defaults a new topic's configs resolve against. */
  brokerConfig: () => BrokerConfig
}

type Result = CreateTopicsResponse.CreatableTopicResult

export function createTopicsHandler(d: CreateTopicsDeps) {
  return defineHandler({
    apiKey: ApiKey.CreateTopics,
    minVersion: 0,
    maxVersion: 7,
    async handle(req: CreateTopicsRequest, ctx: RequestContext): Promise<CreateTopicsResponse> {
      const v = ctx.apiVersion
      const validateOnly = v >= 1 && req.validateOnly === true

      const failed = (name: string, errorCode: number, errorMessage: string | null): Result => ({
        name,
        topicId: ZERO_UUID,
        errorCode,
        errorMessage: v >= 1 ? errorMessage : undefined,
        numPartitions: -1,
        replicationFactor: -1,
        configs: [],
      })

      // Results by name (the response is keyed by topic name), in request order.
      const results = new Map<string, Result | null>()
      const counts = new Map<string, number>()
      for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)

      const specs: CreateTopicSpec[] = []
      for (const t of req.topics) {
        if (results.has(t.name)) continue
        if ((counts.get(t.name) ?? 0) > 1) {
          results.set(t.name, failed(t.name, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'))
          continue
        }
        // Kafka checks the name and existence before the configs; the controller does the rest.
        const nullConfigs = t.configs.filter(c => c.value === null).map(c => c.name)
        if (nullConfigs.length > 0 && invalidTopicNameReason(t.name) === null && !d.image.topicsByName.has(t.name)) {
          results.set(t.name, failed(t.name, ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${nullConfigs.join(',')}`))
          continue
        }
        // -1 means the broker default; Kafka brokers accept it at every version (kafkajs sends it at v0-3).
        results.set(t.name, null)
        specs.push({
          name: t.name,
          numPartitions: t.numPartitions,
          replicationFactor: t.replicationFactor,
          assignments: t.assignments.map(a => ({ partitionIndex: a.partitionIndex, brokerIds: a.brokerIds })),
          configs: t.configs.map(c => ({ name: c.name, value: c.value })),
        })
      }

      const created = specs.length > 0 ? await d.controller.createTopics(specs, validateOnly) : []
      const broker = v >= 5 ? d.brokerConfig() : null
      for (const c of created) {
        if (c.errorCode !== ErrorCode.NONE) {
          results.set(c.name, failed(c.name, c.errorCode, c.errorMessage))
          continue
        }
        const r: Result = {
          name: c.name,
          topicId: validateOnly ? ZERO_UUID : c.topicId,
          errorCode: ErrorCode.NONE,
          errorMessage: v >= 1 ? null : undefined,
          numPartitions: c.numPartitions,
          replicationFactor: c.replicationFactor,
          configs: [],
        }
        if (broker) {
          const spec = specs.find(s => s.name === c.name)!
          const overrides = new Map(spec.configs.map(x => [x.name, x.value] as const))
          try {
            r.configs = resolveTopicConfig(overrides, broker).entries.map(e => ({
              name: e.name,
              value: e.isSensitive ? null : e.value,
              readOnly: e.readOnly,
              configSource: e.source,
              isSensitive: e.isSensitive,
            }))
          } catch {
            // The configs were validated; if they still cannot be listed, say so as Kafka does.
            r.configs = null
            r.topicConfigErrorCode = ErrorCode.INVALID_CONFIG
          }
        }
        results.set(c.name, r)
      }

      const topics: Result[] = []
      for (const [name, r] of results) topics.push(r ?? failed(name, ErrorCode.UNKNOWN_SERVER_ERROR, 'The controller returned no result for this topic.'))
      return { throttleTimeMs: 0, topics }
    },
  })
}

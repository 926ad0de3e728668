// Metadata (key 3): brokers, controller, topics and their partitions, with auto-creation.

import { ApiKey, ErrorCode, ZERO_UUID, type MetadataRequest, type MetadataResponse, type Uuid } from '../wire/index.js'
import { invalidTopicNameReason, isInternalTopic, type MetadataImage, type Controller } from '../kraft/index.js'
import { defineHandler, type RequestContext } from './handler.js'
import { brokerList, TOPIC_OPERATIONS, CLUSTER_OPERATIONS, AUTHORIZED_OPERATIONS_OMITTED } from './cluster-view.js'

export interface MetadataDeps {
  image: MetadataImage
  controller: Controller
  clusterId: string
  controllerId: () => number
  autoCreateTopicsEnable: () => boolean
}

export function metadataHandler(d: MetadataDeps) {
  return defineHandler({
    apiKey: ApiKey.Metadata,
    minVersion: 0,
    maxVersion: 12,
    async handle(req: MetadataRequest, ctx: RequestContext): Promise<MetadataResponse> {
      const v = ctx.apiVersion
      // v0: an empty list means every topic; v1+: null means every topic, empty means none.
      const all = req.topics === null || (v === 0 && req.topics.length === 0)
      const allowAutoCreate = (v < 4 || req.allowAutoTopicCreation !== false) && d.autoCreateTopicsEnable()

      const wanted: Array<{ name: string | null; id: Uuid | null }> = all
        ? [...d.image.topicsByName.keys()].map(name => ({ name, id: null }))
        : (req.topics ?? []).map(t => ({ name: t.name ?? null, id: t.topicId && t.topicId !== ZERO_UUID ? t.topicId : null }))

      if (!all && allowAutoCreate) {
        const missing = wanted.filter(w => w.id === null && w.name !== null && !d.image.topicsByName.has(w.name) && invalidTopicNameReason(w.name) === null && !isInternalTopic(w.name))
        if (missing.length > 0) {
          await d.controller.createTopics(
            missing.map(m => ({ name: m.name!, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] })),
            false,
          )
        }
      }

      const includeTopicOps = v >= 8 && req.includeTopicAuthorizedOperations === true
      const topics: MetadataResponse.MetadataResponseTopic[] = wanted.map(w => {
        // Topic ids in requests are valid from v12; before that a non-zero id is refused below.
        const t = w.id ? (v >= 12 ? d.image.topicsById.get(w.id) : undefined) : w.name === null ? undefined : d.image.topicsByName.get(w.name)
        const base = {
          // Names are nullable in responses from v12, where topics may be asked for by id.
          name: v >= 12 ? w.name : (w.name ?? ''),
          topicId: w.id ?? ZERO_UUID,
          isInternal: false,
          partitions: [] as MetadataResponse.MetadataResponsePartition[],
          topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
        }
        if (!t) {
          // Before v12 topics cannot be asked for by id (Kafka: INVALID_REQUEST).
          if (w.id) return { ...base, errorCode: v >= 12 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.INVALID_REQUEST }
          // A topic named by neither name nor id cannot be answered (Kafka: INVALID_REQUEST).
          if (w.name === null) return { ...base, name: '', errorCode: ErrorCode.INVALID_REQUEST }
          const invalid = invalidTopicNameReason(w.name)
          return { ...base, errorCode: invalid ? ErrorCode.INVALID_TOPIC_EXCEPTION : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
        }
        const partitions = [...t.partitions.values()]
          .sort((a, b) => a.partition - b.partition)
          .map(p => ({
            errorCode: p.leader < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
            partitionIndex: p.partition,
            leaderId: p.leader,
            leaderEpoch: p.leaderEpoch,
            replicaNodes: p.replicas,
            isrNodes: p.isr,
            offlineReplicas: p.replicas.filter(r => !d.image.brokers.get(r) || d.image.brokers.get(r)!.fenced),
          }))
        return {
          ...base,
          errorCode: ErrorCode.NONE,
          name: t.name,
          topicId: t.id,
          isInternal: isInternalTopic(t.name),
          partitions,
          topicAuthorizedOperations: includeTopicOps ? TOPIC_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
        }
      })

      return {
        throttleTimeMs: 0,
        brokers: brokerList(d.image, ctx.listenerName),
        clusterId: d.clusterId,
        controllerId: d.controllerId(),
        topics,
        clusterAuthorizedOperations: v >= 8 && v <= 10 && req.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
      }
    },
  })
}

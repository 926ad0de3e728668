// DeleteRecords (key 21): move partitions' log start offsets forward, deleting the records before.

import { ApiKey, ErrorCode, type DeleteRecordsRequest, type DeleteRecordsResponse } from '../wire/index.js'
import { isInternalTopic, type MetadataImage } from '../kraft/index.js'
import { resolveTopicConfig, type BrokerConfig } from '../config/index.js'
import { defineHandler, type RequestContext } from './handler.js'

/** What DeleteRecords needs from the partitions this node hosts. */
export interface DeleteRecordsStorage {
  /**
   * The offsets of this node's leader replica of a partition, or null when it holds no leader
   * replica of it (answered with NOT_LEADER_OR_FOLLOWER).
   */
  partitionOffsets(topic: string, partition: number): { highWatermark: number; logStartOffset: number } | null
  /**
   * Raises the log start offset to `offset` (never lowers it; `offset` ≤ the high watermark) and
   * deletes the segments wholly below it. Resolves with the partition's new low watermark
   * (its log start offset, or with followers the lowest among the replicas) once in effect.
   */
  deleteRecordsBefore(topic: string, partition: number, offset: number): Promise<{ errorCode: number; lowWatermark: number }>
}

export interface DeleteRecordsDeps {
  image: MetadataImage
  storage: DeleteRecordsStorage
  /** This node's effective configuration (for the topic's cleanup.policy). */
  brokerConfig: () => BrokerConfig
  nodeId: number
}

type PartitionResult = DeleteRecordsResponse.DeleteRecordsPartitionResult

export function deleteRecordsHandler(d: DeleteRecordsDeps) {
  return defineHandler({
    apiKey: ApiKey.DeleteRecords,
    minVersion: 0,
    maxVersion: 2,
    async handle(req: DeleteRecordsRequest, _ctx: RequestContext): Promise<DeleteRecordsResponse> {
      const broker = d.brokerConfig()
      const deletable = new Map<string, boolean>()
      const policyAllows = (topic: string): boolean => {
        let ok = deletable.get(topic)
        if (ok === undefined) {
          try {
            ok = resolveTopicConfig(d.image.topicConfigs(topic), broker).config.delete
          } catch {
            ok = true
          }
          deletable.set(topic, ok)
        }
        return ok
      }

      const one = async (topic: string, p: DeleteRecordsRequest.DeleteRecordsPartition): Promise<PartitionResult> => {
        const fail = (errorCode: number): PartitionResult => ({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode })
        const state = d.image.partition(topic, p.partitionIndex)
        if (!state) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        if (state.leader !== d.nodeId) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER)
        if (isInternalTopic(topic)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION)
        if (!policyAllows(topic)) return fail(ErrorCode.POLICY_VIOLATION)
        const offsets = d.storage.partitionOffsets(topic, p.partitionIndex)
        if (!offsets) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER)
        // -1 means "up to the high watermark".
        const target = p.offset === -1 ? offsets.highWatermark : p.offset
        if (target < 0 || target > offsets.highWatermark) return fail(ErrorCode.OFFSET_OUT_OF_RANGE)
        try {
          const r = await d.storage.deleteRecordsBefore(topic, p.partitionIndex, target)
          return { partitionIndex: p.partitionIndex, lowWatermark: r.errorCode === ErrorCode.NONE ? r.lowWatermark : -1, errorCode: r.errorCode }
        } catch {
          return fail(ErrorCode.KAFKA_STORAGE_ERROR)
        }
      }

      const topics = await Promise.all(
        req.topics.map(async t => ({ name: t.name, partitions: await Promise.all(t.partitions.map(p => one(t.name, p))) })),
      )
      return { throttleTimeMs: 0, topics }
    },
  })
}

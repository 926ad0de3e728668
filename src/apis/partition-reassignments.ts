// ListPartitionReassignments (key 46) and AlterPartitionReassignments (key 45), for
// `kafka-reassign-partitions.sh` and AdminClient. Replicas never move in this cluster yet, so no
// reassignment is ever in progress: a target that is the partition's current replica list is
// accepted as it stands (Kafka's no-op), a bad one gets Kafka's INVALID_REPLICA_ASSIGNMENT, and
// cancelling finds nothing to cancel.

import { ApiKey, ErrorCode, type AlterPartitionReassignmentsRequest, type AlterPartitionReassignmentsResponse, type ListPartitionReassignmentsRequest, type ListPartitionReassignmentsResponse } from '../wire/index.js'
import type { MetadataImage } from '../kraft/index.js'
import { defineHandler } from './handler.js'

interface Outcome {
  errorCode: number
  errorMessage: string | null
}

const ok: Outcome = { errorCode: ErrorCode.NONE, errorMessage: null }

/** What AlterPartitionReassignments answers for one partition. */
function reassign(image: MetadataImage, topic: string, partition: number, target: number[] | null): Outcome {
  const state = image.partition(topic, partition)
  if (!state) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find partition ${topic}-${partition}.` }
  if (target === null) return { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: null }
  const invalid = (errorMessage: string): Outcome => ({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage })
  if (target.length === 0) return invalid('The manual partition assignment includes an empty replica list.')
  const seen = new Set<number>()
  for (const b of target) {
    if (seen.has(b)) return invalid(`The manual partition assignment includes the broker ${b} more than once.`)
    seen.add(b)
    if (!image.brokers.has(b)) return invalid(`The manual partition assignment includes broker ${b}, but no such broker is registered.`)
  }
  const same = target.length === state.replicas.length && target.every((b, i) => b === state.replicas[i])
  return same ? ok : invalid(`This cluster does not move replicas yet: ${topic}-${partition} stays on [${state.replicas.join(', ')}].`)
}

export function alterPartitionReassignmentsHandler(d: { image: MetadataImage }) {
  return defineHandler({
    apiKey: ApiKey.AlterPartitionReassignments,
    minVersion: 0,
    maxVersion: 0,
    async handle(req: AlterPartitionReassignmentsRequest): Promise<AlterPartitionReassignmentsResponse> {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        responses: req.topics.map(t => ({
          name: t.name,
          partitions: t.partitions.map(p => ({ partitionIndex: p.partitionIndex, ...reassign(d.image, t.name, p.partitionIndex, p.replicas) })),
        })),
      }
    },
  })
}

export function listPartitionReassignmentsHandler() {
  return defineHandler({
    apiKey: ApiKey.ListPartitionReassignments,
    minVersion: 0,
    maxVersion: 0,
    async handle(_req: ListPartitionReassignmentsRequest): Promise<ListPartitionReassignmentsResponse> {
      // Kafka lists only the partitions with a reassignment in progress, and skips unknown topics.
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] }
    },
  })
}

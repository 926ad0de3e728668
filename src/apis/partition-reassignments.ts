// ListPartitionReassignments (key 46) and AlterPartitionReassignments (key 45), for
// `kafka-reassign-partitions.sh` and AdminClient. The controller judges each target
// (Controller.checkReassignment); it moves no replicas yet, so nothing is ever in progress.

import { ApiKey, ErrorCode, type AlterPartitionReassignmentsRequest, type AlterPartitionReassignmentsResponse, type ListPartitionReassignmentsRequest, type ListPartitionReassignmentsResponse } from '../wire/index.js'
import type { Controller } from '../kraft/index.js'
import { defineHandler } from './handler.js'

export function alterPartitionReassignmentsHandler(d: { controller: Controller }) {
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
          partitions: t.partitions.map(p => ({ partitionIndex: p.partitionIndex, ...d.controller.checkReassignment(t.name, p.partitionIndex, p.replicas) })),
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

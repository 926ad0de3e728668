// ElectLeaders (key 43), for `kafka-leader-election.sh` and AdminClient.electLeaders(). This
// controller never moves leadership (a single node leads every partition it holds), so an
// election is either not needed, or impossible because the broker that should lead is away.

import { ApiKey, ErrorCode, type ElectLeadersRequest, type ElectLeadersResponse } from '../wire/index.js'
import type { MetadataImage } from '../kraft/index.js'
import { defineHandler } from './handler.js'

const PREFERRED = 0

type PartitionResult = ElectLeadersResponse.PartitionResult

function elect(image: MetadataImage, topic: string, partition: number, electionType: number): PartitionResult {
  const state = image.partition(topic, partition)
  const result = (errorCode: number, errorMessage: string | null = null): PartitionResult => ({ partitionId: partition, errorCode, errorMessage })
  if (!state) return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The partition ${topic}-${partition} does not exist.`)
  if (electionType === PREFERRED) {
    return state.leader === state.replicas[0] ? result(ErrorCode.ELECTION_NOT_NEEDED) : result(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, `Failed to elect leader for partition ${topic}-${partition}: the preferred replica ${state.replicas[0]} is not available.`)
  }
  return state.leader >= 0 ? result(ErrorCode.ELECTION_NOT_NEEDED) : result(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, `Failed to elect leader for partition ${topic}-${partition}: no replica is available.`)
}

export function electLeadersHandler(d: { image: MetadataImage }) {
  return defineHandler({
    apiKey: ApiKey.ElectLeaders,
    minVersion: 0,
    maxVersion: 2,
    async handle(req: ElectLeadersRequest): Promise<ElectLeadersResponse> {
      const type = req.electionType ?? PREFERRED // v0 has preferred elections only
      let results: ElectLeadersResponse.ReplicaElectionResult[]
      if (req.topicPartitions === null) {
        // All partitions: as Kafka, only those where an election was needed are listed.
        results = []
        for (const topic of d.image.topicsByName.values()) {
          const partitionResult = [...topic.partitions.keys()].map(p => elect(d.image, topic.name, p, type)).filter(r => r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED)
          if (partitionResult.length > 0) results.push({ topic: topic.name, partitionResult })
        }
      } else {
        results = req.topicPartitions.map(t => ({ topic: t.topic, partitionResult: t.partitions.map(p => elect(d.image, t.topic, p, type)) }))
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: results }
    },
  })
}

// ElectLeaders (key 43), for `kafka-leader-election.sh` and AdminClient.electLeaders(). The
// controller judges each partition (Controller.checkElection).

import { ApiKey, ErrorCode, type ElectLeadersRequest, type ElectLeadersResponse } from '../wire/index.js'
import type { Controller, MetadataImage } from '../kraft/index.js'
import { defineHandler } from './handler.js'

const PREFERRED = 0

export function electLeadersHandler(d: { image: MetadataImage; controller: Controller }) {
  return defineHandler({
    apiKey: ApiKey.ElectLeaders,
    minVersion: 0,
    maxVersion: 2,
    async handle(req: ElectLeadersRequest): Promise<ElectLeadersResponse> {
      const type = req.electionType ?? PREFERRED // v0 has preferred elections only
      const elect = (topic: string, partitionId: number) => ({ partitionId, ...d.controller.checkElection(topic, partitionId, type) })
      let results: ElectLeadersResponse.ReplicaElectionResult[]
      if (req.topicPartitions === null) {
        // All partitions: as Kafka, only those where an election was needed are listed.
        results = []
        for (const topic of d.image.topicsByName.values()) {
          const partitionResult = [...topic.partitions.keys()].map(p => elect(topic.name, p)).filter(r => r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED)
          if (partitionResult.length > 0) results.push({ topic: topic.name, partitionResult })
        }
      } else {
        results = req.topicPartitions.map(t => ({ topic: t.topic, partitionResult: t.partitions.map(p => elect(t.topic, p)) }))
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: results }
    },
  })
}

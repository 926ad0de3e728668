// DescribeProducers (key 61): the idempotent and transactional producers each partition's log
// still tracks, for `kafka-transactions.sh describe-producers` and AdminClient.describeProducers().

import { ApiKey, type DescribeProducersRequest, type DescribeProducersResponse } from '../wire/index.js'
import type { ReplicaManager } from '../replication/index.js'
import { defineHandler } from './handler.js'

export function describeProducersHandler(d: { replicas: ReplicaManager }) {
  return defineHandler({
    apiKey: ApiKey.DescribeProducers,
    minVersion: 0,
    maxVersion: 0,
    handle(req: DescribeProducersRequest): DescribeProducersResponse {
      return {
        throttleTimeMs: 0,
        topics: req.topics.map(t => ({
          name: t.name,
          partitions: t.partitionIndexes.map(partitionIndex => {
            const r = d.replicas.activeProducers(t.name, partitionIndex)
            return { partitionIndex, errorCode: r.errorCode, errorMessage: null, activeProducers: r.producers }
          }),
        })),
      }
    },
  })
}

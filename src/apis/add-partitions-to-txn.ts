// AddPartitionsToTxn (key 24): a transactional producer names the partitions it is about to write
// before its first write to each. Versions 0-3 are the client's; 4+ batch several transactions
// for brokers verifying each other's writes (KIP-890), which a single node does not need.

import { ApiKey, ErrorCode, type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponse } from '../wire/index.js'
import type { MetadataImage } from '../kraft/index.js'
import type { TransactionCoordinator } from '../txn/index.js'
import { defineHandler, type RequestContext } from './handler.js'
import { fencedErrorFor } from './txn-errors.js'

export function addPartitionsToTxnHandler(d: { transactions: TransactionCoordinator; image: MetadataImage }) {
  return defineHandler({
    apiKey: ApiKey.AddPartitionsToTxn,
    minVersion: 0,
    maxVersion: 3,
    async handle(req: AddPartitionsToTxnRequest, ctx: RequestContext): Promise<AddPartitionsToTxnResponse> {
      const topics = req.v3AndBelowTopics ?? []
      const all = topics.flatMap(t => t.partitions.map(partition => ({ topic: t.name, partition })))
      // Kafka refuses the whole request when a partition does not exist: that one gets
      // UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED.
      const unknown = new Set(all.filter(tp => !d.image.partition(tp.topic, tp.partition)).map(tp => `${tp.partition}:${tp.topic}`))
      let code: number
      if (unknown.size > 0) code = ErrorCode.OPERATION_NOT_ATTEMPTED
      else code = fencedErrorFor(await d.transactions.addPartitions(req.v3AndBelowTransactionalId ?? '', req.v3AndBelowProducerId ?? -1, req.v3AndBelowProducerEpoch ?? -1, all), ctx.apiVersion, 2)
      return {
        throttleTimeMs: 0,
        resultsByTopicV3AndBelow: topics.map(t => ({
          name: t.name,
          resultsByPartition: t.partitions.map(p => ({ partitionIndex: p, partitionErrorCode: unknown.has(`${p}:${t.name}`) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : code })),
        })),
      }
    },
  })
}

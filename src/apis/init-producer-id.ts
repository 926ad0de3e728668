// InitProducerId (key 22): a producer id and epoch. Without a transactional id, for idempotent
// producers, a fresh id at epoch 0; with one, the transaction coordinator's id for it and a bumped
// epoch that fences any older producer using the same transactional id.

import { ApiKey, ErrorCode, type InitProducerIdRequest, type InitProducerIdResponse } from '../wire/index.js'
import type { ProducerIdManager, TransactionCoordinator } from '../txn/index.js'
import { defineHandler, type RequestContext } from './handler.js'
import { fencedErrorFor } from './txn-errors.js'

export function initProducerIdHandler(d: { producerIds: ProducerIdManager; transactions: TransactionCoordinator }) {
  return defineHandler({
    apiKey: ApiKey.InitProducerId,
    minVersion: 0,
    maxVersion: 5,
    async handle(req: InitProducerIdRequest, ctx: RequestContext): Promise<InitProducerIdResponse> {
      const v = ctx.apiVersion
      if (req.transactionalId !== null) {
        // v3+ carries the producer's current id and epoch (-1 when it has none).
        const pid = v >= 3 ? (req.producerId ?? -1) : -1
        const expected = pid >= 0 ? { producerId: pid, producerEpoch: req.producerEpoch ?? -1 } : null
        const r = await d.transactions.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected)
        return { throttleTimeMs: 0, errorCode: fencedErrorFor(r.errorCode, v, 4), producerId: r.producerId, producerEpoch: r.producerEpoch }
      }
      // Without a transactional id Kafka hands out a fresh id at epoch 0, also to a producer
      // asking to bump its epoch (KIP-360): the new id fences nothing and starts sequences at 0.
      const producerId = await d.producerIds.generate()
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 }
    },
  })
}

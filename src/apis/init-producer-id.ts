// InitProducerId (key 22): a producer id and epoch for idempotent producers. Transactional ids
// need the transaction coordinator, which Millrace does not have yet: those get a clear error.

import { ApiKey, ErrorCode, type InitProducerIdRequest, type InitProducerIdResponse } from '../wire/index.js'
import type { ProducerIdManager } from '../txn/index.js'
import type { Logger } from '../util/index.js'
import { defineHandler, type RequestContext } from './handler.js'

export function initProducerIdHandler(d: { producerIds: ProducerIdManager; log: Logger }) {
  return defineHandler({
    apiKey: ApiKey.InitProducerId,
    minVersion: 0,
    maxVersion: 5,
    async handle(req: InitProducerIdRequest, ctx: RequestContext): Promise<InitProducerIdResponse> {
      if (req.transactionalId !== null) {
        d.log.warn(`${ctx.clientAddress}: InitProducerId for transactional id '${req.transactionalId}': transactions are not supported yet`)
        return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, producerId: -1, producerEpoch: -1 }
      }
      // Without a transactional id Kafka hands out a fresh id at epoch 0, also to a producer
      // asking to bump its epoch (KIP-360): the new id fences nothing and starts sequences at 0.
      const producerId = await d.producerIds.generate()
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 }
    },
  })
}

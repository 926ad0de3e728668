// EndTxn (key 26): commit or abort the producer's transaction. Answered once the decision is
// written to __transaction_state and (normally) its markers are in every partition of it.
// v5 belongs to transaction version 2 (KIP-890 part 2), which Millrace does not finalise.

import { ApiKey, type EndTxnRequest, type EndTxnResponse } from '../wire/index.js'
import type { TransactionCoordinator } from '../txn/index.js'
import { defineHandler, type RequestContext } from './handler.js'
import { fencedErrorFor } from './txn-errors.js'

export function endTxnHandler(d: { transactions: TransactionCoordinator }) {
  return defineHandler({
    apiKey: ApiKey.EndTxn,
    minVersion: 0,
    maxVersion: 4,
    async handle(req: EndTxnRequest, ctx: RequestContext): Promise<EndTxnResponse> {
      const code = await d.transactions.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed)
      return { throttleTimeMs: 0, errorCode: fencedErrorFor(code, ctx.apiVersion, 2) }
    },
  })
}

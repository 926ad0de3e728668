// ListTransactions (key 66), for `kafka-transactions.sh list` and AdminClient.listTransactions():
// the transactional ids this node coordinates, filtered by state, producer id and (v1) how long
// their transaction has been open. State filters Kafka does not know are reported back.

import { ApiKey, ErrorCode, type ListTransactionsRequest, type ListTransactionsResponse } from '../wire/index.js'
import { TXN_STATE_NAMES, type TransactionCoordinator } from '../txn/index.js'
import { defineHandler, type RequestContext } from './handler.js'

export function listTransactionsHandler(d: { transactions: TransactionCoordinator }) {
  return defineHandler({
    apiKey: ApiKey.ListTransactions,
    minVersion: 0,
    maxVersion: 1,
    async handle(req: ListTransactionsRequest, ctx: RequestContext): Promise<ListTransactionsResponse> {
      const unknownStateFilters = req.stateFilters.filter(s => !TXN_STATE_NAMES.includes(s))
      const duration = ctx.apiVersion >= 1 ? (req.durationFilter ?? -1) : -1
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates: d.transactions.list(req.stateFilters, req.producerIdFilters, duration) }
    },
  })
}

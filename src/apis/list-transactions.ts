// ListTransactions (key 66), for `kafka-transactions.sh list` and AdminClient.listTransactions():
// Millrace has no transaction coordinator yet (InitProducerId refuses transactional ids), so
// there is never a transaction to list. State filters Kafka does not know are reported back.

import { ApiKey, ErrorCode, type ListTransactionsRequest, type ListTransactionsResponse } from '../wire/index.js'
import { defineHandler } from './handler.js'

/** Kafka's transaction state names (TransactionState.fromName). */
const STATES = new Set(['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'])

export function listTransactionsHandler() {
  return defineHandler({
    apiKey: ApiKey.ListTransactions,
    minVersion: 0,
    maxVersion: 1,
    async handle(req: ListTransactionsRequest): Promise<ListTransactionsResponse> {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters: req.stateFilters.filter(s => !STATES.has(s)), transactionStates: [] }
    },
  })
}

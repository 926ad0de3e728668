// DescribeTransactions (key 65), for `kafka-transactions.sh describe`: the state, producer, timeout,
// start time and partitions of each transactional id this node coordinates; NOT_COORDINATOR for
// ids of other nodes, TRANSACTIONAL_ID_NOT_FOUND for ids nobody has used.

import { ApiKey, type DescribeTransactionsRequest, type DescribeTransactionsResponse } from '../wire/index.js'
import type { TransactionCoordinator } from '../txn/index.js'
import { defineHandler } from './handler.js'

export function describeTransactionsHandler(d: { transactions: TransactionCoordinator }) {
  return defineHandler({
    apiKey: ApiKey.DescribeTransactions,
    minVersion: 0,
    maxVersion: 0,
    async handle(req: DescribeTransactionsRequest): Promise<DescribeTransactionsResponse> {
      return { throttleTimeMs: 0, transactionStates: req.transactionalIds.map(id => d.transactions.describe(id)) }
    },
  })
}

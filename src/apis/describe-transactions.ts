// DescribeTransactions (key 65), for `kafka-transactions.sh describe`: with no transaction
// coordinator yet, no transactional id is known, and each gets Kafka's TRANSACTIONAL_ID_NOT_FOUND.

import { ApiKey, ErrorCode, type DescribeTransactionsRequest, type DescribeTransactionsResponse } from '../wire/index.js'
import { defineHandler } from './handler.js'

export function describeTransactionsHandler() {
  return defineHandler({
    apiKey: ApiKey.DescribeTransactions,
    minVersion: 0,
    maxVersion: 0,
    async handle(req: DescribeTransactionsRequest): Promise<DescribeTransactionsResponse> {
      return {
        throttleTimeMs: 0,
        transactionStates: req.transactionalIds.map(transactionalId => ({
          errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND,
          transactionalId,
          transactionState: '',
          transactionTimeoutMs: 0,
          transactionStartTimeMs: 0,
          producerId: 0,
          producerEpoch: 0,
          topics: [],
        })),
      }
    },
  })
}

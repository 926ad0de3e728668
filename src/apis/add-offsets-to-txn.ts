// AddOffsetsToTxn (key 25): a transactional producer is about to commit a group's offsets in its
// transaction (sendOffsetsToTransaction); the group's __consumer_offsets partition joins the
// transaction, so that the transaction's marker reaches it.

import { ApiKey, type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse } from '../wire/index.js'
import type { GroupCoordinator } from '../groups/index.js'
import { OFFSETS_TOPIC } from '../groups/index.js'
import type { TransactionCoordinator } from '../txn/index.js'
import { defineHandler, type RequestContext } from './handler.js'
import { fencedErrorFor } from './txn-errors.js'

export function addOffsetsToTxnHandler(d: { transactions: TransactionCoordinator; groups: GroupCoordinator }) {
  return defineHandler({
    apiKey: ApiKey.AddOffsetsToTxn,
    minVersion: 0,
    maxVersion: 4,
    async handle(req: AddOffsetsToTxnRequest, ctx: RequestContext): Promise<AddOffsetsToTxnResponse> {
      const partition = { topic: OFFSETS_TOPIC, partition: d.groups.partitionFor(req.groupId) }
      const code = await d.transactions.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [partition], 'AddOffsetsToTxn')
      return { throttleTimeMs: 0, errorCode: fencedErrorFor(code, ctx.apiVersion, 2) }
    },
  })
}

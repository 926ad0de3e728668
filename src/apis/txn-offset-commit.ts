// TxnOffsetCommit (key 28): offsets committed inside a transaction (sendOffsetsToTransaction).
// The group coordinator writes them to __consumer_offsets with the producer's id and epoch and
// holds them back until the transaction's COMMIT marker arrives (dropped at ABORT).

import { ApiKey, ErrorCode, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse } from '../wire/index.js'
import type { GroupCoordinator } from '../groups/index.js'
import type { MetadataImage } from '../kraft/index.js'
import { defineHandler, type RequestContext } from './handler.js'
import { partitionErrors } from './group-common.js'

export function txnOffsetCommitHandler(d: { groups: GroupCoordinator; image: MetadataImage }) {
  return defineHandler({
    apiKey: ApiKey.TxnOffsetCommit,
    minVersion: 0,
    maxVersion: 4,
    async handle(req: TxnOffsetCommitRequest, ctx: RequestContext): Promise<TxnOffsetCommitResponse> {
      const v = ctx.apiVersion
      const offsets = req.topics.flatMap(t =>
        t.partitions.map(p => ({
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: v >= 2 ? (p.committedLeaderEpoch ?? -1) : -1,
          metadata: p.committedMetadata,
          commitTimestamp: -1,
        })),
      )
      const codes =
        req.transactionalId === ''
          ? offsets.map(() => ErrorCode.INVALID_REQUEST)
          : await d.groups.commitTransactionalOffsets({
              groupId: req.groupId,
              generationId: v >= 3 ? (req.generationId ?? -1) : -1,
              memberId: v >= 3 ? (req.memberId ?? '') : '',
              groupInstanceId: v >= 3 ? (req.groupInstanceId ?? null) : null,
              retentionTimeMs: -1,
              offsets,
              txn: { producerId: req.producerId, producerEpoch: req.producerEpoch },
            })
      return { throttleTimeMs: 0, topics: partitionErrors(req.topics, codes) }
    },
  })
}

// WriteTxnMarkers (key 27): a transaction coordinator asks this node, as leader of the partitions,
// to write COMMIT/ABORT markers. Kafka's coordinators send it to other brokers; on one node the
// coordinator writes its markers directly, through the same writer this handler uses.

import { ApiKey, type WriteTxnMarkersRequest, type WriteTxnMarkersResponse } from '../wire/index.js'
import type { TxnMarkerWriter } from '../txn/index.js'
import { defineHandler } from './handler.js'

export function writeTxnMarkersHandler(d: { markers: TxnMarkerWriter }) {
  return defineHandler({
    apiKey: ApiKey.WriteTxnMarkers,
    minVersion: 0,
    maxVersion: 1,
    async handle(req: WriteTxnMarkersRequest): Promise<WriteTxnMarkersResponse> {
      const markers = await Promise.all(
        req.markers.map(async m => {
          const results = await d.markers.writeMarkers({
            producerId: m.producerId,
            producerEpoch: m.producerEpoch,
            commit: m.transactionResult,
            coordinatorEpoch: m.coordinatorEpoch,
            partitions: m.topics.flatMap(t => t.partitionIndexes.map(partition => ({ topic: t.name, partition }))),
          })
          let i = 0
          return {
            producerId: m.producerId,
            topics: m.topics.map(t => ({ name: t.name, partitions: t.partitionIndexes.map(partitionIndex => ({ partitionIndex, errorCode: results[i++]!.errorCode })) })),
          }
        }),
      )
      return { markers }
    },
  })
}

// Writing a transaction's COMMIT/ABORT markers (what Kafka's WriteTxnMarkers does on each
// partition leader): one control batch per partition, appended as the coordinator with acks=all;
// a marker that reaches a __consumer_offsets partition also settles the offsets the transaction
// committed there. On one node every leader is local, so no request crosses the network.

import { OFFSETS_TOPIC, type GroupCoordinator } from '../groups/index.js'
import type { ReplicaManager } from '../replication/index.js'
import type { TxnMarkerRequest, TxnMarkerWriter } from '../txn/index.js'
import { buildEndTxnMarkerBatch } from '../wire/index.js'

/** Kafka's request.timeout.ms default, the wait for the ISR of each marker. */
const MARKER_WRITE_TIMEOUT_MS = 30_000

export function localTxnMarkerWriter(replicas: ReplicaManager, groups: GroupCoordinator, now: () => number = Date.now): TxnMarkerWriter {
  return {
    async writeMarkers(m: TxnMarkerRequest) {
      const timestamp = now()
      // One batch each: the append writes the partition's offsets into the bytes.
      const marker = () => buildEndTxnMarkerBatch({ producerId: m.producerId, producerEpoch: m.producerEpoch, commit: m.commit, coordinatorEpoch: m.coordinatorEpoch, timestamp })
      const results = await replicas.appendRecords(
        -1,
        MARKER_WRITE_TIMEOUT_MS,
        m.partitions.map(tp => ({ topic: tp.topic, partition: tp.partition, records: marker(), origin: 'coordinator' as const })),
      )
      for (const r of results) {
        if (r.errorCode === 0 && r.topic === OFFSETS_TOPIC) groups.onTransactionCompleted(r.partition, m.producerId, m.commit)
      }
      return results.map(r => ({ topic: r.topic, partition: r.partition, errorCode: r.errorCode }))
    },
  }
}

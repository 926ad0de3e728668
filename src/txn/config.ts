// The transaction coordinator's settings, read from the broker config on every use so dynamic
// changes take effect at once.

import type { BrokerConfig } from '../config/index.js'

export interface TxnConfig {
  numPartitions: number
  replicationFactor: number
  minIsr: number
  segmentBytes: number
  loadBufferSize: number
  maxTimeoutMs: number
  idExpirationMs: number
  abortTimedOutIntervalMs: number
  removeExpiredIntervalMs: number
}

export function txnConfigOf(c: BrokerConfig): TxnConfig {
  return {
    numPartitions: c.get('transaction.state.log.num.partitions') as number,
    replicationFactor: c.get('transaction.state.log.replication.factor') as number,
    minIsr: c.get('transaction.state.log.min.isr') as number,
    segmentBytes: c.get('transaction.state.log.segment.bytes') as number,
    loadBufferSize: c.get('transaction.state.log.load.buffer.size') as number,
    maxTimeoutMs: c.get('transaction.max.timeout.ms') as number,
    idExpirationMs: c.get('transactional.id.expiration.ms') as number,
    abortTimedOutIntervalMs: c.get('transaction.abort.timed.out.transaction.cleanup.interval.ms') as number,
    removeExpiredIntervalMs: c.get('transaction.remove.expired.transaction.cleanup.interval.ms') as number,
  }
}

// What the transaction coordinator needs from the rest of the broker (narrow, so tests can fake it).

import type { BrokerConfig } from '../config/index.js'
import type { MetadataImage, TopicCreator } from '../kraft/index.js'
import type { ReplaySource } from '../storage/index.js'
import type { Logger, Time } from '../util/index.js'
import type { TopicPartition } from './metadata.js'
import type { ProducerIdManager } from './producer-id-manager.js'

export interface TxnLogPartitionAccess extends ReplaySource {
  readonly isLeader: boolean
  readonly leaderEpoch: number
}

export interface TxnReplicaAccess {
  getPartition(topic: string, partition: number): TxnLogPartitionAccess | undefined
  appendRecords(
    requiredAcks: number,
    timeoutMs: number,
    entries: Array<{ topic: string; partition: number; records: Buffer | null; origin?: 'client' | 'coordinator' }>,
  ): Array<{ errorCode: number; errorMessage: string | null }> | Promise<Array<{ errorCode: number; errorMessage: string | null }>>
  /** Resolves once every partition log the image asked for is open. */
  ready(): Promise<void>
}

export interface TxnMarkerRequest {
  producerId: number
  producerEpoch: number
  commit: boolean
  coordinatorEpoch: number
  partitions: TopicPartition[]
}

/** Writes COMMIT/ABORT markers to the partitions of a transaction (Kafka's WriteTxnMarkers). */
export interface TxnMarkerWriter {
  writeMarkers(m: TxnMarkerRequest): Promise<Array<TopicPartition & { errorCode: number }>>
}

export interface TransactionCoordinatorDeps {
  nodeId: number
  image: MetadataImage
  controller: TopicCreator
  replicas: TxnReplicaAccess
  markers: TxnMarkerWriter
  producerIds: ProducerIdManager
  config: () => BrokerConfig
  log: Logger
  time?: Time
}

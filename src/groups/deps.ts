// What the group coordinator needs from the rest of the broker (narrow, so tests can fake it).

import type { BrokerConfig } from '../config/index.js'
import type { MetadataImage, TopicCreator } from '../kraft/index.js'
import type { Logger } from '../util/index.js'
import type { Time } from '../util/index.js'

export interface OffsetsPartitionAccess {
  readonly isLeader: boolean
  readonly logStartOffset: number
  readonly logEndOffset: number
  readonly log: { read(offset: number, maxBytes: number, upperBound?: number, minOneMessage?: boolean): Promise<{ records: Buffer }> }
}

type AppendOutcome = { errorCode: number; errorMessage: string | null; baseOffset: number }

export interface ReplicaAccess {
  getPartition(topic: string, partition: number): OffsetsPartitionAccess | undefined
  appendRecords(
    requiredAcks: number,
    timeoutMs: number,
    entries: Array<{ topic: string; partition: number; records: Buffer | null; origin?: 'client' | 'coordinator' }>,
  ): AppendOutcome[] | Promise<AppendOutcome[]>
  /** Resolves once every partition log the image asked for is open. */
  ready(): Promise<void>
}

export interface GroupCoordinatorDeps {
  nodeId: number
  image: MetadataImage
  controller: TopicCreator
  replicas: ReplicaAccess
  config: () => BrokerConfig
  log: Logger
  time?: Time
}

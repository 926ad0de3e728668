// The API table of a broker node: which handler answers each API key, wired to its services.

import {
  apiVersionsHandler,
  fetchHandler,
  initProducerIdHandler,
  listOffsetsHandler,
  metadataHandler,
  offsetForLeaderEpochHandler,
  produceHandler,
  type ApiHandler,
  type HandlerTable,
} from '../apis/index.js'
import type { BrokerConfig } from '../config/index.js'
import type { Controller, MetadataImage } from '../kraft/index.js'
import type { FetchSessionCache, ReplicaManager } from '../replication/index.js'
import type { LogManager } from '../storage/index.js'
import type { ProducerIdManager } from '../txn/index.js'
import type { Logger } from '../util/logger.js'
import { METADATA_VERSION_LEVEL } from './start-broker.js'

export interface BrokerServices {
  nodeId: number
  clusterId: string
  image: MetadataImage
  controller: Controller
  replicas: ReplicaManager
  logs: LogManager
  producerIds: ProducerIdManager
  fetchSessions: FetchSessionCache
  config: () => BrokerConfig
  log: Logger
}

export function buildHandlers(s: BrokerServices): HandlerTable {
  const table = new Map<number, ApiHandler>()
  const add = (h: ApiHandler<any>): void => void table.set(h.apiKey, h as ApiHandler)
  const log = s.log.child('apis')

  add(
    apiVersionsHandler(
      () => table,
      () => ({
        supported: [{ name: 'metadata.version', minVersion: 1, maxVersion: METADATA_VERSION_LEVEL }],
        finalized: [...s.image.features].map(([name, level]) => ({ name, minVersionLevel: level, maxVersionLevel: level })),
        epoch: s.image.lastOffset,
      }),
    ),
  )
  add(
    metadataHandler({
      image: s.image,
      controller: s.controller,
      clusterId: s.clusterId,
      controllerId: () => s.nodeId,
      autoCreateTopicsEnable: () => s.config().get('auto.create.topics.enable') as boolean,
    }),
  )
  add(produceHandler({ replicas: s.replicas, log }))
  add(fetchHandler({ image: s.image, replicas: s.replicas, sessions: s.fetchSessions, fetchMaxBytes: () => s.config().get('fetch.max.bytes') as number }))
  add(listOffsetsHandler({ replicas: s.replicas }))
  add(offsetForLeaderEpochHandler({ replicas: s.replicas }))
  add(initProducerIdHandler({ producerIds: s.producerIds, log }))
  return table
}

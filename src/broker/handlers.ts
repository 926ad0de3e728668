// The API table of a broker node: which handler answers each API key, wired to its services.

import {
  addOffsetsToTxnHandler,
  addPartitionsToTxnHandler,
  adminHandlers,
  apiVersionsHandler,
  endTxnHandler,
  txnOffsetCommitHandler,
  writeTxnMarkersHandler,
  describeProducersHandler,
  describeQuorumHandler,
  describeTransactionsHandler,
  listTransactionsHandler,
  fetchHandler,
  groupHandlers,
  initProducerIdHandler,
  listOffsetsHandler,
  metadataHandler,
  offsetForLeaderEpochHandler,
  produceHandler,
  type ApiHandler,
  type HandlerTable,
} from '../apis/index.js'
import type { BrokerConfig } from '../config/index.js'
import type { Controller, MetadataImage, MetadataLog } from '../kraft/index.js'
import type { FetchSessionCache, ReplicaManager } from '../replication/index.js'
import type { GroupCoordinator } from '../groups/index.js'
import type { LogManager } from '../storage/index.js'
import type { LogDirDescription } from '../apis/index.js'
import { statfs } from 'node:fs/promises'
import { sep } from 'node:path'
import type { ProducerIdManager, TransactionCoordinator, TxnMarkerWriter } from '../txn/index.js'
import type { Logger } from '../util/index.js'
import { METADATA_VERSION_LEVEL } from './start-broker.js'

export interface BrokerServices {
  nodeId: number
  clusterId: string
  image: MetadataImage
  controller: Controller
  metadataLog: MetadataLog
  replicas: ReplicaManager
  logs: LogManager
  producerIds: ProducerIdManager
  fetchSessions: FetchSessionCache
  groups: GroupCoordinator
  transactions: TransactionCoordinator
  markers: TxnMarkerWriter
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
  const verifyTransaction = (transactionalId: string, topic: string, partition: number, producerId: number, producerEpoch: number) =>
    s.transactions.verifyPartition(transactionalId, producerId, producerEpoch, { topic, partition })
  add(
    produceHandler({
      replicas: s.replicas,
      log,
      verifyTransactions: () => ((s.config().get('transaction.partition.verification.enable') as boolean) ? verifyTransaction : null),
    }),
  )
  add(fetchHandler({ image: s.image, replicas: s.replicas, sessions: s.fetchSessions, fetchMaxBytes: () => s.config().get('fetch.max.bytes') as number }))
  add(listOffsetsHandler({ replicas: s.replicas }))
  add(offsetForLeaderEpochHandler({ replicas: s.replicas }))
  add(describeProducersHandler({ replicas: s.replicas }))
  add(describeQuorumHandler({ nodeId: s.nodeId, image: s.image, leaderEpoch: () => s.metadataLog.epoch }))
  add(initProducerIdHandler({ producerIds: s.producerIds, transactions: s.transactions }))
  add(addPartitionsToTxnHandler({ transactions: s.transactions, image: s.image }))
  add(addOffsetsToTxnHandler({ transactions: s.transactions, groups: s.groups }))
  add(endTxnHandler({ transactions: s.transactions }))
  add(txnOffsetCommitHandler({ groups: s.groups, image: s.image }))
  add(writeTxnMarkersHandler({ markers: s.markers }))
  add(listTransactionsHandler({ transactions: s.transactions }))
  add(describeTransactionsHandler({ transactions: s.transactions }))
  for (const h of groupHandlers({ coordinator: s.groups, transactions: s.transactions, image: s.image, log })) add(h)
  for (const h of adminHandlers({
    image: s.image,
    controller: s.controller,
    brokerConfig: s.config,
    nodeId: s.nodeId,
    clusterId: s.clusterId,
    controllerId: () => s.nodeId,
    deleteRecords: {
      partitionOffsets: (topic, partition) => {
        const p = s.replicas.getPartition(topic, partition)
        return p && p.isLeader ? { highWatermark: p.highWatermark, logStartOffset: p.logStartOffset } : null
      },
      deleteRecordsBefore: (topic, partition, offset) => s.replicas.deleteRecordsBefore(topic, partition, offset),
    },
    logDirs: { describeLogDirs: () => describeLogDirs(s.logs, s.replicas) },
  }))
    add(h)
  return table
}

/** DescribeLogDirs: every log directory with the size and lag of each partition it holds. */
async function describeLogDirs(logs: LogManager, replicas: ReplicaManager): Promise<LogDirDescription[]> {
  const byDir = new Map<string, LogDirDescription>()
  for (const dir of logs.logDirs) {
    const space = await statfs(dir).catch(() => null)
    byDir.set(dir, {
      path: dir,
      partitions: [],
      totalBytes: space ? space.blocks * space.bsize : -1,
      usableBytes: space ? space.bavail * space.bsize : -1,
    })
  }
  for (const p of replicas.allPartitions()) {
    const entry = [...byDir.values()].find(d => p.log.dir.startsWith(d.path + sep))
    if (!entry) continue
    entry.partitions.push({ topic: p.topic, partition: p.index, size: await p.log.size(), offsetLag: Math.max(0, p.highWatermark - p.logEndOffset), isFuture: false })
  }
  return [...byDir.values()]
}

// Starts one Millrace node: configuration → storage → metadata replay → services → listeners.
// A single node is a cluster of one: it is the only controller voter and leads every partition.

import { hostname } from 'node:os'
import { join } from 'node:path'
import { createBrokerConfig, type BrokerConfig } from '../config/index.js'
import { Controller, MetadataImage, MetadataLog, METADATA_TOPIC } from '../kraft/index.js'
import { brokerConfigFromImage, type HandlerTable } from '../apis/index.js'
import { FetchSessionCache, ReplicaManager } from '../replication/index.js'
import { SocketServer, type BoundListener } from '../server/index.js'
import { LogManager, readMetaProperties } from '../storage/index.js'
import { ProducerIdManager, TransactionCoordinator } from '../txn/index.js'
import { localTxnMarkerWriter } from './txn-markers.js'
import { GroupCoordinator } from '../groups/index.js'
import { createLogger, type Logger } from '../util/index.js'
import { randomUuid } from '../wire/index.js'
import { buildHandlers } from './handlers.js'
import { metadataLogConfig, topicLogConfig } from './log-configs.js'
import { validateTopicConfigs, validateBrokerConfigs } from '../config/index.js'

export interface BrokerOptions {
  /** A loaded configuration (from `loadBrokerConfig`); otherwise built from `overrides`. */
  config?: BrokerConfig
  /** Kafka config keys and values, e.g. { 'log.dirs': '/tmp/x', 'listeners': 'PLAINTEXT://localhost:0' }. */
  overrides?: Record<string, string>
  logger?: Logger
}

export interface RunningBroker {
  /** host:port of the first listener, for a client's bootstrap servers. */
  readonly bootstrap: string
  readonly listeners: BoundListener[]
  readonly nodeId: number
  readonly clusterId: string
  readonly config: BrokerConfig
  /** The API handlers the listeners serve (for in-process drivers such as scripts/bench-produce-path.ts). */
  readonly handlers: HandlerTable
  stop(): Promise<void>
}

/** Feature levels this node writes on first start (Kafka 3.9's metadata.version). */
export const METADATA_VERSION_LEVEL = 21

/** The cluster id recorded in a log directory's meta.properties, if any directory has one. */
async function existingClusterId(dirs: string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const meta = await readMetaProperties(join(dir, 'meta.properties')).catch(() => null)
    if (meta) return meta.clusterId
  }
  return undefined
}

export async function startBroker(opts: BrokerOptions = {}): Promise<RunningBroker> {
  const log = opts.logger ?? createLogger('millrace')
  const staticConfig = opts.config ?? createBrokerConfig(opts.overrides ?? {})
  const nodeId = staticConfig.nodeId()
  const image = new MetadataImage()

  // The broker config with the dynamic layers from the metadata image (rebuilt when the image moves;
  // dynamic values that do not validate are logged and the last good config stays in force).
  const config = brokerConfigFromImage(staticConfig, image, nodeId, e => log.warn(`ignoring invalid dynamic broker configs: ${e.message}`))

  const clusterId = (await existingClusterId(staticConfig.logDirs())) ?? randomUuid()
  const logs = await LogManager.start({
    logDirs: staticConfig.logDirs(),
    nodeId,
    clusterId,
    defaultConfig: topicLogConfig(new Map(), staticConfig),
    logger: log.child('storage'),
    cleanerEnabled: staticConfig.get('log.cleaner.enable') as boolean,
    retentionCheckIntervalMs: staticConfig.get('log.retention.check.interval.ms') as number,
  })

  const replicas = new ReplicaManager({
    nodeId,
    logs,
    image,
    logConfigFor: topic => topicLogConfig(image.topicConfigs(topic), config()),
    minInsyncReplicas: topic => Number(image.topicConfigs(topic).get('min.insync.replicas') ?? config().get('min.insync.replicas')),
    log: log.child('replication'),
  })

  const metadataLog = new MetadataLog(await logs.getOrCreateLog(METADATA_TOPIC, 0, metadataLogConfig(staticConfig)), image, log.child('metadata'))
  await metadataLog.replay()

  const controller = new Controller(image, {
    defaultPartitions: () => config().get('num.partitions') as number,
    defaultReplicationFactor: () => config().get('default.replication.factor') as number,
    deleteTopicEnable: () => config().get('delete.topic.enable') as boolean,
    validateTopicConfigs: m => {
      const v = validateTopicConfigs(m, config())
      return v.ok ? null : v.message
    },
    validateBrokerConfigs: m => {
      const v = validateBrokerConfigs(m)
      return v.ok ? null : v.message
    },
    // A committed change is answered once this node has acted on it (a new topic's logs are open),
    // so a client that creates a topic can produce to it at once.
    commit: async records => {
      await metadataLog.commit(records)
      await replicas.ready()
    },
  })
  await controller.ensureFeatures({ 'metadata.version': METADATA_VERSION_LEVEL })

  const groups = new GroupCoordinator({ nodeId, image, controller, replicas, config, log: log.child('groups') })
  const producerIds = new ProducerIdManager(() => controller.allocateProducerIds(nodeId, -1))
  const markers = localTxnMarkerWriter(replicas, groups)
  const transactions = new TransactionCoordinator({
    nodeId,
    image,
    controller,
    replicas,
    markers,
    producerIds,
    config,
    log: log.child('txn'),
  })
  const handlers = buildHandlers({
    nodeId,
    clusterId,
    image,
    controller,
    metadataLog,
    replicas,
    logs,
    producerIds,
    groups,
    transactions,
    markers,
    fetchSessions: new FetchSessionCache(config().get('max.incremental.fetch.session.cache.slots') as number),
    config,
    log,
  })

  const server = new SocketServer({
    listeners: staticConfig.listeners().map(l => ({ name: l.name, host: l.host, port: l.port })),
    handlers,
    maxRequestBytes: staticConfig.get('socket.request.max.bytes') as number,
    log: log.child('server'),
  })
  const bound = await server.start()

  // Register with the advertised endpoints, now that port 0 listeners have their real ports.
  const advertised = staticConfig.advertisedListeners()
  await controller.registerBroker({
    brokerId: nodeId,
    incarnationId: randomUuid(),
    rack: null,
    endpoints: bound.map(b => {
      const adv = advertised.find(a => a.name === b.name)
      const host = adv?.host || b.host || hostname()
      const port = adv && adv.port !== 0 ? adv.port : b.boundPort
      return { name: b.name, host, port, securityProtocol: 0 }
    }),
  })
  await replicas.ready()
  await groups.loadAll()
  await transactions.loadAll()

  const first = bound[0]
  let stopped = false
  return {
    bootstrap: `${first.host || 'localhost'}:${first.boundPort}`,
    listeners: bound,
    nodeId,
    clusterId,
    handlers,
    get config() {
      return config()
    },
    async stop() {
      if (stopped) return
      stopped = true
      transactions.shutdown()
      groups.shutdown()
      replicas.shutdown()
      await server.stop()
      await metadataLog.snapshot()
      await logs.shutdown()
    },
  }
}

// The admin APIs as one set, for the broker to register at once.

import type { Controller, MetadataImage } from '../kraft/index.js'
import { ConfigError, type BrokerConfig } from '../config/index.js'
import type { ApiHandler } from './handler.js'
import { createTopicsHandler } from './create-topics.js'
import { deleteTopicsHandler } from './delete-topics.js'
import { createPartitionsHandler } from './create-partitions.js'
import { deleteRecordsHandler, type DeleteRecordsStorage } from './delete-records.js'
import { describeConfigsHandler } from './describe-configs.js'
import { alterConfigsHandler } from './alter-configs.js'
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.js'
import { describeLogDirsHandler, type LogDirsSource } from './describe-log-dirs.js'
import { describeClusterHandler } from './describe-cluster.js'
import { aclHandlers } from './acls.js'
import { alterPartitionReassignmentsHandler, listPartitionReassignmentsHandler } from './partition-reassignments.js'
import { electLeadersHandler } from './elect-leaders.js'
import { describeClientQuotasHandler } from './describe-client-quotas.js'

export interface AdminDeps {
  image: MetadataImage
  controller: Controller
  /** This node's effective configuration, dynamic configs from the image included (see brokerConfigFromImage). */
  brokerConfig: () => BrokerConfig
  nodeId: number
  clusterId: string
  /** The controller id clients are told (as Metadata answers it). */
  controllerId: () => number
  /** Storage side of DeleteRecords. */
  deleteRecords: DeleteRecordsStorage
  /** Storage side of DescribeLogDirs. */
  logDirs: LogDirsSource
}

/** CreateTopics, DeleteTopics, CreatePartitions, DeleteRecords, DescribeConfigs, AlterConfigs, IncrementalAlterConfigs, DescribeLogDirs, DescribeCluster, ElectLeaders, Alter/ListPartitionReassignments, DescribeClientQuotas, and the ACL APIs (no authorizer). */
export function adminHandlers(d: AdminDeps): ApiHandler[] {
  return [
    createTopicsHandler(d),
    deleteTopicsHandler(d),
    createPartitionsHandler(d),
    deleteRecordsHandler({ image: d.image, storage: d.deleteRecords, brokerConfig: d.brokerConfig, nodeId: d.nodeId }),
    describeConfigsHandler(d),
    alterConfigsHandler(d),
    incrementalAlterConfigsHandler(d),
    describeLogDirsHandler(d),
    describeClusterHandler(d),
    electLeadersHandler(d),
    alterPartitionReassignmentsHandler(d),
    listPartitionReassignmentsHandler(),
    describeClientQuotasHandler(),
    ...aclHandlers(),
  ] as ApiHandler[]
}

/**
 * The node's effective configuration: `base` (defaults, file, environment, overrides) with the
 * dynamic broker configs of the metadata image layered on (cluster default '' and this node's
 * own). Rebuilt only when the image has moved on; if the dynamic configs in the image do not
 * validate, `onInvalid` hears why and the last good configuration stays in force.
 */
export function brokerConfigFromImage(
  base: BrokerConfig,
  image: MetadataImage,
  nodeId: number,
  onInvalid: (e: ConfigError) => void = () => {},
): () => BrokerConfig {
  let current = base
  let seenOffset = Number.NaN
  return () => {
    if (image.lastOffset === seenOffset) return current
    seenOffset = image.lastOffset
    try {
      current = base.withDynamicConfigs({ clusterDefault: image.brokerConfigs(''), perBroker: image.brokerConfigs(String(nodeId)) })
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e
      onInvalid(e)
    }
    return current
  }
}

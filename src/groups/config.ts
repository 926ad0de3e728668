// The group coordinator's settings, read from the broker config on every use so dynamic changes
// take effect at once.

import type { BrokerConfig } from '../config/index.js'

export interface GroupConfig {
  initialRebalanceDelayMs: number
  minSessionTimeoutMs: number
  maxSessionTimeoutMs: number
  maxSize: number
  offsetsTopicNumPartitions: number
  offsetsTopicReplicationFactor: number
  offsetsTopicSegmentBytes: number
  offsetsRetentionMs: number
  offsetsRetentionCheckIntervalMs: number
  offsetCommitTimeoutMs: number
  offsetMetadataMaxBytes: number
  loadBufferSize: number
}

export function groupConfigOf(c: BrokerConfig): GroupConfig {
  return {
    initialRebalanceDelayMs: c.get('group.initial.rebalance.delay.ms') as number,
    minSessionTimeoutMs: c.get('group.min.session.timeout.ms') as number,
    maxSessionTimeoutMs: c.get('group.max.session.timeout.ms') as number,
    maxSize: c.get('group.max.size') as number,
    offsetsTopicNumPartitions: c.get('offsets.topic.num.partitions') as number,
    offsetsTopicReplicationFactor: c.get('offsets.topic.replication.factor') as number,
    offsetsTopicSegmentBytes: c.get('offsets.topic.segment.bytes') as number,
    offsetsRetentionMs: c.offsetsRetentionMs(),
    offsetsRetentionCheckIntervalMs: c.get('offsets.retention.check.interval.ms') as number,
    offsetCommitTimeoutMs: c.get('offsets.commit.timeout.ms') as number,
    offsetMetadataMaxBytes: c.get('offset.metadata.max.bytes') as number,
    loadBufferSize: c.get('offsets.load.buffer.size') as number,
  }
}

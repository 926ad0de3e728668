// From Kafka-named topic configs (src/config) to the storage engine's typed LogConfig.

import { resolveTopicConfig, type BrokerConfig, type EffectiveTopicConfig } from '../config/index.js'
import { makeLogConfig, type LogConfig } from '../storage/index.js'

export function toLogConfig(c: EffectiveTopicConfig, broker: BrokerConfig): LogConfig {
  return makeLogConfig({
    segmentBytes: c.segmentBytes,
    segmentMs: c.segmentMs,
    segmentJitterMs: c.segmentJitterMs,
    segmentIndexBytes: c.segmentIndexBytes,
    indexIntervalBytes: c.indexIntervalBytes,
    retentionMs: c.retentionMs,
    retentionBytes: c.retentionBytes,
    cleanupPolicy: [...c.cleanupPolicy],
    deleteRetentionMs: c.deleteRetentionMs,
    minCleanableDirtyRatio: c.minCleanableDirtyRatio,
    minCompactionLagMs: c.minCompactionLagMs,
    maxCompactionLagMs: c.maxCompactionLagMs,
    maxMessageBytes: c.maxMessageBytes,
    messageTimestampType: c.messageTimestampType,
    messageTimestampBeforeMaxMs: c.messageTimestampBeforeMaxMs,
    messageTimestampAfterMaxMs: c.messageTimestampAfterMaxMs,
    flushMessages: c.flushMessages,
    flushMs: c.flushMs,
    fileDeleteDelayMs: c.fileDeleteDelayMs,
    producerIdExpirationMs: broker.get('producer.id.expiration.ms') as number,
  })
}

/** The effective log config of a topic: its overrides over the broker's (dynamic) defaults. */
export function topicLogConfig(overrides: ReadonlyMap<string, string>, broker: BrokerConfig): LogConfig {
  return toLogConfig(resolveTopicConfig(overrides, broker).config, broker)
}

/** __cluster_metadata keeps everything: snapshots, not retention, bound its size. */
export function metadataLogConfig(broker: BrokerConfig): LogConfig {
  return makeLogConfig({ ...topicLogConfig(new Map(), broker), retentionMs: -1, retentionBytes: -1, cleanupPolicy: ['delete'] })
}

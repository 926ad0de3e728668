/**
 * Topic-level configs with Kafka's TopicConfig names, their types, defaults, valid
 * values, and their broker synonyms in Kafka's priority order (ServerTopicConfigSynonyms):
 * a topic without an override takes the first synonym the broker has a value for.
 *
 * Accepted for compatibility though Millrace does not act on them (yet): the tiered
 * storage settings, replication throttles, message.downconversion.enable (removed in
 * Kafka 4.0; Millrace serves v2 batches only).
 */
import { type ConfigDef, HOURS_TO_MS, LONG_MAX, MINUTES_TO_MS, bool, defineTable, double, int, list, long, str, withSynonyms } from './schema.js'

const THROTTLED_REPLICA = /^(\*|\d+:\d+)$/
const throttled = {
  checkItem: (s: string) => THROTTLED_REPLICA.test(s),
  expected: "'*' or a comma-separated list of partition:brokerId",
}

export const TOPIC_CONFIGS = defineTable({
  'cleanup.policy': withSynonyms(
    list(['delete'], {
      items: ['compact', 'delete'] as const,
      doc: 'delete removes segments past retention; compact keeps the latest record per key; both may be given.',
    }),
    'log.cleanup.policy',
  ),
  'compression.type': withSynonyms(
    str('producer', {
      oneOf: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] as const,
      doc: "Compression of stored batches; producer keeps the producer's codec.",
    }),
    'compression.type',
  ),
  'compression.gzip.level': withSynonyms(
    int(-1, { check: (n) => n === -1 || (n >= 1 && n <= 9), expected: '-1 or an integer between 1 and 9', doc: 'gzip level when compression.type=gzip.' }),
    'compression.gzip.level',
  ),
  'compression.lz4.level': withSynonyms(int(9, { min: 1, max: 17, doc: 'lz4 level when compression.type=lz4.' }), 'compression.lz4.level'),
  'compression.zstd.level': withSynonyms(int(3, { min: -131072, max: 22, doc: 'zstd level when compression.type=zstd.' }), 'compression.zstd.level'),
  'delete.retention.ms': withSynonyms(
    long(86400000, { min: 0, doc: 'How long tombstones stay readable in a compacted topic.' }),
    'log.cleaner.delete.retention.ms',
  ),
  'file.delete.delay.ms': withSynonyms(
    long(60000, { min: 0, doc: 'Delay between dropping a segment from the log and deleting its files.' }),
    'log.segment.delete.delay.ms',
  ),
  'flush.messages': withSynonyms(
    long(LONG_MAX, { min: 1, doc: 'Records appended before the partition is fsynced.' }),
    'log.flush.interval.messages',
  ),
  'flush.ms': withSynonyms(
    long(LONG_MAX, { min: 0, doc: 'Longest time a record stays unflushed.' }),
    'log.flush.interval.ms',
    'log.flush.scheduler.interval.ms',
  ),
  'follower.replication.throttled.replicas': list([], { ...throttled, doc: 'Replicas whose follower fetches are throttled.' }),
  'index.interval.bytes': withSynonyms(
    int(4096, { min: 0, doc: 'Bytes appended between offset index entries.' }),
    'log.index.interval.bytes',
  ),
  'leader.replication.throttled.replicas': list([], { ...throttled, doc: 'Replicas whose leader-side replication is throttled.' }),
  'local.retention.bytes': withSynonyms(
    long(-2, { min: -2, doc: 'Tiered storage: bytes kept locally (-2: retention.bytes).' }),
    'log.local.retention.bytes',
  ),
  'local.retention.ms': withSynonyms(
    long(-2, { min: -2, doc: 'Tiered storage: time kept locally (-2: retention.ms).' }),
    'log.local.retention.ms',
  ),
  'max.compaction.lag.ms': withSynonyms(
    long(LONG_MAX, { min: 1, doc: 'Longest a record may stay ineligible for compaction.' }),
    'log.cleaner.max.compaction.lag.ms',
  ),
  'max.message.bytes': withSynonyms(
    int(1048588, { min: 0, doc: 'Largest record batch accepted (after compression).' }),
    'message.max.bytes',
  ),
  'message.downconversion.enable': withSynonyms(
    bool(true, { doc: 'Kafka 3.x down-conversion for old consumers; accepted, Millrace serves v2 batches only.' }),
    'log.message.downconversion.enable',
  ),
  'message.timestamp.after.max.ms': withSynonyms(
    long(LONG_MAX, { min: 0, doc: 'With CreateTime, how far a record timestamp may lie after the broker clock.' }),
    'log.message.timestamp.after.max.ms',
  ),
  'message.timestamp.before.max.ms': withSynonyms(
    long(LONG_MAX, { min: 0, doc: 'With CreateTime, how far a record timestamp may lie before the broker clock.' }),
    'log.message.timestamp.before.max.ms',
  ),
  'message.timestamp.type': withSynonyms(
    str('CreateTime', { oneOf: ['CreateTime', 'LogAppendTime'] as const, doc: "CreateTime keeps the producer's timestamps; LogAppendTime stamps records on append." }),
    'log.message.timestamp.type',
  ),
  'min.cleanable.dirty.ratio': withSynonyms(
    double(0.5, { min: 0, max: 1, doc: 'Dirty/total ratio at which the log becomes eligible for compaction.' }),
    'log.cleaner.min.cleanable.ratio',
  ),
  'min.compaction.lag.ms': withSynonyms(
    long(0, { min: 0, doc: 'Minimum age of a record before it may be compacted.' }),
    'log.cleaner.min.compaction.lag.ms',
  ),
  'min.insync.replicas': withSynonyms(
    int(1, { min: 1, doc: 'With acks=all, the in-sync replicas a write needs.' }),
    'min.insync.replicas',
  ),
  preallocate: withSynonyms(bool(false, { doc: 'Preallocate new segment files at full size.' }), 'log.preallocate'),
  'remote.log.copy.disable': bool(false, { doc: 'Tiered storage: stop copying segments to remote storage. Accepted; no tiered storage.' }),
  'remote.log.delete.on.disable': bool(false, { doc: 'Tiered storage: delete remote data when disabling. Accepted; no tiered storage.' }),
  'remote.storage.enable': bool(false, { doc: 'Tiered storage for this topic. Accepted; Millrace has no tiered storage.' }),
  'retention.bytes': withSynonyms(
    long(-1, { doc: 'Size a partition may reach before old segments are deleted (-1: no limit).' }),
    'log.retention.bytes',
  ),
  'retention.ms': withSynonyms(
    long(604800000, { min: -1, doc: 'How long closed segments are kept (-1: forever).' }),
    'log.retention.ms',
    { name: 'log.retention.minutes', factor: MINUTES_TO_MS },
    { name: 'log.retention.hours', factor: HOURS_TO_MS },
  ),
  'segment.bytes': withSynonyms(
    int(1073741824, { min: 14, doc: 'Size at which the partition rolls to a new segment.' }),
    'log.segment.bytes',
  ),
  'segment.index.bytes': withSynonyms(
    int(10485760, { min: 4, doc: 'Maximum size of a segment offset index.' }),
    'log.index.size.max.bytes',
  ),
  'segment.jitter.ms': withSynonyms(
    long(0, { min: 0, doc: 'Random jitter subtracted from segment.ms.' }),
    'log.roll.jitter.ms',
    { name: 'log.roll.jitter.hours', factor: HOURS_TO_MS },
  ),
  'segment.ms': withSynonyms(
    long(604800000, { min: 1, doc: 'Age at which the active segment rolls.' }),
    'log.roll.ms',
    { name: 'log.roll.hours', factor: HOURS_TO_MS },
  ),
  'unclean.leader.election.enable': withSynonyms(
    bool(false, { doc: 'Allow an out-of-sync replica to become leader, at the risk of losing data.' }),
    'unclean.leader.election.enable',
  ),
}, { mode: 'cluster-wide' }) // every topic config can be changed with AlterConfigs


export type TopicConfigs = typeof TOPIC_CONFIGS
export type TopicConfigName = keyof TopicConfigs & string
export type TopicConfigValue<K extends TopicConfigName> = TopicConfigs[K] extends ConfigDef<infer T> ? T : never

export const TOPIC_CONFIG_NAMES: readonly TopicConfigName[] = Object.freeze(
  (Object.keys(TOPIC_CONFIGS) as TopicConfigName[]).sort(),
)

export function isTopicConfigName(name: string): name is TopicConfigName {
  return Object.prototype.hasOwnProperty.call(TOPIC_CONFIGS, name)
}

export function topicConfigDef(name: string): ConfigDef<unknown> | undefined {
  return isTopicConfigName(name) ? (TOPIC_CONFIGS[name] as ConfigDef<unknown>) : undefined
}

/** The topic config a broker config supplies the default of, e.g. `log.retention.hours` → `retention.ms`. */
export function topicConfigForBrokerSynonym(brokerName: string): TopicConfigName | undefined {
  return TOPIC_CONFIG_NAMES.find((n) => TOPIC_CONFIGS[n].synonyms.some((s) => s.name === brokerName))
}

/**
 * Topic configs: validation of overrides (CreateTopics, AlterConfigs) and resolution
 * of a topic's effective configuration from its overrides and the broker's config,
 * with the per-key source and synonyms that DescribeConfigs reports.
 */
import type { BrokerConfig, ConfigValidation } from './broker-config.js'
import { invalidValueMessage, toValidation } from './broker-config.js'
import { ConfigError, type ConfigIssue, unknownConfigMessage } from './errors.js'
import {
  CONFIG_TYPE_ID,
  type ConfigDef,
  type ConfigEntry,
  ConfigSource,
  type ConfigSourceId,
  type ConfigSynonymEntry,
  InvalidValue,
} from './schema.js'
import {
  TOPIC_CONFIGS,
  TOPIC_CONFIG_NAMES,
  type TopicConfigName,
  type TopicConfigValue,
  topicConfigDef,
  topicConfigForBrokerSynonym,
} from './topic-definitions.js'

type Overrides = Readonly<Record<string, string | null>> | ReadonlyMap<string, string | null>

function entriesOf(o: Overrides): [string, string | null][] {
  return o instanceof Map ? [...o] : Object.entries(o as Record<string, string | null>)
}

/** The effective configuration of one topic, typed, with camelCase names. */
export interface EffectiveTopicConfig {
  cleanupPolicy: readonly ('compact' | 'delete')[]
  /** cleanup.policy includes compact. */
  compact: boolean
  /** cleanup.policy includes delete. */
  delete: boolean
  compressionType: 'uncompressed' | 'zstd' | 'lz4' | 'snappy' | 'gzip' | 'producer'
  compressionGzipLevel: number
  compressionLz4Level: number
  compressionZstdLevel: number
  deleteRetentionMs: number
  fileDeleteDelayMs: number
  flushMessages: number
  flushMs: number
  indexIntervalBytes: number
  maxCompactionLagMs: number
  maxMessageBytes: number
  messageDownconversionEnable: boolean
  messageTimestampAfterMaxMs: number
  messageTimestampBeforeMaxMs: number
  messageTimestampType: 'CreateTime' | 'LogAppendTime'
  minCleanableDirtyRatio: number
  minCompactionLagMs: number
  minInsyncReplicas: number
  preallocate: boolean
  retentionBytes: number
  /** -1: keep forever. */
  retentionMs: number
  segmentBytes: number
  segmentIndexBytes: number
  segmentJitterMs: number
  segmentMs: number
  uncleanLeaderElectionEnable: boolean
  localRetentionBytes: number
  localRetentionMs: number
  remoteStorageEnable: boolean
  leaderReplicationThrottledReplicas: readonly string[]
  followerReplicationThrottledReplicas: readonly string[]
}

export interface ResolvedTopicConfig {
  /** The effective values, typed. */
  readonly config: EffectiveTopicConfig
  /** The effective value of one config by its Kafka name. */
  get<K extends TopicConfigName>(name: K): TopicConfigValue<K>
  /** DescribeConfigs entries for every topic config, sorted by name. */
  readonly entries: readonly ConfigEntry[]
  /** The DescribeConfigs entry of one config. */
  entry(name: string): ConfigEntry | undefined
  /** Override keys that are not topic configs (ignored). */
  readonly ignored: readonly string[]
}

/**
 * Resolve a topic's effective configuration. For each config: the topic override if
 * present (source TOPIC_CONFIG), else the first broker synonym with a value (its
 * source: dynamic per-broker, dynamic default, static or default; hours/minutes are
 * converted to ms and a negative retention becomes -1), else the topic default.
 *
 * Synonyms are listed as Kafka's DescribeConfigs lists them: the topic override first,
 * then the broker synonyms grouped by source (dynamic per-broker, dynamic default,
 * static, default), each group in Kafka's synonym order.
 *
 * Unknown override keys are ignored (see `ignored`); a bad value for a known key
 * throws {@link ConfigError} — validate with {@link validateTopicConfigs} before storing.
 */
export function resolveTopicConfig(overrides: Overrides, broker: BrokerConfig): ResolvedTopicConfig {
  const given = new Map(entriesOf(overrides))
  const values = new Map<string, unknown>()
  const entries: ConfigEntry[] = []
  const issues: ConfigIssue[] = []
  const ignored: string[] = []
  for (const k of given.keys()) if (!topicConfigDef(k)) ignored.push(k)

  for (const name of TOPIC_CONFIG_NAMES) {
    const def = TOPIC_CONFIGS[name] as ConfigDef<unknown>
    const override = given.get(name)
    let value: unknown = def.defaultValue
    let source: ConfigSourceId = ConfigSource.DEFAULT_CONFIG
    const synonyms: ConfigSynonymEntry[] = []

    if (override !== undefined && override !== null) {
      try {
        value = def.parse(override)
      } catch (e) {
        if (!(e instanceof InvalidValue)) throw e
        issues.push({ key: name, value: override, message: invalidValueMessage(name, override, e.expected) })
        continue
      }
      source = ConfigSource.TOPIC_CONFIG
      synonyms.push({ name, value: def.format(value), source })
    } else {
      for (const syn of def.synonyms) {
        const v = broker.valueOf(syn.name)
        if (v === null || v === undefined) continue
        value = convertSynonym(name, v, syn.factor)
        source = broker.source(syn.name)
        break
      }
    }

    for (const layerSource of [
      ConfigSource.DYNAMIC_BROKER_CONFIG,
      ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
      ConfigSource.STATIC_BROKER_CONFIG,
      ConfigSource.DEFAULT_CONFIG,
    ]) {
      for (const syn of def.synonyms) {
        const l = broker.layers(syn.name).find((x) => x.source === layerSource)
        if (l) synonyms.push({ name: syn.name, value: l.value, source: layerSource })
      }
    }

    values.set(name, value)
    entries.push({
      name,
      value: def.format(value),
      source,
      isDefault: source === ConfigSource.DEFAULT_CONFIG,
      isSensitive: false,
      readOnly: false,
      synonyms,
      configType: def.type,
      configTypeId: CONFIG_TYPE_ID[def.type],
      documentation: def.doc,
    })
  }
  if (issues.length > 0) throw new ConfigError(issues)

  const get = <K extends TopicConfigName>(k: K) => values.get(k) as TopicConfigValue<K>
  const cleanupPolicy = get('cleanup.policy')
  const config: EffectiveTopicConfig = {
    cleanupPolicy,
    compact: cleanupPolicy.includes('compact'),
    delete: cleanupPolicy.includes('delete'),
    compressionType: get('compression.type'),
    compressionGzipLevel: get('compression.gzip.level'),
    compressionLz4Level: get('compression.lz4.level'),
    compressionZstdLevel: get('compression.zstd.level'),
    deleteRetentionMs: get('delete.retention.ms'),
    fileDeleteDelayMs: get('file.delete.delay.ms'),
    flushMessages: get('flush.messages'),
    flushMs: get('flush.ms'),
    indexIntervalBytes: get('index.interval.bytes'),
    maxCompactionLagMs: get('max.compaction.lag.ms'),
    maxMessageBytes: get('max.message.bytes'),
    messageDownconversionEnable: get('message.downconversion.enable'),
    messageTimestampAfterMaxMs: get('message.timestamp.after.max.ms'),
    messageTimestampBeforeMaxMs: get('message.timestamp.before.max.ms'),
    messageTimestampType: get('message.timestamp.type'),
    minCleanableDirtyRatio: get('min.cleanable.dirty.ratio'),
    minCompactionLagMs: get('min.compaction.lag.ms'),
    minInsyncReplicas: get('min.insync.replicas'),
    preallocate: get('preallocate'),
    retentionBytes: get('retention.bytes'),
    retentionMs: get('retention.ms'),
    segmentBytes: get('segment.bytes'),
    segmentIndexBytes: get('segment.index.bytes'),
    segmentJitterMs: get('segment.jitter.ms'),
    segmentMs: get('segment.ms'),
    uncleanLeaderElectionEnable: get('unclean.leader.election.enable'),
    localRetentionBytes: get('local.retention.bytes'),
    localRetentionMs: get('local.retention.ms'),
    remoteStorageEnable: get('remote.storage.enable'),
    leaderReplicationThrottledReplicas: get('leader.replication.throttled.replicas'),
    followerReplicationThrottledReplicas: get('follower.replication.throttled.replicas'),
  }
  Object.freeze(config)
  const byName = new Map(entries.map((e) => [e.name, e]))
  return Object.freeze({
    config,
    get,
    entries: Object.freeze(entries),
    entry: (n: string) => byName.get(n),
    ignored: Object.freeze(ignored),
  })
}

function convertSynonym(topicName: string, v: unknown, factor: number | undefined): unknown {
  if (factor === undefined || typeof v !== 'number') return v
  const ms = v * factor
  // Kafka: any negative retention time means unlimited (-1).
  if (topicName === 'retention.ms' && ms < 0) return -1
  return ms
}

/** `unknown config` text for a topic config, suggesting the topic name of a broker synonym first. */
function unknownTopicConfigMessage(key: string): string {
  const topicName = topicConfigForBrokerSynonym(key)
  if (topicName) return `unknown config '${key}' — did you mean '${topicName}'?`
  return unknownConfigMessage(key, TOPIC_CONFIG_NAMES)
}

/**
 * Validate topic config overrides as sent in CreateTopics or AlterConfigs. Problems:
 * unknown keys (with a did-you-mean), null values, values of the wrong type or out
 * of range, and min.compaction.lag.ms above max.compaction.lag.ms (checked against
 * the broker's effective values when `broker` is given and only one side is set).
 * A failed result carries INVALID_CONFIG (40) and the message to send.
 */
export function validateTopicConfigs(configs: Overrides, broker?: BrokerConfig): ConfigValidation {
  const issues: ConfigIssue[] = []
  const parsed = new Map<string, unknown>()
  for (const [key, value] of entriesOf(configs)) {
    const def = topicConfigDef(key)
    if (!def) {
      issues.push({ key, value, message: unknownTopicConfigMessage(key) })
      continue
    }
    if (value === null) {
      issues.push({ key, value, message: `null value not supported for config '${key}'` })
      continue
    }
    try {
      parsed.set(key, def.parse(value))
    } catch (e) {
      if (!(e instanceof InvalidValue)) throw e
      issues.push({ key, value, message: invalidValueMessage(key, value, e.expected) })
    }
  }
  if (issues.length === 0 && (parsed.has('min.compaction.lag.ms') || parsed.has('max.compaction.lag.ms'))) {
    const fallback = (k: 'min.compaction.lag.ms' | 'max.compaction.lag.ms') =>
      broker ? resolveTopicConfig({}, broker).get(k) : (TOPIC_CONFIGS[k].defaultValue as number)
    const min = (parsed.get('min.compaction.lag.ms') as number | undefined) ?? fallback('min.compaction.lag.ms')
    const max = (parsed.get('max.compaction.lag.ms') as number | undefined) ?? fallback('max.compaction.lag.ms')
    if (min > max) {
      const key = parsed.has('min.compaction.lag.ms') ? 'min.compaction.lag.ms' : 'max.compaction.lag.ms'
      issues.push({
        key,
        value: String(parsed.get(key)),
        message: `conflicting configs: min.compaction.lag.ms (${min}) is greater than max.compaction.lag.ms (${max})`,
      })
    }
  }
  return toValidation(issues)
}

import t from 'tap'
import {
  BROKER_CONFIGS,
  ConfigError,
  ConfigSource,
  LONG_MAX,
  TOPIC_CONFIGS,
  TOPIC_CONFIG_NAMES,
  createBrokerConfig,
  isBrokerConfigName,
  resolveTopicConfig,
  topicConfigForBrokerSynonym,
  validateTopicConfigs,
} from './index.js'

const broker = (values: Record<string, string> = {}) => createBrokerConfig(values, { cwd: '/srv' })

t.test('the table: every synonym is a broker config, and defaults agree', async (t) => {
  const defaults = resolveTopicConfig({}, broker())
  for (const name of TOPIC_CONFIG_NAMES) {
    const def = TOPIC_CONFIGS[name]
    t.equal(def.name, name)
    t.equal(def.readOnly, false, `${name} is alterable`)
    for (const syn of def.synonyms) t.ok(isBrokerConfigName(syn.name), `${name} ← ${syn.name} exists`)
    // The topic's own default equals what the broker defaults resolve to.
    t.same(defaults.get(name), def.defaultValue, `${name} default matches the broker's`)
    const text = def.defaultText
    if (text !== null) t.doesNotThrow(() => def.parse(text))
  }
  t.equal(topicConfigForBrokerSynonym('log.retention.hours'), 'retention.ms')
  t.equal(topicConfigForBrokerSynonym('message.max.bytes'), 'max.message.bytes')
  t.equal(topicConfigForBrokerSynonym('log.segment.bytes'), 'segment.bytes')
  t.equal(topicConfigForBrokerSynonym('num.partitions'), undefined)
  t.same(TOPIC_CONFIGS['retention.ms'].synonyms.map((s) => s.name), ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'])
  t.same(TOPIC_CONFIGS['segment.ms'].synonyms.map((s) => s.name), ['log.roll.ms', 'log.roll.hours'])
  t.same(TOPIC_CONFIGS['flush.ms'].synonyms.map((s) => s.name), ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'])
  for (const n of [
    'cleanup.policy',
    'compression.type',
    'delete.retention.ms',
    'file.delete.delay.ms',
    'flush.messages',
    'flush.ms',
    'index.interval.bytes',
    'max.compaction.lag.ms',
    'max.message.bytes',
    'message.timestamp.type',
    'message.timestamp.before.max.ms',
    'message.timestamp.after.max.ms',
    'min.cleanable.dirty.ratio',
    'min.compaction.lag.ms',
    'min.insync.replicas',
    'retention.bytes',
    'retention.ms',
    'segment.bytes',
    'segment.index.bytes',
    'segment.ms',
    'segment.jitter.ms',
    'unclean.leader.election.enable',
    'preallocate',
    'message.downconversion.enable',
  ]) {
    t.ok(TOPIC_CONFIG_NAMES.includes(n as never), `${n} is a topic config`)
  }
})

t.test('defaults come from the broker defaults', async (t) => {
  const r = resolveTopicConfig({}, broker())
  t.same(r.config, {
    cleanupPolicy: ['delete'],
    compact: false,
    delete: true,
    compressionType: 'producer',
    compressionGzipLevel: -1,
    compressionLz4Level: 9,
    compressionZstdLevel: 3,
    deleteRetentionMs: 86400000,
    fileDeleteDelayMs: 60000,
    flushMessages: LONG_MAX,
    flushMs: LONG_MAX,
    indexIntervalBytes: 4096,
    maxCompactionLagMs: LONG_MAX,
    maxMessageBytes: 1048588,
    messageDownconversionEnable: true,
    messageTimestampAfterMaxMs: LONG_MAX,
    messageTimestampBeforeMaxMs: LONG_MAX,
    messageTimestampType: 'CreateTime',
    minCleanableDirtyRatio: 0.5,
    minCompactionLagMs: 0,
    minInsyncReplicas: 1,
    preallocate: false,
    retentionBytes: -1,
    retentionMs: 604800000,
    segmentBytes: 1073741824,
    segmentIndexBytes: 10485760,
    segmentJitterMs: 0,
    segmentMs: 604800000,
    uncleanLeaderElectionEnable: false,
    localRetentionBytes: -2,
    localRetentionMs: -2,
    remoteStorageEnable: false,
    leaderReplicationThrottledReplicas: [],
    followerReplicationThrottledReplicas: [],
  })
  t.ok(Object.isFrozen(r.config))
  t.same(r.entry('segment.bytes'), {
    name: 'segment.bytes',
    value: '1073741824',
    source: ConfigSource.DEFAULT_CONFIG,
    isDefault: true,
    isSensitive: false,
    readOnly: false,
    synonyms: [{ name: 'log.segment.bytes', value: '1073741824', source: ConfigSource.DEFAULT_CONFIG }],
    configType: 'int',
    configTypeId: 3,
    documentation: TOPIC_CONFIGS['segment.bytes'].doc,
  })
  t.same(r.entry('retention.ms')!.synonyms, [{ name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG }])
  t.equal(r.entry('flush.messages')!.value, '9223372036854775807')
  t.same(r.entry('remote.storage.enable')!.synonyms, [], 'no broker synonym')
  t.equal(r.entry('remote.storage.enable')!.source, ConfigSource.DEFAULT_CONFIG)
  t.equal(r.entry('min.cleanable.dirty.ratio')!.value, '0.5')
  t.equal(r.entry('cleanup.policy')!.configTypeId, 7)
  t.same(r.entries.map((e) => e.name), TOPIC_CONFIG_NAMES)
  t.equal(r.entry('nope'), undefined)
})

t.test('topic overrides', async (t) => {
  const r = resolveTopicConfig(
    { 'retention.ms': '1000', 'cleanup.policy': 'compact,delete', 'max.message.bytes': '5000', 'not.a.topic.config': 'x', 'min.insync.replicas': null },
    broker(),
  )
  t.equal(r.config.retentionMs, 1000)
  t.equal(r.get('retention.ms'), 1000)
  t.ok(r.config.compact && r.config.delete)
  t.equal(r.config.maxMessageBytes, 5000)
  t.equal(r.config.minInsyncReplicas, 1, 'a null override is no override')
  t.same(r.ignored, ['not.a.topic.config'])
  t.same(r.entry('retention.ms'), {
    name: 'retention.ms',
    value: '1000',
    source: ConfigSource.TOPIC_CONFIG,
    isDefault: false,
    isSensitive: false,
    readOnly: false,
    synonyms: [
      { name: 'retention.ms', value: '1000', source: ConfigSource.TOPIC_CONFIG },
      { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
    ],
    configType: 'long',
    configTypeId: 5,
    documentation: TOPIC_CONFIGS['retention.ms'].doc,
  })
  t.equal(r.entry('cleanup.policy')!.value, 'compact,delete')

  const e = t.throws(() => resolveTopicConfig({ 'segment.bytes': '10', 'retention.ms': '-2' }, broker())) as ConfigError
  t.ok(e instanceof ConfigError)
  t.same(e.issues.map((i) => i.message), [
    "invalid value '-2' for config 'retention.ms': expected an integer ≥ -1",
    "invalid value '10' for config 'segment.bytes': expected an integer ≥ 14",
  ])
})

t.test('broker synonyms: static, converted, dynamic', async (t) => {
  const statics = broker({
    'log.retention.minutes': '5',
    'log.segment.bytes': '4096',
    'message.max.bytes': '2000000',
    'log.roll.hours': '2',
    'log.roll.jitter.hours': '1',
    'log.flush.interval.ms': '1000',
    'log.cleanup.policy': 'compact',
    'log.cleaner.min.cleanable.ratio': '0.1',
    'compression.type': 'lz4',
  })
  const r = resolveTopicConfig({}, statics)
  t.equal(r.config.retentionMs, 300000)
  t.same(r.entry('retention.ms')!.synonyms, [
    { name: 'log.retention.minutes', value: '5', source: ConfigSource.STATIC_BROKER_CONFIG },
    { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
  ])
  t.equal(r.entry('retention.ms')!.source, ConfigSource.STATIC_BROKER_CONFIG)
  t.equal(r.config.segmentBytes, 4096)
  t.equal(r.entry('segment.bytes')!.source, ConfigSource.STATIC_BROKER_CONFIG)
  t.equal(r.config.maxMessageBytes, 2000000)
  t.same(r.entry('max.message.bytes')!.synonyms, [
    { name: 'message.max.bytes', value: '2000000', source: ConfigSource.STATIC_BROKER_CONFIG },
    { name: 'message.max.bytes', value: '1048588', source: ConfigSource.DEFAULT_CONFIG },
  ])
  t.equal(r.config.segmentMs, 7200000)
  t.equal(r.config.segmentJitterMs, 3600000)
  t.equal(r.config.flushMs, 1000)
  t.same(r.entry('flush.ms')!.synonyms, [
    { name: 'log.flush.interval.ms', value: '1000', source: ConfigSource.STATIC_BROKER_CONFIG },
    { name: 'log.flush.scheduler.interval.ms', value: '9223372036854775807', source: ConfigSource.DEFAULT_CONFIG },
  ])
  t.ok(r.config.compact && !r.config.delete)
  t.equal(r.config.minCleanableDirtyRatio, 0.1)
  t.equal(r.config.compressionType, 'lz4')

  t.equal(resolveTopicConfig({}, broker({ 'log.retention.hours': '-1' })).config.retentionMs, -1, 'negative hours: unlimited')
  t.equal(resolveTopicConfig({}, broker({ 'log.retention.ms': '-1' })).config.retentionMs, -1)
  t.equal(resolveTopicConfig({}, broker({ 'log.retention.ms': '10', 'log.retention.hours': '1' })).config.retentionMs, 10, 'ms wins')

  // Dynamic layers, and Kafka's ordering of synonyms by source.
  const dyn = statics.withDynamicConfigs({
    clusterDefault: { 'log.retention.hours': '3', 'log.segment.bytes': '8192' },
    perBroker: { 'log.segment.bytes': '16384' },
  })
  const d = resolveTopicConfig({}, dyn)
  t.equal(d.config.segmentBytes, 16384)
  t.equal(d.entry('segment.bytes')!.source, ConfigSource.DYNAMIC_BROKER_CONFIG)
  t.same(d.entry('segment.bytes')!.synonyms.map((s) => [s.source, s.value]), [
    [ConfigSource.DYNAMIC_BROKER_CONFIG, '16384'],
    [ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, '8192'],
    [ConfigSource.STATIC_BROKER_CONFIG, '4096'],
    [ConfigSource.DEFAULT_CONFIG, '1073741824'],
  ])
  // log.retention.minutes (static) outranks log.retention.hours (dynamic default): synonym order
  // decides the value; the list is still grouped by source, as Kafka lists it.
  t.equal(d.config.retentionMs, 300000)
  t.equal(d.entry('retention.ms')!.source, ConfigSource.STATIC_BROKER_CONFIG)
  t.same(d.entry('retention.ms')!.synonyms, [
    { name: 'log.retention.hours', value: '3', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG },
    { name: 'log.retention.minutes', value: '5', source: ConfigSource.STATIC_BROKER_CONFIG },
    { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
  ])
  const onlyHours = resolveTopicConfig({}, broker().withDynamicConfigs({ clusterDefault: { 'log.retention.hours': '3' } }))
  t.equal(onlyHours.config.retentionMs, 3 * 3600000)
  t.equal(onlyHours.entry('retention.ms')!.source, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
  // A topic override still beats everything.
  const o = resolveTopicConfig({ 'segment.bytes': '100' }, dyn)
  t.equal(o.config.segmentBytes, 100)
  t.same(o.entry('segment.bytes')!.synonyms.map((s) => s.source), [
    ConfigSource.TOPIC_CONFIG,
    ConfigSource.DYNAMIC_BROKER_CONFIG,
    ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
    ConfigSource.STATIC_BROKER_CONFIG,
    ConfigSource.DEFAULT_CONFIG,
  ])
})

t.test('validateTopicConfigs', async (t) => {
  t.same(validateTopicConfigs({}), { ok: true, issues: [] })
  t.same(validateTopicConfigs({ 'retention.ms': '-1', 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.01' }), { ok: true, issues: [] })
  t.same(validateTopicConfigs(new Map([['segment.bytes', '1048576']])), { ok: true, issues: [] })

  const typo = validateTopicConfigs({ 'retension.ms': '1000' })
  t.same(typo, {
    ok: false,
    errorCode: 40,
    message: "unknown config 'retension.ms' — did you mean 'retention.ms'?",
    issues: [{ key: 'retension.ms', value: '1000', message: "unknown config 'retension.ms' — did you mean 'retention.ms'?" }],
  })
  const msg = (c: Record<string, string | null>) => {
    const v = validateTopicConfigs(c)
    return v.ok ? 'ok' : v.message
  }
  t.equal(msg({ 'log.retention.hours': '1' }), "unknown config 'log.retention.hours' — did you mean 'retention.ms'?", 'broker names point at the topic name')
  t.equal(msg({ 'cleanup.polcy': 'compact' }), "unknown config 'cleanup.polcy' — did you mean 'cleanup.policy'?")
  t.equal(msg({ 'frobnicate.everything': '1' }), "unknown config 'frobnicate.everything'")
  t.equal(msg({ 'segment.bytes': 'big' }), "invalid value 'big' for config 'segment.bytes': expected an integer ≥ 14")
  t.equal(msg({ 'cleanup.policy': 'compact,archive' }), "invalid value 'compact,archive' for config 'cleanup.policy': expected a comma-separated list of compact, delete")
  t.equal(msg({ 'min.cleanable.dirty.ratio': '2' }), "invalid value '2' for config 'min.cleanable.dirty.ratio': expected a number between 0 and 1")
  t.equal(msg({ 'message.timestamp.type': 'AppendTime' }), "invalid value 'AppendTime' for config 'message.timestamp.type': expected one of CreateTime, LogAppendTime")
  t.equal(msg({ preallocate: 'maybe' }), "invalid value 'maybe' for config 'preallocate': expected true or false")
  t.equal(msg({ 'compression.type': 'lzma' }), "invalid value 'lzma' for config 'compression.type': expected one of uncompressed, zstd, lz4, snappy, gzip, producer")
  t.equal(msg({ 'retention.ms': '-5' }), "invalid value '-5' for config 'retention.ms': expected an integer ≥ -1")
  t.equal(msg({ 'max.message.bytes': '4294967296' }), "invalid value '4294967296' for config 'max.message.bytes': expected an integer ≥ 0")
  t.equal(msg({ 'leader.replication.throttled.replicas': '0:1,1:2' }), 'ok')
  t.equal(msg({ 'leader.replication.throttled.replicas': '0-1' }), "invalid value '0-1' for config 'leader.replication.throttled.replicas': expected '*' or a comma-separated list of partition:brokerId")
  t.equal(msg({ 'retention.ms': null }), "null value not supported for config 'retention.ms'")
  t.equal(
    msg({ 'retension.ms': '1', 'segment.bytes': 'x' }),
    "unknown config 'retension.ms' — did you mean 'retention.ms'?; invalid value 'x' for config 'segment.bytes': expected an integer ≥ 14",
  )

  // Compaction lags must be ordered; a missing side comes from the broker (or the topic default).
  t.equal(
    msg({ 'min.compaction.lag.ms': '5000', 'max.compaction.lag.ms': '1000' }),
    'conflicting configs: min.compaction.lag.ms (5000) is greater than max.compaction.lag.ms (1000)',
  )
  t.equal(msg({ 'min.compaction.lag.ms': '5000' }), 'ok')
  const b = broker({ 'log.cleaner.max.compaction.lag.ms': '2000' })
  const v = validateTopicConfigs({ 'min.compaction.lag.ms': '5000' }, b)
  t.same(v.ok ? 'ok' : [v.message, v.issues[0]!.key], [
    'conflicting configs: min.compaction.lag.ms (5000) is greater than max.compaction.lag.ms (2000)',
    'min.compaction.lag.ms',
  ])
})

t.test('broker and topic tables agree on shared limits', async (t) => {
  // segment.bytes ← log.segment.bytes etc.: the same value must be valid on both sides.
  const pairs: [string, string][] = [
    ['segment.bytes', 'log.segment.bytes'],
    ['segment.index.bytes', 'log.index.size.max.bytes'],
    ['max.message.bytes', 'message.max.bytes'],
    ['min.insync.replicas', 'min.insync.replicas'],
    ['min.cleanable.dirty.ratio', 'log.cleaner.min.cleanable.ratio'],
  ]
  for (const [topic, brk] of pairs) {
    const td = TOPIC_CONFIGS[topic as keyof typeof TOPIC_CONFIGS]
    const bd = BROKER_CONFIGS[brk as keyof typeof BROKER_CONFIGS]
    t.equal(td.type, bd.type, `${topic} and ${brk} share a type`)
    t.equal(td.expected, bd.expected, `${topic} and ${brk} share a range`)
  }
})

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import {
  BROKER_CONFIGS,
  BROKER_CONFIG_NAMES,
  BrokerConfig,
  ConfigError,
  ConfigSource,
  LONG_MAX,
  configKeyToEnvVar,
  createBrokerConfig,
  envVarToConfigKey,
  loadBrokerConfig,
  parseConfigArgs,
  parseListeners,
  parseProperties,
  parsePropertyEntries,
  parseQuorumVoters,
  parseSecurityProtocolMap,
  validateBrokerConfigs,
} from './index.js'

/** The message of the ConfigError `fn` throws. */
function errorOf(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    if (e instanceof ConfigError) return e.message
    throw e
  }
  throw new Error('expected a ConfigError')
}

const cfgWith = (values: Record<string, string>) => createBrokerConfig(values, { cwd: '/srv/millrace' })

t.test('properties parser', async (t) => {
  t.test('separators, comments and blanks', async (t) => {
    const text = [
      '# a comment',
      '   ! another comment',
      '',
      '   ',
      'a=1',
      'b: 2',
      'c 3',
      '  d   =   4  ',
      'e\t:\tfive',
      'f=',
      'g',
      'h=x=y',
      'i:=j',
      'k = #not a comment',
    ].join('\n')
    t.same(
      Object.fromEntries(parseProperties(text)),
      { a: '1', b: '2', c: '3', d: '4  ', e: 'five', f: '', g: '', h: 'x=y', i: '=j', k: '#not a comment' },
    )
  })

  t.test('continuations', async (t) => {
    const text = [
      'list=one, \\',
      '     two, \\',
      '\t three',
      'even=ends with a backslash\\\\',
      'next=separate',
      '# comment ends in backslash \\',
      'after=comment',
      'hash=start \\',
      '  # is content here',
      'last=dangling \\',
    ].join('\n')
    t.same(Object.fromEntries(parseProperties(text)), {
      list: 'one, two, three',
      even: 'ends with a backslash\\',
      next: 'separate',
      after: 'comment',
      hash: 'start # is content here',
      last: 'dangling ',
    })
  })

  t.test('escapes in keys and values', async (t) => {
    const text = 'key\\ with\\=and\\:=v\\t\\n\\r\\f|\\u00e9\\u0041|\\\\|\\q|\\#'
    t.same([...parseProperties(text)], [['key with=and:', 'v\t\n\r\f|éA|\\|q|#']])
    t.same([...parseProperties('\\#notcomment=1')], [['#notcomment', '1']])
    t.same([...parseProperties('  \\ lead=1')], [[' lead', '1']])
  })

  t.test('line endings, BOM, UTF-8, duplicates', async (t) => {
    t.same(Object.fromEntries(parseProperties('\ufeffa=1\r\nb=2\rc=3\n')), { a: '1', b: '2', c: '3' })
    t.same(Object.fromEntries(parseProperties('name=Grüße ✓')), { name: 'Grüße ✓' })
    t.same(Object.fromEntries(parseProperties('a=1\na=2')), { a: '2' }, 'later key wins')
    t.same(parsePropertyEntries('x=1\n\n# c\ny=2 \\\n  3\nz=4', 'f'), [
      { key: 'x', value: '1', line: 1 },
      { key: 'y', value: '2 3', line: 4 },
      { key: 'z', value: '4', line: 6 },
    ])
    t.same([...parseProperties('')], [])
  })

  t.test('malformed \\u escape', async (t) => {
    t.equal(errorOf(() => parseProperties('a=1\nb=\\u12G4', 'server.properties')), 'malformed \\uXXXX escape in server.properties line 2')
  })
})

t.test('defaults', async (t) => {
  const cfg = cfgWith({})
  t.equal(cfg.get('node.id'), 1)
  t.equal(cfg.nodeId(), 1)
  t.same(cfg.processRoles(), ['broker', 'controller'])
  t.ok(cfg.isBroker() && cfg.isController())
  t.same(cfg.listeners(), [{ name: 'PLAINTEXT', host: 'localhost', port: 9092 }])
  t.same(cfg.advertisedListeners(), cfg.listeners())
  t.same(cfg.logDirs(), ['/srv/millrace/data'])
  t.equal(cfg.metadataLogDir(), '/srv/millrace/data')
  t.equal(cfg.get('num.partitions'), 1)
  t.equal(cfg.get('default.replication.factor'), 1)
  t.equal(cfg.get('auto.create.topics.enable'), true)
  t.equal(cfg.get('delete.topic.enable'), true)
  t.equal(cfg.logRetentionMs(), 168 * 3600_000)
  t.equal(cfg.get('log.retention.bytes'), -1)
  t.equal(cfg.get('log.segment.bytes'), 1073741824)
  t.equal(cfg.logRollMs(), 168 * 3600_000)
  t.equal(cfg.logRollJitterMs(), 0)
  t.equal(cfg.get('log.index.interval.bytes'), 4096)
  t.equal(cfg.get('log.index.size.max.bytes'), 10485760)
  t.equal(cfg.get('log.flush.interval.messages'), LONG_MAX)
  t.equal(cfg.get('log.flush.interval.ms'), null)
  t.equal(cfg.logFlushIntervalMs(), LONG_MAX)
  t.same(cfg.get('log.cleanup.policy'), ['delete'])
  t.equal(cfg.get('log.cleaner.enable'), true)
  t.equal(cfg.get('log.cleaner.delete.retention.ms'), 86400000)
  t.equal(cfg.get('log.cleaner.min.cleanable.ratio'), 0.5)
  t.equal(cfg.get('log.cleaner.min.compaction.lag.ms'), 0)
  t.equal(cfg.get('log.message.timestamp.type'), 'CreateTime')
  t.equal(cfg.get('message.max.bytes'), 1048588)
  t.equal(cfg.get('min.insync.replicas'), 1)
  t.equal(cfg.get('socket.request.max.bytes'), 104857600)
  t.equal(cfg.get('offsets.topic.num.partitions'), 50)
  t.equal(cfg.get('offsets.topic.replication.factor'), 1)
  t.equal(cfg.offsetsRetentionMs(), 10080 * 60_000)
  t.equal(cfg.get('group.initial.rebalance.delay.ms'), 3000)
  t.equal(cfg.get('group.min.session.timeout.ms'), 6000)
  t.equal(cfg.get('group.max.session.timeout.ms'), 1800000)
  t.equal(cfg.get('group.max.size'), 2147483647)
  t.equal(cfg.get('transaction.state.log.num.partitions'), 50)
  t.equal(cfg.get('replica.lag.time.max.ms'), 30000)
  t.equal(cfg.get('unclean.leader.election.enable'), false)
  t.equal(cfg.get('compression.type'), 'producer')
  t.equal(cfg.get('controller.listener.names'), null)
  t.same(cfg.quorumVoters(), [])
  t.equal(cfg.interBrokerListenerName(), 'PLAINTEXT')
  t.equal(cfg.securityProtocolOf('plaintext'), 'PLAINTEXT')
  for (const name of BROKER_CONFIG_NAMES) {
    t.equal(cfg.source(name), ConfigSource.DEFAULT_CONFIG, `${name} defaults`)
    t.equal(cfg.isSet(name), false)
  }
  t.equal(cfg.rawValues.size, 0)
})

t.test('the definition table', async (t) => {
  for (const name of BROKER_CONFIG_NAMES) {
    const def = BROKER_CONFIGS[name]
    t.equal(def.name, name)
    t.ok(def.doc.length > 10, `${name} has a doc line`)
    t.notOk(def.doc.includes('\n'), `${name} doc is one line`)
    // Every non-null default must pass its own validation.
    const text = def.defaultText
    if (text !== null) t.doesNotThrow(() => def.parse(text), `${name} default '${text}' is valid`)
  }
  t.equal(BROKER_CONFIGS['ssl.keystore.password'].sensitive, true)
  t.equal(BROKER_CONFIGS['num.partitions'].readOnly, true)
  t.equal(BROKER_CONFIGS['log.retention.ms'].mode, 'cluster-wide')
  t.equal(BROKER_CONFIGS['listeners'].mode, 'per-broker')
  t.equal(BROKER_CONFIGS['offsets.topic.replication.factor'].kafkaDefault, '3')
})

t.test('value validation by type', async (t) => {
  const bad = (key: string, value: string) => errorOf(() => cfgWith({ [key]: value }))
  t.equal(bad('num.partitions', 'abc'), "invalid value 'abc' for config 'num.partitions': expected an integer ≥ 1")
  t.equal(bad('num.partitions', '0'), "invalid value '0' for config 'num.partitions': expected an integer ≥ 1")
  t.equal(bad('num.partitions', '1.5'), "invalid value '1.5' for config 'num.partitions': expected an integer ≥ 1")
  t.equal(bad('num.partitions', ''), "invalid value '' for config 'num.partitions': expected an integer ≥ 1")
  t.equal(bad('num.partitions', '2147483648'), "invalid value '2147483648' for config 'num.partitions': expected an integer ≥ 1")
  t.equal(cfgWith({ 'num.partitions': ' +12 ' }).get('num.partitions'), 12, 'trimmed, sign allowed')
  t.equal(bad('socket.send.buffer.bytes', 'x'), "invalid value 'x' for config 'socket.send.buffer.bytes': expected an integer")
  t.equal(bad('compression.lz4.level', '18'), "invalid value '18' for config 'compression.lz4.level': expected an integer between 1 and 17")
  t.equal(bad('compression.gzip.level', '0'), "invalid value '0' for config 'compression.gzip.level': expected -1 or an integer between 1 and 9")
  t.equal(cfgWith({ 'compression.gzip.level': '-1' }).get('compression.gzip.level'), -1)

  // long
  t.equal(cfgWith({ 'log.flush.interval.messages': '9223372036854775807' }).get('log.flush.interval.messages'), LONG_MAX)
  t.equal(cfgWith({ 'log.retention.bytes': '-1' }).get('log.retention.bytes'), -1)
  t.equal(cfgWith({ 'log.retention.bytes': '1099511627776' }).get('log.retention.bytes'), 1099511627776)
  t.equal(bad('log.retention.bytes', '1e3'), "invalid value '1e3' for config 'log.retention.bytes': expected an integer")
  t.equal(bad('log.cleaner.min.compaction.lag.ms', '-5'), "invalid value '-5' for config 'log.cleaner.min.compaction.lag.ms': expected an integer ≥ 0")
  t.equal(bad('log.flush.interval.messages', '0'), "invalid value '0' for config 'log.flush.interval.messages': expected an integer ≥ 1")

  // short
  t.equal(bad('offsets.topic.replication.factor', '40000'), "invalid value '40000' for config 'offsets.topic.replication.factor': expected an integer ≥ 1")
  t.equal(cfgWith({ 'offsets.topic.replication.factor': '3' }).get('offsets.topic.replication.factor'), 3)

  // double
  t.equal(bad('log.cleaner.min.cleanable.ratio', '1.5'), "invalid value '1.5' for config 'log.cleaner.min.cleanable.ratio': expected a number between 0 and 1")
  t.equal(bad('log.cleaner.min.cleanable.ratio', 'half'), "invalid value 'half' for config 'log.cleaner.min.cleanable.ratio': expected a number between 0 and 1")
  t.equal(cfgWith({ 'log.cleaner.min.cleanable.ratio': '.25' }).get('log.cleaner.min.cleanable.ratio'), 0.25)
  t.equal(cfgWith({ 'log.cleaner.min.cleanable.ratio': '1' }).getRaw('log.cleaner.min.cleanable.ratio'), '1.0', 'Java formatting')

  // boolean
  t.equal(cfgWith({ 'auto.create.topics.enable': ' FALSE ' }).get('auto.create.topics.enable'), false)
  t.equal(bad('auto.create.topics.enable', 'yes'), "invalid value 'yes' for config 'auto.create.topics.enable': expected true or false")

  // string enumerations (case-sensitive, as in Kafka)
  t.equal(bad('log.message.timestamp.type', 'createtime'), "invalid value 'createtime' for config 'log.message.timestamp.type': expected one of CreateTime, LogAppendTime")
  t.equal(bad('compression.type', 'brotli'), "invalid value 'brotli' for config 'compression.type': expected one of uncompressed, zstd, lz4, snappy, gzip, producer")
  t.equal(cfgWith({ 'compression.type': 'zstd' }).get('compression.type'), 'zstd')

  // lists
  t.same(cfgWith({ 'log.cleanup.policy': 'compact, delete' }).get('log.cleanup.policy'), ['compact', 'delete'])
  t.equal(bad('log.cleanup.policy', 'delete,archive'), "invalid value 'delete,archive' for config 'log.cleanup.policy': expected a comma-separated list of compact, delete")
  t.equal(bad('process.roles', ''), "invalid value '' for config 'process.roles': expected a comma-separated list of broker, controller (at least one)")
  t.equal(bad('process.roles', 'broker,broker'), "invalid value 'broker,broker' for config 'process.roles': expected a comma-separated list of broker, controller (at least one), without repeats")
  t.same(cfgWith({ 'log.dirs': '/d1, /d2' }).logDirs(), ['/d1', '/d2'])
  t.same(cfgWith({ 'log.dirs': 'rel/a', 'log.dir': '/ignored' }).logDirs(), ['/srv/millrace/rel/a'])
  t.same(cfgWith({ 'log.dir': '/only' }).logDirs(), ['/only'], 'log.dir when log.dirs is unset')
  t.equal(cfgWith({ 'log.dirs': '/d1', 'metadata.log.dir': 'meta' }).metadataLogDir(), '/srv/millrace/meta')

  // class and password
  t.equal(cfgWith({ 'create.topic.policy.class.name': 'com.example.Policy$Inner' }).get('create.topic.policy.class.name'), 'com.example.Policy$Inner')
  t.equal(bad('create.topic.policy.class.name', 'not a class'), "invalid value 'not a class' for config 'create.topic.policy.class.name': expected a fully qualified class name")
  const withPw = cfgWith({ 'ssl.keystore.password': 'hunter2' })
  t.equal(withPw.get('ssl.keystore.password'), 'hunter2')
  t.equal(withPw.toJSON()['ssl.keystore.password'], '[hidden]')
  t.equal(withPw.toJSON()['num.partitions'], '1')

  // several problems are reported together, one per line
  const e = t.throws(() => cfgWith({ 'num.partitions': 'x', 'message.max.bytes': '-1' })) as ConfigError
  t.equal(e.issues.length, 2)
  t.equal(e.errorCode, 40)
  t.match(e.message, /num\.partitions[^\n]*\n[^\n]*message\.max\.bytes|message\.max\.bytes[^\n]*\n[^\n]*num\.partitions/)
})

t.test('unknown keys: did you mean', async (t) => {
  t.equal(errorOf(() => cfgWith({ 'log.retension.ms': '5' })), "unknown config 'log.retension.ms' — did you mean 'log.retention.ms'?")
  t.equal(errorOf(() => cfgWith({ 'num.partition': '5' })), "unknown config 'num.partition' — did you mean 'num.partitions'?")
  t.equal(errorOf(() => cfgWith({ 'completely.unrelated.setting': '5' })), "unknown config 'completely.unrelated.setting'")
  t.doesNotThrow(() => cfgWith({ 'listener.name.sasl_ssl.plain.sasl.jaas.config': 'x' }), 'per-listener overrides pass through')
  t.equal(cfgWith({ 'listener.name.internal.ssl.keystore.type': 'PKCS12' }).getRaw('listener.name.internal.ssl.keystore.type'), 'PKCS12')
})

t.test('retention: ms > minutes > hours, -1 unlimited', async (t) => {
  t.equal(cfgWith({ 'log.retention.hours': '1' }).logRetentionMs(), 3600_000)
  t.equal(cfgWith({ 'log.retention.hours': '1', 'log.retention.minutes': '5' }).logRetentionMs(), 300_000)
  t.equal(cfgWith({ 'log.retention.hours': '1', 'log.retention.minutes': '5', 'log.retention.ms': '42' }).logRetentionMs(), 42)
  t.equal(cfgWith({ 'log.retention.ms': '-1' }).logRetentionMs(), -1)
  t.equal(cfgWith({ 'log.retention.hours': '-1' }).logRetentionMs(), -1)
  t.equal(cfgWith({ 'log.retention.minutes': '-5' }).logRetentionMs(), -1, 'any negative is unlimited')
  t.equal(cfgWith({ 'log.retention.ms': '-1', 'log.retention.hours': '0' }).logRetentionMs(), -1, 'lower synonyms ignored')
  t.equal(errorOf(() => cfgWith({ 'log.retention.ms': '0' })), "invalid value '0' for config 'log.retention.ms': expected -1 (unlimited) or a retention of at least 1 ms")
  t.equal(errorOf(() => cfgWith({ 'log.retention.minutes': '0' })), "invalid value '0' for config 'log.retention.minutes': expected -1 (unlimited) or a retention of at least 1 ms")
  t.equal(cfgWith({ 'log.roll.hours': '2' }).logRollMs(), 7200_000)
  t.equal(cfgWith({ 'log.roll.hours': '2', 'log.roll.ms': '500' }).logRollMs(), 500)
  t.equal(cfgWith({ 'log.roll.jitter.hours': '1' }).logRollJitterMs(), 3600_000)
  t.equal(cfgWith({ 'log.flush.interval.ms': '1000' }).logFlushIntervalMs(), 1000)
  t.equal(errorOf(() => cfgWith({ 'log.segment.bytes': '13' })), "invalid value '13' for config 'log.segment.bytes': expected an integer ≥ 14")
  t.equal(cfgWith({ 'log.segment.bytes': '14' }).get('log.segment.bytes'), 14)
})

t.test('node id, roles, listeners, quorum', async (t) => {
  t.equal(cfgWith({ 'broker.id': '7' }).nodeId(), 7, 'broker.id supplies node.id')
  t.equal(cfgWith({ 'broker.id': '7', 'node.id': '7' }).nodeId(), 7)
  t.equal(errorOf(() => cfgWith({ 'broker.id': '7', 'node.id': '3' })), "invalid value '7' for config 'broker.id': expected the same value as node.id (3)")

  t.same(parseListeners('PLAINTEXT://:9092, ssl://0.0.0.0:0,INTERNAL://[::1]:9094,EXT://host.example-1:1'), [
    { name: 'PLAINTEXT', host: '', port: 9092 },
    { name: 'SSL', host: '0.0.0.0', port: 0 },
    { name: 'INTERNAL', host: '::1', port: 9094 },
    { name: 'EXT', host: 'host.example-1', port: 1 },
  ])
  const lbad = (v: string) => errorOf(() => cfgWith({ listeners: v }))
  t.match(lbad('localhost:9092'), /^invalid value 'localhost:9092' for config 'listeners': expected a comma-separated list of NAME:\/\/host:port/)
  t.match(lbad('PLAINTEXT://h:65536'), /expected a comma-separated list of NAME:\/\/host:port/)
  t.match(lbad('PLAINTEXT://h:1,plaintext://h:2'), /each name once/)
  t.equal(lbad('PLAINTEXT://:9092,SSL://:9092'), "invalid value 'PLAINTEXT://:9092,SSL://:9092' for config 'listeners': expected each listener on its own port")
  t.doesNotThrow(() => cfgWith({ listeners: 'PLAINTEXT://:0,SSL://:0' }), 'port 0 may repeat')
  t.equal(
    lbad('PLAINTEXT://:9092,EXTERNAL://:9093'),
    "no security protocol for listener 'EXTERNAL': add EXTERNAL:<PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL> to listener.security.protocol.map",
  )
  const mapped = cfgWith({ listeners: 'PLAINTEXT://:9092,EXTERNAL://:9093', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,EXTERNAL:SSL' })
  t.equal(mapped.securityProtocolOf('external'), 'SSL')
  t.same(parseSecurityProtocolMap('a:ssl, B:SASL_SSL'), new Map([['A', 'SSL'], ['B', 'SASL_SSL']]))
  t.match(errorOf(() => cfgWith({ 'listener.security.protocol.map': 'A:TLS' })), /expected a comma-separated list of NAME:PROTOCOL with PROTOCOL one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL$/)

  // KRaft controller listener: defaults to PLAINTEXT when the map is not set.
  const kraft = cfgWith({ listeners: 'PLAINTEXT://:9092,CONTROLLER://:9093', 'controller.listener.names': 'CONTROLLER' })
  t.equal(kraft.securityProtocolOf('CONTROLLER'), 'PLAINTEXT')
  t.same(kraft.controllerListenerNames(), ['CONTROLLER'])
  t.equal(
    errorOf(() => cfgWith({ 'controller.listener.names': 'CONTROLLER' })),
    "invalid value 'CONTROLLER' for config 'controller.listener.names': expected names of listeners defined in listeners (no 'CONTROLLER' there)",
  )
  t.equal(
    errorOf(() => cfgWith({ 'process.roles': 'broker', listeners: 'PLAINTEXT://:9092,CONTROLLER://:9093', 'controller.listener.names': 'CONTROLLER' })),
    "listener 'CONTROLLER' is a controller listener but process.roles has no controller role: remove it from listeners",
  )
  t.same(cfgWith({ 'process.roles': 'broker' }).processRoles(), ['broker'])

  // advertised listeners
  const adv = cfgWith({ listeners: 'PLAINTEXT://0.0.0.0:9092', 'advertised.listeners': 'PLAINTEXT://kafka.example:19092' })
  t.same(adv.advertisedListeners(), [{ name: 'PLAINTEXT', host: 'kafka.example', port: 19092 }])
  t.equal(
    errorOf(() => cfgWith({ 'advertised.listeners': 'PLAINTEXT://0.0.0.0:9092' })),
    "invalid value 'PLAINTEXT://0.0.0.0:9092' for config 'advertised.listeners': expected routable hosts (not the meta-address 0.0.0.0 or ::)",
  )
  t.equal(
    errorOf(() => cfgWith({ 'advertised.listeners': 'SSL://h:9093' })),
    "invalid value 'SSL://h:9093' for config 'advertised.listeners': expected listener names that also appear in listeners (no 'SSL' there)",
  )
  t.equal(
    errorOf(() => cfgWith({ 'inter.broker.listener.name': 'INTERNAL' })),
    "invalid value 'INTERNAL' for config 'inter.broker.listener.name': expected the name of a listener in listeners (PLAINTEXT)",
  )

  // quorum
  const q = cfgWith({ 'controller.quorum.voters': '1@localhost:9093, 2@[::1]:9094', 'controller.quorum.bootstrap.servers': 'a:1,[::2]:3' })
  t.same(q.quorumVoters(), [
    { id: 1, host: 'localhost', port: 9093 },
    { id: 2, host: '::1', port: 9094 },
  ])
  t.same(q.quorumBootstrapServers(), [
    { host: 'a', port: 1 },
    { host: '::2', port: 3 },
  ])
  t.equal(errorOf(() => cfgWith({ 'controller.quorum.voters': 'localhost:9093' })), "invalid value 'localhost:9093' for config 'controller.quorum.voters': expected a comma-separated list of id@host:port")
  t.match(errorOf(() => cfgWith({ 'controller.quorum.voters': '1@a:1,1@b:2' })), /each id once$/)
  t.throws(() => parseQuorumVoters('x'), { name: 'InvalidValue' })
})

t.test('environment variable names', async (t) => {
  t.equal(envVarToConfigKey('MILLRACE_LOG_DIRS'), 'log.dirs')
  t.equal(envVarToConfigKey('MILLRACE_LOG_RETENTION_MS'), 'log.retention.ms')
  t.equal(envVarToConfigKey('MILLRACE_LISTENER_NAME_INTERNAL__1_SSL_KEYSTORE_TYPE'), 'listener.name.internal_1.ssl.keystore.type')
  t.equal(envVarToConfigKey('MILLRACE_A___B'), 'a-b')
  t.equal(envVarToConfigKey('PATH'), undefined)
  t.equal(envVarToConfigKey('MILLRACE_'), undefined)
  for (const name of BROKER_CONFIG_NAMES) t.equal(envVarToConfigKey(configKeyToEnvVar(name)), name, `${name} round-trips`)
  t.equal(configKeyToEnvVar('num.partitions'), 'MILLRACE_NUM_PARTITIONS')
})

t.test('command-line arguments', async (t) => {
  t.same(parseConfigArgs(['--config', 'a.conf', '--override', 'x=1', '--override=y=a=b', 'other']), {
    configFile: 'a.conf',
    overrides: [
      { key: 'x', value: '1' },
      { key: 'y', value: 'a=b' },
    ],
    rest: ['other'],
  })
  t.equal(parseConfigArgs(['server.properties']).configFile, 'server.properties', "Kafka's positional form")
  t.equal(parseConfigArgs(['--config=c.properties']).configFile, 'c.properties')
  t.equal(errorOf(() => parseConfigArgs(['--config'])), '--config needs a file path')
  t.equal(errorOf(() => parseConfigArgs(['--override'])), '--override needs key=value')
  t.equal(errorOf(() => parseConfigArgs(['--override', 'novalue'])), "--override needs key=value, got 'novalue'")
  t.equal(errorOf(() => parseConfigArgs(['a.properties', '--config', 'b.properties'])), "more than one config file given ('a.properties' and 'b.properties')")
  t.equal(errorOf(() => loadBrokerConfig({ argv: ['--overide', 'x=1'] })), "unknown argument '--overide' — did you mean '--override'?\nunknown argument 'x=1'")
  t.doesNotThrow(() => loadBrokerConfig({ argv: ['--format-storage'], strictArgs: false }))
})

t.test('loading: defaults < file < env < overrides', async (t) => {
  const files: Record<string, string> = {
    '/etc/millrace/server.properties': [
      '# test broker',
      'num.partitions=2',
      'log.retention.hours=24',
      'default.replication.factor = 1',
      'log.dirs=/var/lib/millrace',
    ].join('\n'),
  }
  const readFile = (f: string) => {
    const text = files[f]
    if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${f}'`)
    return text
  }
  const load = (argv: string[], env: Record<string, string> = {}) => loadBrokerConfig({ argv, env, cwd: '/etc/millrace', readFile })

  const fileOnly = load(['--config', 'server.properties'])
  t.equal(fileOnly.get('num.partitions'), 2)
  t.equal(fileOnly.origin('num.partitions'), 'file')
  t.equal(fileOnly.source('num.partitions'), ConfigSource.STATIC_BROKER_CONFIG)
  t.equal(fileOnly.staticSettings.get('num.partitions')?.where, 'server.properties:2')
  t.equal(fileOnly.logRetentionMs(), 24 * 3600_000)
  t.same(fileOnly.logDirs(), ['/var/lib/millrace'])
  t.equal(fileOnly.origin('num.io.threads'), 'default')

  const withEnv = load(['--config', 'server.properties'], { MILLRACE_NUM_PARTITIONS: '3', MILLRACE_LOG_DIRS: '/mnt/a,/mnt/b', HOME: '/root', MILLRACE_CLUSTER_ID: 'abc' })
  t.equal(withEnv.get('num.partitions'), 3)
  t.equal(withEnv.origin('num.partitions'), 'env')
  t.same(withEnv.logDirs(), ['/mnt/a', '/mnt/b'])
  t.equal(withEnv.staticSettings.get('log.dirs')?.where, 'env MILLRACE_LOG_DIRS')

  const all = load(['--config', 'server.properties', '--override', 'num.partitions=4'], { MILLRACE_NUM_PARTITIONS: '3' })
  t.equal(all.get('num.partitions'), 4)
  t.equal(all.origin('num.partitions'), 'override')
  t.same(Object.fromEntries(all.rawValues), {
    'num.partitions': '4',
    'log.retention.hours': '24',
    'default.replication.factor': '1',
    'log.dirs': '/var/lib/millrace',
  })
  t.equal(load([]).get('num.partitions'), 1, 'no file: defaults')

  t.equal(
    errorOf(() => load([], { MILLRACE_LOG_RETENSION_MS: '5' })),
    "unknown config 'log.retension.ms' — did you mean 'log.retention.ms'?",
  )
  t.doesNotThrow(() => loadBrokerConfig({ env: { MILLRACE_WHATEVER: '1' }, ignoreEnv: ['MILLRACE_WHATEVER'] }))
  t.equal(
    errorOf(() => load(['--override', 'num.partitions=abc'])),
    "invalid value 'abc' for config 'num.partitions': expected an integer ≥ 1",
  )
  const e = t.throws(() => load(['--override', 'log.retension.ms=5'])) as ConfigError
  t.equal(e.issues[0]!.origin, '--override')
  t.equal(
    errorOf(() => load(['--config', 'missing.properties'])),
    "cannot read config file '/etc/millrace/missing.properties': ENOENT: no such file or directory, open '/etc/millrace/missing.properties'",
  )
  files['/etc/millrace/bad.properties'] = 'num.partitions=x\nlog.retension.ms=1\n'
  const fe = t.throws(() => load(['--config', 'bad.properties'])) as ConfigError
  t.same(
    fe.issues.map((i) => [i.origin, i.message]),
    [
      ['bad.properties:2', "unknown config 'log.retension.ms' — did you mean 'log.retention.ms'?"],
      ['bad.properties:1', "invalid value 'x' for config 'num.partitions': expected an integer ≥ 1"],
    ],
  )
})

t.test('loading a real file from disk, written like Kafka 4.0 KRaft server.properties', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'millrace-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(
    path.join(dir, 'server.properties'),
    [
      '############################# Server Basics #############################',
      'process.roles=broker,controller',
      'node.id=1',
      'controller.quorum.bootstrap.servers=localhost:9093',
      '############################# Socket Server Settings #############################',
      'listeners=PLAINTEXT://:9092,CONTROLLER://:9093',
      'inter.broker.listener.name=PLAINTEXT',
      'advertised.listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093',
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
      'num.network.threads=3',
      'num.io.threads=8',
      'socket.send.buffer.bytes=102400',
      'socket.receive.buffer.bytes=102400',
      'socket.request.max.bytes=104857600',
      'log.dirs=kraft-combined-logs',
      'num.partitions=1',
      'num.recovery.threads.per.data.dir=1',
      'offsets.topic.replication.factor=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      '#log.flush.interval.messages=10000',
      '#log.flush.interval.ms=1000',
      'log.retention.hours=168',
      '#log.retention.bytes=1073741824',
      'log.segment.bytes=1073741824',
      'log.retention.check.interval.ms=300000',
      '',
    ].join('\n'),
  )
  const cfg = loadBrokerConfig({ argv: ['--config', 'server.properties'], cwd: dir })
  t.same(cfg.logDirs(), [path.join(dir, 'kraft-combined-logs')])
  t.same(cfg.controllerListenerNames(), ['CONTROLLER'])
  t.same(cfg.listeners().map((l) => l.name), ['PLAINTEXT', 'CONTROLLER'])
  t.equal(cfg.securityProtocolOf('CONTROLLER'), 'PLAINTEXT')
  t.same(cfg.quorumBootstrapServers(), [{ host: 'localhost', port: 9093 }])
  t.equal(cfg.rawValues.size, 24)
})

t.test('dynamic layers', async (t) => {
  const base = cfgWith({ 'log.retention.hours': '24', 'message.max.bytes': '2000000' })
  const dyn = base.withDynamicConfigs({ clusterDefault: { 'log.retention.ms': '1000', 'message.max.bytes': '3000000' }, perBroker: { 'message.max.bytes': '4000000' } })
  t.equal(dyn.logRetentionMs(), 1000)
  t.equal(dyn.source('log.retention.ms'), ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
  t.equal(dyn.get('message.max.bytes'), 4000000)
  t.equal(dyn.source('message.max.bytes'), ConfigSource.DYNAMIC_BROKER_CONFIG)
  t.same(dyn.layers('message.max.bytes'), [
    { source: ConfigSource.DYNAMIC_BROKER_CONFIG, value: '4000000' },
    { source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, value: '3000000' },
    { source: ConfigSource.STATIC_BROKER_CONFIG, value: '2000000' },
    { source: ConfigSource.DEFAULT_CONFIG, value: '1048588' },
  ])
  t.equal(base.get('message.max.bytes'), 2000000, 'the original is unchanged')
  t.equal(dyn.withDynamicConfigs({ perBroker: {} }).get('message.max.bytes'), 3000000, 'replacing one layer keeps the other')

  t.equal(
    errorOf(() => base.withDynamicConfigs({ clusterDefault: { 'num.partitions': '3' } })),
    "config 'num.partitions' is read-only: it cannot be updated dynamically, only in the static configuration",
  )
  t.equal(
    errorOf(() => base.withDynamicConfigs({ clusterDefault: { listeners: 'PLAINTEXT://:1' } })),
    "config 'listeners' can only be updated per broker, not as a cluster-wide default",
  )
  t.equal(
    errorOf(() => base.withDynamicConfigs({ perBroker: { 'log.retention.ms': 'soon' } })),
    "invalid value 'soon' for config 'log.retention.ms': expected an integer",
  )
  t.same(validateBrokerConfigs({ 'log.retention.ms': '5', 'min.insync.replicas': null }, { dynamic: 'cluster-default' }), { ok: true, issues: [] })
  const v = validateBrokerConfigs({ 'log.retension.ms': '5', 'num.io.threads': '0' }, { dynamic: 'per-broker' })
  t.same(v.ok ? null : [v.errorCode, v.message], [
    40,
    "unknown config 'log.retension.ms' — did you mean 'log.retention.ms'?; invalid value '0' for config 'num.io.threads': expected an integer ≥ 1",
  ])
})

t.test('DescribeConfigs entries for the broker', async (t) => {
  const cfg = cfgWith({ 'log.retention.ms': '5000', 'ssl.keystore.password': 'secret' }).withDynamicConfigs({
    clusterDefault: { 'log.retention.hours': '2' },
  })
  const [ms, hours, minutes, pw, parts] = cfg.describe(['log.retention.ms', 'log.retention.hours', 'log.retention.minutes', 'ssl.keystore.password', 'num.partitions', 'no.such.key'])
  t.same(ms, {
    name: 'log.retention.ms',
    value: '5000',
    source: ConfigSource.STATIC_BROKER_CONFIG,
    isDefault: false,
    isSensitive: false,
    readOnly: false,
    // Kafka's order: grouped by source, starting at the entry for the key itself.
    synonyms: [
      { name: 'log.retention.ms', value: '5000', source: ConfigSource.STATIC_BROKER_CONFIG },
      { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
    ],
    configType: 'long',
    configTypeId: 5,
    documentation: BROKER_CONFIGS['log.retention.ms'].doc,
  })
  t.equal(hours!.value, '2')
  t.equal(hours!.source, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
  t.same(hours!.synonyms, [
    { name: 'log.retention.hours', value: '2', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG },
    { name: 'log.retention.ms', value: '5000', source: ConfigSource.STATIC_BROKER_CONFIG },
    { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
  ])
  t.same([minutes!.value, minutes!.source, minutes!.synonyms], [null, ConfigSource.DEFAULT_CONFIG, []])
  t.same([pw!.value, pw!.isSensitive, pw!.configTypeId, pw!.synonyms], [null, true, 9, [{ name: 'ssl.keystore.password', value: null, source: ConfigSource.STATIC_BROKER_CONFIG }]])
  t.same([parts!.value, parts!.readOnly, parts!.isDefault, parts!.configTypeId], ['1', true, true, 3])
  t.equal(cfg.describe().length, BROKER_CONFIG_NAMES.length)
  t.equal(cfg.describe(['log.flush.interval.messages'])[0]!.value, '9223372036854775807')
})

t.test('BrokerConfig constructor accepts a plain record', async (t) => {
  const cfg = new BrokerConfig({ 'num.partitions': '6' }, { cwd: '/x' })
  t.equal(cfg.get('num.partitions'), 6)
  t.equal(cfg.origin('num.partitions'), 'override')
  t.equal(cfg.valueOf('num.partitions'), 6)
  t.equal(cfg.valueOf('nope'), undefined)
})

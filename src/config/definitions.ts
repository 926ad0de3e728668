/**
 * The broker configs Millrace understands, with Kafka's names, types, defaults, valid
 * values and update modes (Kafka 3.9 / 4.0). Where Millrace's default differs from
 * Kafka's, `kafkaDefault` records Kafka's and the doc line says why.
 *
 * Values Kafka writes as Long.MAX_VALUE are Number.MAX_SAFE_INTEGER here (int64s are
 * JS numbers in Millrace); DescribeConfigs prints them back as 9223372036854775807.
 *
 * Some configs are accepted and reported but only informational in Millrace (thread
 * counts, socket buffer sizes, class names, SSL settings until TLS lands): their docs
 * say so.
 */
import { parseHostPorts, parseListeners, parseQuorumVoters, parseSecurityProtocolMap } from './listeners.js'
import { ConfigDef, INT_MAX, LONG_MAX, bool, cls, defineTable, double, int, list, long, password, short, str } from './schema.js'

const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] as const
const CLEANUP_POLICIES = ['compact', 'delete'] as const
const TIMESTAMP_TYPES = ['CreateTime', 'LogAppendTime'] as const
const PROCESS_ROLES = ['broker', 'controller'] as const

/** Kafka's default `listener.security.protocol.map`. */
export const DEFAULT_SECURITY_PROTOCOL_MAP = 'SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT'

const gzipLevel = { check: (n: number) => n === -1 || (n >= 1 && n <= 9), expected: '-1 or an integer between 1 and 9' }

export const BROKER_CONFIGS = defineTable({
  // --- node identity and KRaft -------------------------------------------------
  'node.id': int(1, {
    min: 0,
    importance: 'high',
    kafkaDefault: '-1',
    doc: 'The id of this node in the cluster (broker and controller). Millrace defaults to 1 so a single node starts without configuration.',
  }),
  'broker.id': int(null, {
    min: 0,
    importance: 'high',
    kafkaDefault: '-1',
    doc: 'Older name for node.id; if set it must equal node.id, and it supplies node.id when node.id is not set.',
  }),
  'process.roles': list(['broker', 'controller'], {
    items: PROCESS_ROLES,
    nonEmpty: true,
    unique: true,
    importance: 'high',
    kafkaDefault: '',
    doc: 'The roles this node plays: broker, controller, or both. Millrace defaults to both (a single-node cluster).',
  }),
  'controller.quorum.voters': list([], {
    validate: (raw) => void parseQuorumVoters(raw),
    importance: 'high',
    doc: 'The static set of controller voters as id@host:port; empty means this node is the only voter.',
  }),
  'controller.quorum.bootstrap.servers': list([], {
    validate: (raw) => void parseHostPorts(raw),
    importance: 'high',
    doc: 'host:port endpoints used to discover the controller quorum (dynamic quorums, KIP-853).',
  }),
  'controller.listener.names': str(null, {
    importance: 'high',
    doc: 'Comma-separated names of the listeners the controller serves on; unset means the in-process controller of a single node needs no listener.',
  }),
  'controller.quorum.election.timeout.ms': int(1000, { min: 0, doc: 'How long a voter waits without a leader before starting an election.' }),
  'controller.quorum.election.backoff.max.ms': int(1000, { min: 0, doc: 'Upper bound of the randomised back-off before a new election.' }),
  'controller.quorum.fetch.timeout.ms': int(2000, { min: 0, doc: 'How long a follower waits without a successful fetch before it becomes a candidate.' }),
  'controller.quorum.request.timeout.ms': int(2000, { min: 0, doc: 'Timeout of quorum requests between controllers.' }),
  'controller.quorum.retry.backoff.ms': int(20, { min: 0, doc: 'Back-off before retrying a failed quorum request.' }),
  'controller.quorum.append.linger.ms': int(25, { min: 0, doc: 'How long the quorum leader waits to batch metadata records before writing them.' }),
  'broker.heartbeat.interval.ms': int(2000, { min: 1, doc: 'Interval between broker heartbeats to the controller.' }),
  'broker.session.timeout.ms': int(9000, { min: 1, doc: 'How long the controller keeps a broker registered without heartbeats.' }),
  'metadata.log.dir': str(null, {
    importance: 'high',
    doc: 'Directory of the __cluster_metadata log; unset means the first log directory.',
  }),
  'metadata.log.segment.bytes': int(1073741824, { min: 12, doc: 'Maximum size of a __cluster_metadata segment.' }),
  'metadata.log.segment.ms': long(604800000, { min: 1, doc: 'Maximum age of the active __cluster_metadata segment before it rolls.' }),
  'metadata.max.retention.bytes': long(104857600, { doc: 'Metadata log bytes kept before old segments and snapshots are deleted (-1: no limit).' }),
  'metadata.max.retention.ms': long(604800000, { doc: 'How long metadata log segments and snapshots are kept (-1: no limit).' }),
  'metadata.log.max.record.bytes.between.snapshots': long(20971520, { min: 1, doc: 'Bytes of new metadata records after which a snapshot is taken.' }),
  'metadata.log.max.snapshot.interval.ms': long(3600000, { min: 0, doc: 'Longest time between metadata snapshots when records were written (0: size-based only).' }),
  'metadata.max.idle.interval.ms': int(500, { min: 0, doc: 'How often the active controller appends a no-op record to advance the metadata high watermark (0: never).' }),

  // --- network -----------------------------------------------------------------
  listeners: str('PLAINTEXT://localhost:9092', {
    validate: (s) => void parseListeners(s),
    mode: 'per-broker',
    importance: 'high',
    kafkaDefault: 'PLAINTEXT://:9092',
    doc: 'Comma-separated NAME://host:port endpoints to listen on; port 0 picks a free port. Millrace binds localhost by default.',
  }),
  'advertised.listeners': str(null, {
    validate: (s) => void parseListeners(s),
    mode: 'per-broker',
    importance: 'high',
    doc: 'Endpoints given to clients in metadata when they differ from listeners; unset means listeners.',
  }),
  'listener.security.protocol.map': str(DEFAULT_SECURITY_PROTOCOL_MAP, {
    validate: (s) => void parseSecurityProtocolMap(s),
    mode: 'per-broker',
    doc: 'Maps each listener name to its security protocol, e.g. CONTROLLER:PLAINTEXT,EXTERNAL:SSL.',
  }),
  'inter.broker.listener.name': str(null, {
    doc: 'The listener brokers use to reach each other; unset means the listener named by security.inter.broker.protocol.',
  }),
  'security.inter.broker.protocol': str('PLAINTEXT', {
    oneOf: ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'],
    doc: 'Security protocol between brokers when inter.broker.listener.name is unset.',
  }),
  'socket.send.buffer.bytes': int(102400, { doc: 'SO_SNDBUF of client sockets (-1: the OS default).' }),
  'socket.receive.buffer.bytes': int(102400, { doc: 'SO_RCVBUF of client sockets (-1: the OS default).' }),
  'socket.request.max.bytes': int(104857600, { min: 1, doc: 'Largest request frame accepted; a larger size prefix closes the connection.' }),
  'socket.listen.backlog.size': int(50, { min: 1, doc: 'Backlog of pending connections on each listening socket.' }),
  'num.network.threads': int(3, { min: 1, mode: 'cluster-wide', doc: 'Kafka network threads; accepted for compatibility (Millrace runs one event loop).' }),
  'num.io.threads': int(8, { min: 1, mode: 'cluster-wide', doc: 'Kafka request-handler threads; accepted for compatibility (Millrace runs one event loop).' }),
  'queued.max.requests': int(500, { min: 1, doc: 'Requests queued per connection before the broker stops reading from it.' }),
  'connections.max.idle.ms': long(600000, { doc: 'Idle connections are closed after this many milliseconds.' }),
  'max.connections': int(INT_MAX, { min: 0, mode: 'cluster-wide', doc: 'Maximum number of client connections at once.' }),
  'fetch.max.bytes': int(57671680, { min: 1024, doc: 'Upper bound of the bytes returned by one Fetch request.' }),

  // --- topic defaults ----------------------------------------------------------
  'num.partitions': int(1, { min: 1, doc: 'Partitions of a topic created without a partition count (including auto-created ones).' }),
  'default.replication.factor': int(1, { min: 1, doc: 'Replication factor of a topic created without one.' }),
  'auto.create.topics.enable': bool(true, { importance: 'high', doc: 'Create a topic when a client asks for metadata of or produces to one that does not exist.' }),
  'delete.topic.enable': bool(true, { importance: 'high', doc: 'Allow DeleteTopics; when false it fails with TOPIC_DELETION_DISABLED.' }),
  'min.insync.replicas': int(1, {
    min: 1,
    mode: 'cluster-wide',
    importance: 'high',
    doc: 'With acks=all, the in-sync replicas a write needs; fewer gives NOT_ENOUGH_REPLICAS.',
  }),
  'unclean.leader.election.enable': bool(false, { mode: 'cluster-wide', importance: 'high', doc: 'Allow an out-of-sync replica to become leader, at the risk of losing data.' }),
  'compression.type': str('producer', {
    oneOf: COMPRESSION_TYPES,
    mode: 'cluster-wide',
    importance: 'high',
    doc: "Compression of stored batches: producer keeps the producer's codec; uncompressed, gzip, snappy, lz4 or zstd recompresses.",
  }),
  'compression.gzip.level': int(-1, { ...gzipLevel, mode: 'cluster-wide', doc: 'gzip level used when compression.type=gzip.' }),
  'compression.lz4.level': int(9, { min: 1, max: 17, mode: 'cluster-wide', doc: 'lz4 level used when compression.type=lz4.' }),
  'compression.zstd.level': int(3, { min: -131072, max: 22, mode: 'cluster-wide', doc: 'zstd level used when compression.type=zstd.' }),
  'message.max.bytes': int(1048588, {
    min: 0,
    mode: 'cluster-wide',
    importance: 'high',
    doc: 'Largest record batch accepted (after compression); larger ones get MESSAGE_TOO_LARGE.',
  }),

  // --- log ---------------------------------------------------------------------
  'log.dir': str('./data', {
    importance: 'high',
    kafkaDefault: '/tmp/kafka-logs',
    doc: 'Directory for partition data when log.dirs is unset; relative paths are resolved against the working directory.',
  }),
  'log.dirs': list(null, {
    nonEmpty: true,
    unique: true,
    importance: 'high',
    doc: 'Comma-separated directories for partition data; unset means log.dir.',
  }),
  'log.segment.bytes': int(1073741824, {
    min: 14,
    mode: 'cluster-wide',
    importance: 'high',
    doc: 'Size at which a partition rolls to a new segment file.',
  }),
  'log.roll.ms': long(null, { min: 1, mode: 'cluster-wide', doc: 'Age at which the active segment rolls; unset means log.roll.hours.' }),
  'log.roll.hours': int(168, { min: 1, mode: 'cluster-wide', doc: 'Age in hours at which the active segment rolls, when log.roll.ms is unset.' }),
  'log.roll.jitter.ms': long(null, { min: 0, mode: 'cluster-wide', doc: 'Random jitter subtracted from the roll time; unset means log.roll.jitter.hours.' }),
  'log.roll.jitter.hours': int(0, { min: 0, mode: 'cluster-wide', doc: 'Roll jitter in hours, when log.roll.jitter.ms is unset.' }),
  'log.retention.ms': long(null, {
    mode: 'cluster-wide',
    importance: 'high',
    doc: 'How long to keep closed segments (-1: forever); takes precedence over log.retention.minutes and log.retention.hours.',
  }),
  'log.retention.minutes': int(null, { mode: 'cluster-wide', importance: 'high', doc: 'Retention in minutes, when log.retention.ms is unset.' }),
  'log.retention.hours': int(168, { mode: 'cluster-wide', importance: 'high', doc: 'Retention in hours, when neither log.retention.ms nor log.retention.minutes is set.' }),
  'log.retention.bytes': long(-1, { mode: 'cluster-wide', importance: 'high', doc: 'Size a partition may reach before old segments are deleted (-1: no limit).' }),
  'log.retention.check.interval.ms': long(300000, { min: 1, doc: 'How often retention is checked.' }),
  'log.cleanup.policy': list(['delete'], {
    items: CLEANUP_POLICIES,
    mode: 'cluster-wide',
    doc: 'What happens to segments past retention: delete, compact, or both.',
  }),
  'log.index.size.max.bytes': int(10485760, { min: 4, mode: 'cluster-wide', doc: 'Maximum size of a segment offset index; a full index rolls the segment.' }),
  'log.index.interval.bytes': int(4096, { min: 0, mode: 'cluster-wide', doc: 'Bytes appended between offset index entries.' }),
  'log.flush.interval.messages': long(LONG_MAX, {
    min: 1,
    mode: 'cluster-wide',
    doc: 'Records appended to a partition before it is fsynced (default: leave it to the OS).',
  }),
  'log.flush.interval.ms': long(null, { mode: 'cluster-wide', doc: 'Longest a record stays unflushed; unset means log.flush.scheduler.interval.ms.' }),
  'log.flush.scheduler.interval.ms': long(LONG_MAX, { doc: 'How often the flusher checks for partitions due a flush.' }),
  'log.flush.offset.checkpoint.interval.ms': int(60000, { min: 0, doc: 'How often the recovery-point checkpoint is written.' }),
  'log.flush.start.offset.checkpoint.interval.ms': int(60000, { min: 0, doc: 'How often the log-start-offset checkpoint is written.' }),
  'log.segment.delete.delay.ms': long(60000, { min: 0, mode: 'cluster-wide', doc: 'Delay between marking a segment deleted and removing its files.' }),
  'log.preallocate': bool(false, { mode: 'cluster-wide', doc: 'Preallocate segment files at their full size when they are created.' }),
  'log.message.timestamp.type': str('CreateTime', {
    oneOf: TIMESTAMP_TYPES,
    mode: 'cluster-wide',
    doc: "Record timestamps: the producer's CreateTime, or LogAppendTime set by the broker.",
  }),
  'log.message.timestamp.before.max.ms': long(LONG_MAX, {
    min: 0,
    mode: 'cluster-wide',
    doc: 'With CreateTime, how far a record timestamp may lie before the broker clock.',
  }),
  'log.message.timestamp.after.max.ms': long(LONG_MAX, {
    min: 0,
    mode: 'cluster-wide',
    doc: 'With CreateTime, how far a record timestamp may lie after the broker clock.',
  }),
  'log.message.downconversion.enable': bool(true, {
    mode: 'cluster-wide',
    doc: 'Kafka 3.x: down-convert batches for old consumers. Accepted; Millrace serves v2 batches only.',
  }),
  'log.local.retention.ms': long(-2, { min: -2, mode: 'cluster-wide', doc: 'Tiered storage: local retention (-2: same as retention.ms). Accepted; Millrace has no tiered storage.' }),
  'log.local.retention.bytes': long(-2, { min: -2, mode: 'cluster-wide', doc: 'Tiered storage: local retention bytes (-2: same as retention.bytes). Accepted; Millrace has no tiered storage.' }),
  'num.recovery.threads.per.data.dir': int(1, { min: 1, mode: 'cluster-wide', doc: 'Kafka recovery threads per directory; accepted for compatibility.' }),
  'log.cleaner.enable': bool(true, { doc: 'Run the log cleaner, which compacts topics with cleanup.policy=compact.' }),
  'log.cleaner.threads': int(1, { min: 0, mode: 'cluster-wide', doc: 'Kafka cleaner threads; accepted for compatibility.' }),
  'log.cleaner.backoff.ms': long(15000, { min: 0, mode: 'cluster-wide', doc: 'Sleep of the cleaner when no log needs cleaning.' }),
  'log.cleaner.dedupe.buffer.size': long(134217728, { mode: 'cluster-wide', doc: 'Memory for the key map of the cleaner.' }),
  'log.cleaner.delete.retention.ms': long(86400000, { min: 0, mode: 'cluster-wide', doc: 'How long tombstones are kept in compacted topics.' }),
  'log.cleaner.min.cleanable.ratio': double(0.5, {
    min: 0,
    max: 1,
    mode: 'cluster-wide',
    doc: 'Dirty/total ratio a log must reach before it is compacted.',
  }),
  'log.cleaner.min.compaction.lag.ms': long(0, { min: 0, mode: 'cluster-wide', doc: 'Minimum age of a record before it may be compacted.' }),
  'log.cleaner.max.compaction.lag.ms': long(LONG_MAX, { min: 1, mode: 'cluster-wide', doc: 'Maximum age of a record before it must be eligible for compaction.' }),

  // --- replication -------------------------------------------------------------
  'replica.lag.time.max.ms': long(30000, { doc: 'A follower that has not caught up for this long leaves the ISR.' }),
  'replica.fetch.max.bytes': int(1048576, { min: 0, doc: 'Bytes a follower asks for per partition in one fetch.' }),
  'replica.fetch.min.bytes': int(1, { doc: 'Bytes a follower fetch waits for.' }),
  'replica.fetch.wait.max.ms': int(500, { doc: 'Longest a follower fetch waits on the leader.' }),
  'replica.fetch.backoff.ms': int(1000, { min: 0, doc: 'Sleep after a failed follower fetch.' }),
  'replica.socket.timeout.ms': int(30000, { doc: 'Socket timeout of follower fetches.' }),
  'replica.high.watermark.checkpoint.interval.ms': long(5000, { min: 1, doc: 'How often high watermarks are checkpointed.' }),
  'num.replica.fetchers': int(1, { mode: 'cluster-wide', doc: 'Kafka fetcher threads per source broker; accepted for compatibility.' }),

  // --- consumer groups and offsets ---------------------------------------------
  'group.initial.rebalance.delay.ms': int(3000, { doc: 'How long a new classic group waits for more members before its first rebalance.' }),
  'group.min.session.timeout.ms': int(6000, { doc: 'Smallest session timeout a member may ask for.' }),
  'group.max.session.timeout.ms': int(1800000, { doc: 'Largest session timeout a member may ask for.' }),
  'group.max.size': int(INT_MAX, { min: 1, doc: 'Most members a group may have.' }),
  'offsets.topic.num.partitions': int(50, { min: 1, doc: 'Partitions of __consumer_offsets (fixed once created).' }),
  'offsets.topic.replication.factor': short(1, {
    min: 1,
    kafkaDefault: '3',
    doc: 'Replication factor of __consumer_offsets. Millrace defaults to 1 so a single node can create it.',
  }),
  'offsets.topic.segment.bytes': int(104857600, { min: 1, doc: 'Segment size of __consumer_offsets.' }),
  'offsets.retention.minutes': int(10080, { min: 1, doc: 'How long committed offsets of an empty group are kept.' }),
  'offsets.retention.check.interval.ms': long(600000, { min: 1, doc: 'How often expired offsets are looked for.' }),
  'offsets.commit.timeout.ms': int(5000, { min: 1, doc: 'How long an offset commit waits for its write to be replicated.' }),
  'offsets.load.buffer.size': int(5242880, { min: 1, doc: 'Read size when loading __consumer_offsets into memory.' }),
  'offset.metadata.max.bytes': int(4096, { doc: 'Largest metadata string allowed with a committed offset.' }),

  // --- transactions and producer ids -------------------------------------------
  'transaction.state.log.num.partitions': int(50, { min: 1, doc: 'Partitions of __transaction_state (fixed once created).' }),
  'transaction.state.log.replication.factor': short(1, {
    min: 1,
    kafkaDefault: '3',
    doc: 'Replication factor of __transaction_state. Millrace defaults to 1 so a single node can create it.',
  }),
  'transaction.state.log.min.isr': int(1, {
    min: 1,
    kafkaDefault: '2',
    doc: 'min.insync.replicas of __transaction_state. Millrace defaults to 1 for a single node.',
  }),
  'transaction.state.log.segment.bytes': int(104857600, { min: 1, doc: 'Segment size of __transaction_state.' }),
  'transaction.state.log.load.buffer.size': int(5242880, { min: 1, doc: 'Read size when loading __transaction_state into memory.' }),
  'transaction.max.timeout.ms': int(900000, { min: 1, doc: 'Largest transaction timeout a producer may ask for.' }),
  'transactional.id.expiration.ms': int(604800000, { min: 1, doc: 'A transactional id unused for this long is expired.' }),
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': int(10000, { min: 1, doc: 'How often timed-out transactions are rolled back.' }),
  'transaction.remove.expired.transaction.cleanup.interval.ms': int(3600000, { min: 1, doc: 'How often expired transactional ids are removed.' }),
  'transaction.partition.verification.enable': bool(true, { doc: 'Check with the transaction coordinator that a transactional write that begins a transaction in a partition belongs to an open transaction that includes it (KIP-890).' }),
  'producer.id.expiration.ms': int(86400000, { min: 1, mode: 'cluster-wide', doc: 'Idempotent producer state unused for this long is expired.' }),
  'producer.id.expiration.check.interval.ms': int(600000, { min: 1, doc: 'How often expired producer ids are looked for.' }),
  'max.incremental.fetch.session.cache.slots': int(1000, { min: 0, doc: 'Most incremental fetch sessions kept at once.' }),

  // --- share groups (Kafka 4.0's stock server.properties sets these) -----------
  'share.coordinator.state.topic.replication.factor': short(1, {
    min: 1,
    kafkaDefault: '3',
    doc: 'Replication factor of __share_group_state. Accepted; Millrace has no share groups yet.',
  }),
  'share.coordinator.state.topic.min.isr': short(1, {
    min: 1,
    kafkaDefault: '2',
    doc: 'min.insync.replicas of __share_group_state. Accepted; Millrace has no share groups yet.',
  }),

  // --- security (accepted and reported; TLS/SASL arrive with src/server) -------
  'authorizer.class.name': str('', { doc: 'Authorizer class; empty means no authorization.' }),
  'create.topic.policy.class.name': cls(null, { doc: 'Policy class that vets CreateTopics requests.' }),
  'alter.config.policy.class.name': cls(null, { doc: 'Policy class that vets AlterConfigs requests.' }),
  'sasl.enabled.mechanisms': list(['GSSAPI'], { mode: 'per-broker', doc: 'SASL mechanisms offered to clients.' }),
  'sasl.mechanism.inter.broker.protocol': str('GSSAPI', { mode: 'per-broker', doc: 'SASL mechanism between brokers.' }),
  'ssl.keystore.type': str('JKS', { mode: 'per-broker', doc: 'Format of the key store file.' }),
  'ssl.keystore.location': str(null, { mode: 'per-broker', doc: 'Path of the key store.' }),
  'ssl.keystore.password': password({ mode: 'per-broker', doc: 'Password of the key store.' }),
  'ssl.key.password': password({ mode: 'per-broker', doc: 'Password of the private key in the key store.' }),
  'ssl.truststore.type': str('JKS', { mode: 'per-broker', doc: 'Format of the trust store file.' }),
  'ssl.truststore.location': str(null, { mode: 'per-broker', doc: 'Path of the trust store.' }),
  'ssl.truststore.password': password({ mode: 'per-broker', doc: 'Password of the trust store.' }),
  'ssl.client.auth': str('none', { oneOf: ['required', 'requested', 'none'], mode: 'per-broker', doc: 'Whether TLS clients must present a certificate.' }),
  'ssl.enabled.protocols': list(['TLSv1.2', 'TLSv1.3'], { mode: 'per-broker', doc: 'TLS versions accepted.' }),
})

export type BrokerConfigs = typeof BROKER_CONFIGS
/** The name of a broker config Millrace knows. */
export type BrokerConfigName = keyof BrokerConfigs & string
/** The parsed value type of broker config `K`, e.g. `number` for `num.partitions`. */
export type BrokerConfigValue<K extends BrokerConfigName> = BrokerConfigs[K] extends ConfigDef<infer T> ? T : never

/** All broker config names, sorted. */
export const BROKER_CONFIG_NAMES: readonly BrokerConfigName[] = Object.freeze(
  (Object.keys(BROKER_CONFIGS) as BrokerConfigName[]).sort(),
)

export function isBrokerConfigName(name: string): name is BrokerConfigName {
  return Object.prototype.hasOwnProperty.call(BROKER_CONFIGS, name)
}

/** The definition of broker config `name`, if known. */
export function brokerConfigDef(name: string): ConfigDef<unknown> | undefined {
  return isBrokerConfigName(name) ? (BROKER_CONFIGS[name] as ConfigDef<unknown>) : undefined
}

/**
 * Keys passed through without validation: Kafka's per-listener overrides
 * (`listener.name.<listener>.<config>`), which only src/server interprets.
 */
export function isPassThroughKey(name: string): boolean {
  return /^listener\.name\.[a-z0-9_-]+\.[a-z0-9._-]+$/i.test(name)
}

/**
 * Groups of broker configs that set one value with decreasing priority (Kafka's
 * ServerTopicConfigSynonyms), keyed by every member. E.g. log.retention.hours →
 * [log.retention.ms, log.retention.minutes, log.retention.hours].
 */
const BROKER_SYNONYM_GROUPS: readonly (readonly BrokerConfigName[])[] = [
  ['log.roll.ms', 'log.roll.hours'],
  ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
  ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
  ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
]

/** The broker configs that are synonyms of `name`, highest priority first (just `[name]` for most). */
export function brokerSynonyms(name: string): readonly string[] {
  return BROKER_SYNONYM_GROUPS.find((g) => (g as readonly string[]).includes(name)) ?? [name]
}

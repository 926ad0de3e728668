/**
 * Log configuration (Kafka's topic-level log configs, as a typed object) and the
 * small service interfaces the storage layer takes from its owner: a logger and a
 * clock. Defaults are Kafka's.
 */

export type CleanupPolicy = 'delete' | 'compact'
export type TimestampTypeName = 'CreateTime' | 'LogAppendTime'

/** Stands for Java's Long.MAX_VALUE ("no limit") in configs that are int64 in Kafka. */
export const LONG_MAX = Number.MAX_SAFE_INTEGER

export interface LogConfig {
  /** segment.bytes: roll the active segment when the next append would take it past this size. */
  segmentBytes: number
  /** segment.ms: roll when the active segment's first batch is older than this. */
  segmentMs: number
  /** segment.jitter.ms: subtracted from segment.ms (a fixed per-log jitter, 0 by default). */
  segmentJitterMs: number
  /** segment.index.bytes: maximum size of an offset/time index; a full index rolls the segment. */
  segmentIndexBytes: number
  /** index.interval.bytes: bytes of log between two offset index entries. */
  indexIntervalBytes: number
  /** retention.ms: delete segments whose largest timestamp is older than this (-1 = keep forever). */
  retentionMs: number
  /** retention.bytes: delete the oldest segments while the log is larger than this (-1 = no limit). */
  retentionBytes: number
  /** cleanup.policy */
  cleanupPolicy: CleanupPolicy[]
  /** delete.retention.ms: how long tombstones (and txn markers) survive once cleaned. */
  deleteRetentionMs: number
  /** min.cleanable.dirty.ratio */
  minCleanableDirtyRatio: number
  /** min.compaction.lag.ms */
  minCompactionLagMs: number
  /** max.compaction.lag.ms: a log with dirty data older than this is cleaned whatever its dirty ratio. */
  maxCompactionLagMs: number
  /** max.message.bytes: the largest record batch accepted (whole batch size). */
  maxMessageBytes: number
  /** message.timestamp.type */
  messageTimestampType: TimestampTypeName
  /** message.timestamp.before.max.ms: how far in the past a CreateTime timestamp may be. */
  messageTimestampBeforeMaxMs: number
  /** message.timestamp.after.max.ms: how far in the future a CreateTime timestamp may be. */
  messageTimestampAfterMaxMs: number
  /** flush.messages: fsync after this many messages (records) since the last flush. */
  flushMessages: number
  /** flush.ms: fsync when the oldest unflushed data is this old (checked by the LogManager). */
  flushMs: number
  /** file.delete.delay.ms: how long a deleted segment's files stay (as *.deleted) for readers. */
  fileDeleteDelayMs: number
  /** producer.id.expiration.ms (a broker config in Kafka): idle producers are forgotten after this. */
  producerIdExpirationMs: number
  /**
   * Kafka before 2.5 answered UNKNOWN_PRODUCER_ID when a producer it had no state for
   * sent a sequence other than 0; current Kafka accepts any sequence then. Default false
   * (current behaviour).
   */
  rejectUnknownProducerSequence: boolean
}

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentJitterMs: 0,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  cleanupPolicy: ['delete'] as CleanupPolicy[],
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: LONG_MAX,
  maxMessageBytes: 1048588,
  messageTimestampType: 'CreateTime' as TimestampTypeName,
  messageTimestampBeforeMaxMs: LONG_MAX,
  messageTimestampAfterMaxMs: LONG_MAX,
  flushMessages: LONG_MAX,
  flushMs: LONG_MAX,
  fileDeleteDelayMs: 60000,
  producerIdExpirationMs: 24 * 60 * 60 * 1000,
  rejectUnknownProducerSequence: false,
})

/** A complete, validated LogConfig from Kafka's defaults and `overrides`. Throws RangeError for bad values. */
export function makeLogConfig(overrides: Partial<LogConfig> = {}, base: Readonly<LogConfig> = DEFAULT_LOG_CONFIG): LogConfig {
  const cfg: LogConfig = { ...base, ...stripUndefined(overrides) }
  cfg.cleanupPolicy = [...cfg.cleanupPolicy]
  const intAtLeast = (name: keyof LogConfig, min: number): void => {
    const v = cfg[name]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new RangeError(`log config ${name} must be an integer >= ${min}, got ${String(v)}`)
    }
  }
  intAtLeast('segmentBytes', 14)
  intAtLeast('segmentMs', 1)
  intAtLeast('segmentJitterMs', 0)
  intAtLeast('segmentIndexBytes', 8)
  intAtLeast('indexIntervalBytes', 0)
  intAtLeast('retentionMs', -1)
  intAtLeast('retentionBytes', -1)
  intAtLeast('deleteRetentionMs', 0)
  intAtLeast('minCompactionLagMs', 0)
  intAtLeast('maxCompactionLagMs', 1)
  intAtLeast('maxMessageBytes', 0)
  intAtLeast('messageTimestampBeforeMaxMs', 0)
  intAtLeast('messageTimestampAfterMaxMs', 0)
  intAtLeast('flushMessages', 1)
  intAtLeast('flushMs', 0)
  intAtLeast('fileDeleteDelayMs', 0)
  intAtLeast('producerIdExpirationMs', 1)
  if (!(cfg.minCleanableDirtyRatio >= 0 && cfg.minCleanableDirtyRatio <= 1)) {
    throw new RangeError(`log config minCleanableDirtyRatio must be in [0, 1], got ${cfg.minCleanableDirtyRatio}`)
  }
  if (cfg.messageTimestampType !== 'CreateTime' && cfg.messageTimestampType !== 'LogAppendTime') {
    throw new RangeError(`log config messageTimestampType must be CreateTime or LogAppendTime`)
  }
  for (const p of cfg.cleanupPolicy) {
    if (p !== 'delete' && p !== 'compact') throw new RangeError(`unknown cleanup policy ${String(p)}`)
  }
  return cfg
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v
  return out
}

export function isCompacted(cfg: LogConfig): boolean {
  return cfg.cleanupPolicy.includes('compact')
}
export function isDeletePolicy(cfg: LogConfig): boolean {
  return cfg.cleanupPolicy.includes('delete')
}

/** Where log lines go. The broker passes its own; the default is the console. */
export interface Logger {
  info(msg: string): void
  warn(msg: string): void
  error(msg: string): void
}

export const consoleLogger: Logger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} }

/** Wall-clock milliseconds; injectable so tests can move time. */
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

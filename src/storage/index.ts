// The public face of src/storage: Kafka's log layer (segments, indexes, recovery,
// retention, compaction, checkpoints). Imports nothing above it but ../wire.
export {
  DEFAULT_LOG_CONFIG,
  LONG_MAX,
  consoleLogger,
  isCompacted,
  isDeletePolicy,
  makeLogConfig,
  silentLogger,
  systemClock,
  type CleanupPolicy,
  type Clock,
  type LogConfig,
  type Logger,
  type TimestampTypeName,
} from './config.js'
export {
  EARLIEST_LOCAL_TIMESTAMP,
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  Log,
  MAX_TIMESTAMP,
  parseTopicPartitionName,
  type AppendOptions,
  type AppendResult,
  type LoadStats,
  type LogHooks,
  type LogOpenOptions,
  type ReadResult,
  type TimestampOffset,
} from './log.js'
export { LogManager, type LoadSummary, type LogManagerOptions } from './log-manager.js'
export { LogCleaner, type CleanResult, type CleanableInfo, type CleanerOptions, type CleanerStats } from './cleaner.js'
export { LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET, type EpochEndOffset } from './leader-epoch.js'
export {
  ProducerStateEntry,
  ProducerStateManager,
  decodeSnapshot,
  encodeSnapshot,
  incrementSequence,
  decrementSequence,
  type AppendOrigin,
  type BatchMetadata,
  type CompletedTxn,
  type ProducerCheckResult,
} from './producer-state.js'
export { FilePool, defaultMaxOpenFiles, type FilePoolStats } from './file-pool.js'
export { OffsetIndex, TimeIndex } from './indexes.js'
export { LogSegment, offsetFileName, offsetFromFileName, type AbortedTxn } from './segment.js'
export {
  CLEANER_OFFSET_CHECKPOINT,
  CLEAN_SHUTDOWN_FILE,
  LEADER_EPOCH_CHECKPOINT,
  LOG_START_OFFSET_CHECKPOINT,
  META_PROPERTIES,
  PARTITION_METADATA,
  RECOVERY_POINT_CHECKPOINT,
  REPLICATION_OFFSET_CHECKPOINT,
  CheckpointFormatError,
  formatLeaderEpochCheckpoint,
  formatMetaProperties,
  formatOffsetCheckpoint,
  parseLeaderEpochCheckpoint,
  parseMetaProperties,
  parseOffsetCheckpoint,
  randomKafkaUuid,
  readMetaProperties,
  readOffsetCheckpoint,
  writeMetaProperties,
  writeOffsetCheckpoint,
  type EpochEntry,
  type MetaProperties,
  type TopicPartitionOffset,
} from './checkpoint.js'
export { replayBatches, type ReplaySource } from './replay.js'

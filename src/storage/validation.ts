/**
 * The storage policy around the record-batch rules of src/wire/records: which
 * rules and limits apply depends on who appends (a client, a coordinator, the
 * replication fetcher) and a record set must fit in a segment. Every header is
 * checked before the append is queued; the CRC-32C pass runs while the write of
 * the same bytes is in flight (the segment cuts the file back if it fails, so
 * nothing becomes visible): with a core free that is measurably faster for
 * large batches. Timestamps are checked against
 * message.timestamp.{before,after}.max.ms while offsets are assigned. Errors
 * are KafkaErrors with Kafka's codes; an error about one batch carries its
 * batchIndex.
 */
import {
  ErrorCode,
  KafkaError,
  RecordBatchError,
  checkBatchCrc,
  checkBatchHeader,
  splitBatches,
  type BatchHeader,
  type BatchSlice,
  type ValidateBatchOptions,
} from '../wire/index.js'
import type { LogConfig } from './config.js'
import type { AppendOrigin } from './producer-state.js'

export interface ValidatedAppend {
  slices: BatchSlice[]
  recordCount: number
}

/** A KafkaError about one batch of a record set. */
export type BatchKafkaError = KafkaError & { batchIndex?: number }

export function batchKafkaError(code: number, message: string, batchIndex: number | undefined): BatchKafkaError {
  const err: BatchKafkaError = new KafkaError(code, message)
  if (batchIndex !== undefined) err.batchIndex = batchIndex
  return err
}

/** KafkaErrors pass; a RecordBatchError keeps its code and batch index; anything else is CORRUPT_MESSAGE. */
function toKafkaError(e: unknown, prefix: string): KafkaError {
  if (e instanceof KafkaError) return e
  if (e instanceof RecordBatchError) return batchKafkaError(e.errorCode, prefix + e.message, e.batchIndex)
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, prefix + String((e as Error)?.message ?? e))
}

/** Replicated batches are taken as the leader wrote them: no size limit, and compaction may have thinned them. */
function batchRulesFor(origin: AppendOrigin, cfg: LogConfig): ValidateBatchOptions {
  return {
    maxBatchBytes: origin === 'replication' ? Number.MAX_SAFE_INTEGER : cfg.maxMessageBytes,
    fromClient: origin === 'client',
    strictCounts: origin !== 'replication',
  }
}

/** Splits `records` into batches and checks every header (not the CRCs: see checkAppendCrcs). */
export function validateAppend(records: Buffer, origin: AppendOrigin, cfg: LogConfig, logName: string): ValidatedAppend {
  let slices: BatchSlice[]
  try {
    slices = splitBatches(records)
  } catch (e) {
    throw toKafkaError(e, `${logName}: `)
  }
  if (records.length > cfg.segmentBytes) {
    throw new KafkaError(
      ErrorCode.RECORD_LIST_TOO_LARGE,
      `Message batch size is ${records.length} bytes in append to partition ${logName} which exceeds the maximum configured segment size of ${cfg.segmentBytes}.`,
    )
  }
  const rules = batchRulesFor(origin, cfg)
  let recordCount = 0
  try {
    for (let i = 0; i < slices.length; i++) {
      checkBatchHeader(records, slices[i]!, rules, i)
      recordCount += slices[i]!.header.recordCount
    }
  } catch (e) {
    throw toKafkaError(e, '')
  }
  return { slices, recordCount }
}

/** The CRC-32C of every batch; throws CORRUPT_MESSAGE (with batchIndex) at the first mismatch. */
export function checkAppendCrcs(records: Buffer, slices: readonly BatchSlice[]): void {
  try {
    for (let i = 0; i < slices.length; i++) checkBatchCrc(records, slices[i]!, i)
  } catch (e) {
    throw toKafkaError(e, '')
  }
}

/**
 * A CreateTime data batch the leader numbers must be stamped within message.timestamp.after.max.ms
 * ahead of and message.timestamp.before.max.ms behind the broker's clock
 * (INVALID_TIMESTAMP otherwise).
 */
export function checkBatchTimestamps(h: BatchHeader, batchIndex: number, now: number, cfg: LogConfig, logName: string): void {
  if (h.maxTimestamp > now + cfg.messageTimestampAfterMaxMs || (h.baseTimestamp >= 0 && h.baseTimestamp < now - cfg.messageTimestampBeforeMaxMs)) {
    throw batchKafkaError(
      ErrorCode.INVALID_TIMESTAMP,
      `${logName}: batch ${batchIndex} has a timestamp out of range (base ${h.baseTimestamp}, max ${h.maxTimestamp}, now ${now})`,
      batchIndex,
    )
  }
}

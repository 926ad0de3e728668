/**
 * The checks a broker makes on a record batch before it assigns offsets and
 * appends the bytes as they are (produced by a client or a coordinator, or
 * fetched from a leader). Two steps, so a caller can check every header of a
 * record set before it spends a CRC pass on any batch:
 *   checkBatchHeader  everything the 61-byte header can tell;
 *   checkBatchCrc     the CRC-32C over attributes..end.
 * validateBatchForAppend runs both on one batch.
 *
 * Each throws RecordBatchError with the Kafka error code, and with batchIndex
 * (also named in the message) when the caller says which batch of the set it is:
 *   UNSUPPORTED_FOR_MESSAGE_FORMAT (43) for magic 0/1;
 *   CORRUPT_MESSAGE (2) for other magics, bad lengths, bad CRC, unknown codec;
 *   MESSAGE_TOO_LARGE (10) when the batch is larger than maxBatchBytes;
 *   INVALID_RECORD (87) when recordCount != lastOffsetDelta + 1 (or either is
 *   impossible), for a transactional batch without a producer id, and for the
 *   rules that apply to batches from clients.
 */
import {
  BATCH_HEADER_SIZE,
  BATCH_MAGIC,
  BATCH_PREFIX_SIZE,
  BatchAttribute,
  BatchField,
  MIN_BATCH_LENGTH,
  computeBatchCrc,
  formatCrc,
  type BatchSlice,
} from './batch.js'
import { RecordBatchError, RecordErrorCode } from './errors.js'

export interface ValidateBatchOptions {
  /** Largest batch accepted (Kafka's max.message.bytes, compared to the whole batch size). */
  maxBatchBytes: number
  /**
   * Also apply the rules for batches coming from clients: no control batches, and
   * a batch with a producer id needs a baseSequence >= 0. Default false.
   */
  fromClient?: boolean
  /**
   * recordCount must be lastOffsetDelta + 1 and fit the bytes. Default true; off
   * for replicated batches, which compaction may have left with fewer records.
   */
  strictCounts?: boolean
}

/** Smallest possible record: length, attributes, timestampDelta, offsetDelta, key, value, header count. */
const MIN_RECORD_SIZE = 7
/** The highest compression codec id (zstd). */
const MAX_CODEC = 4

const CORRUPT = RecordErrorCode.CorruptMessage
const INVALID = RecordErrorCode.InvalidRecord

/** Throws the refusal (a module-level function: a closure per call costs more than the checks). */
function fail(code: number, message: string, batchIndex: number | undefined): never {
  throw new RecordBatchError(message, code, batchIndex)
}

/** " 3" for batch 3 of a set, "" when the caller did not say. */
function ordinal(batchIndex: number | undefined): string {
  return batchIndex === undefined ? '' : ` ${batchIndex}`
}

/** Every check but the CRC. `batchIndex` is the batch's place in its record set, for the error. */
export function checkBatchHeader(buf: Buffer, slice: BatchSlice, opts: ValidateBatchOptions, batchIndex?: number): void {
  const { pos, size, header: h } = slice
  const n = ordinal(batchIndex)
  if (h.magic === 0 || h.magic === 1) {
    fail(RecordErrorCode.UnsupportedForMessageFormat, `v${h.magic} message sets are not supported; producers must send v2 record batches`, batchIndex)
  }
  if (h.magic !== BATCH_MAGIC) fail(CORRUPT, `record batch${n} has unknown magic ${h.magic}`, batchIndex)
  if (h.batchLength < MIN_BATCH_LENGTH || size !== BATCH_PREFIX_SIZE + h.batchLength) {
    fail(CORRUPT, `record batch${n} has an invalid batchLength ${h.batchLength}`, batchIndex)
  }
  if (pos < 0 || pos + size > buf.length) fail(CORRUPT, `record batch${n} at ${pos} (${size} bytes) runs past the end of the data`, batchIndex)
  if (size > opts.maxBatchBytes) {
    fail(RecordErrorCode.MessageTooLarge, `record batch${n} is ${size} bytes, larger than the maximum ${opts.maxBatchBytes}`, batchIndex)
  }
  const codec = h.attributes & BatchAttribute.CompressionMask
  if (codec > MAX_CODEC) fail(CORRUPT, `record batch${n} uses unknown compression codec ${codec}`, batchIndex)
  if (h.lastOffsetDelta < 0) fail(INVALID, `record batch${n} has a negative lastOffsetDelta ${h.lastOffsetDelta}`, batchIndex)
  if (opts.strictCounts ?? true) {
    const count = h.recordCount
    if (count <= 0) fail(INVALID, `record batch${n} has an invalid record count ${count}`, batchIndex)
    if (count !== h.lastOffsetDelta + 1) fail(INVALID, `record batch${n} has ${count} records but lastOffsetDelta ${h.lastOffsetDelta}`, batchIndex)
    if (codec === 0 && size - BATCH_HEADER_SIZE < count * MIN_RECORD_SIZE) {
      fail(INVALID, `uncompressed record batch${n} claims ${count} records in ${size - BATCH_HEADER_SIZE} bytes`, batchIndex)
    }
  } else if (h.recordCount < 0) {
    fail(CORRUPT, `record batch${n} has a negative record count`, batchIndex)
  }
  if (opts.fromClient) {
    if (h.attributes & BatchAttribute.Control) fail(INVALID, 'clients may not write control batches', batchIndex)
    if (h.producerId >= 0 && h.baseSequence < 0) {
      fail(INVALID, `record batch${n} has producerId ${h.producerId} but invalid baseSequence ${h.baseSequence}`, batchIndex)
    }
  }
  if ((h.attributes & BatchAttribute.Transactional) !== 0 && h.producerId < 0) fail(INVALID, `transactional batch${n} has no producer id`, batchIndex)
}

/** The stored CRC-32C of the batch must match its bytes (CORRUPT_MESSAGE otherwise). */
export function checkBatchCrc(buf: Buffer, slice: BatchSlice, batchIndex?: number): void {
  const stored = buf.readUInt32BE(slice.pos + BatchField.Crc)
  const computed = computeBatchCrc(buf, slice.pos, slice.size)
  if (stored !== computed) {
    throw new RecordBatchError(
      `record batch${ordinal(batchIndex)} CRC mismatch: stored ${formatCrc(stored)}, computed ${formatCrc(computed)}`,
      CORRUPT,
      batchIndex,
    )
  }
}

/** Both checks on one batch: the header first, then the CRC. */
export function validateBatchForAppend(buf: Buffer, slice: BatchSlice, opts: ValidateBatchOptions, batchIndex?: number): void {
  checkBatchHeader(buf, slice, opts, batchIndex)
  checkBatchCrc(buf, slice, batchIndex)
}

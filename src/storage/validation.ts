/**
 * Checks on produced/replicated batches before they are appended, split in two:
 * the header checks (cheap, before offsets are assigned) and the CRC-32C checks,
 * which the log runs while the write of the same bytes is in flight so the
 * checksum pass overlaps the I/O (a failure cuts the file back before anything
 * becomes visible). The rules and error codes are those of the wire module's
 * validateBatchForAppend.
 */
import { BATCH_HEADER_SIZE, BatchField, ErrorCode, KafkaError, computeBatchCrc, type BatchSlice } from '../wire/index.js'

const MIN_RECORD_SIZE = 7

export interface StructureOptions {
  maxBatchBytes: number
  /** Client rules: no control batches; a producer id needs a sequence. */
  fromClient: boolean
  /** recordCount must equal lastOffsetDelta + 1 (not for replicated batches, which may be compacted). */
  strictCounts: boolean
}

function fail(code: number, msg: string, batchIndex: number): never {
  const err = new KafkaError(code, msg) as KafkaError & { batchIndex?: number }
  err.batchIndex = batchIndex
  throw err
}

/** Header checks of one batch (everything but the CRC). Throws KafkaError carrying batchIndex. */
export function checkBatchStructure(buf: Buffer, s: BatchSlice, i: number, o: StructureOptions): void {
  const h = s.header
  if (h.magic === 0 || h.magic === 1) {
    fail(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `v${h.magic} message sets are not supported; producers must send v2 record batches`, i)
  }
  if (h.magic !== 2) fail(ErrorCode.CORRUPT_MESSAGE, `record batch ${i} has unknown magic ${h.magic}`, i)
  if (h.batchLength < BATCH_HEADER_SIZE - 12 || s.size !== 12 + h.batchLength || s.pos + s.size > buf.length) {
    fail(ErrorCode.CORRUPT_MESSAGE, `record batch ${i} has an invalid batchLength ${h.batchLength}`, i)
  }
  if (s.size > o.maxBatchBytes) {
    fail(ErrorCode.MESSAGE_TOO_LARGE, `record batch ${i} is ${s.size} bytes, larger than the maximum ${o.maxBatchBytes}`, i)
  }
  const codec = h.attributes & 0x07
  if (codec > 4) fail(ErrorCode.CORRUPT_MESSAGE, `record batch ${i} uses unknown compression codec ${codec}`, i)
  if (h.lastOffsetDelta < 0) fail(ErrorCode.INVALID_RECORD, `record batch ${i} has a negative lastOffsetDelta ${h.lastOffsetDelta}`, i)
  if (o.strictCounts) {
    if (h.recordCount <= 0) fail(ErrorCode.INVALID_RECORD, `record batch ${i} has an invalid record count ${h.recordCount}`, i)
    if (h.recordCount !== h.lastOffsetDelta + 1) {
      fail(ErrorCode.INVALID_RECORD, `record batch ${i} has ${h.recordCount} records but lastOffsetDelta ${h.lastOffsetDelta}`, i)
    }
    if (codec === 0 && s.size - BATCH_HEADER_SIZE < h.recordCount * MIN_RECORD_SIZE) {
      fail(ErrorCode.INVALID_RECORD, `uncompressed record batch ${i} claims ${h.recordCount} records in ${s.size - BATCH_HEADER_SIZE} bytes`, i)
    }
  } else if (h.recordCount < 0) {
    fail(ErrorCode.CORRUPT_MESSAGE, `record batch ${i} has a negative record count`, i)
  }
  if (o.fromClient) {
    if (h.attributes & 0x20) fail(ErrorCode.INVALID_RECORD, 'clients may not write control batches', i)
    if (h.producerId >= 0 && h.baseSequence < 0) {
      fail(ErrorCode.INVALID_RECORD, `record batch ${i} has producerId ${h.producerId} but invalid baseSequence ${h.baseSequence}`, i)
    }
  }
  if ((h.attributes & 0x10) !== 0 && h.producerId < 0) fail(ErrorCode.INVALID_RECORD, `transactional batch ${i} has no producer id`, i)
}

/** CRC-32C of every batch; throws CORRUPT_MESSAGE (with batchIndex) at the first mismatch. */
export function checkBatchCrcs(buf: Buffer, slices: readonly BatchSlice[]): void {
  for (let i = 0; i < slices.length; i++) {
    const s = slices[i]!
    const stored = buf.readUInt32BE(s.pos + BatchField.Crc)
    const computed = computeBatchCrc(buf, s.pos, s.size)
    if (stored !== computed) {
      fail(
        ErrorCode.CORRUPT_MESSAGE,
        `record batch ${i} CRC mismatch: stored 0x${stored.toString(16).padStart(8, '0')}, computed 0x${computed.toString(16).padStart(8, '0')}`,
        i,
      )
    }
  }
}

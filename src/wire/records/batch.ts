/**
 * Record batch v2 headers: reading, CRC, in-place edits, splitting a records
 * blob into batches (strict for produce, lenient for recovery). The checks a
 * broker makes before appending a batch are in batch-validation.ts. Nothing here
 * decodes records.
 *
 * Layout (61 bytes, offsets from the batch start):
 *   0 baseOffset int64 | 8 batchLength int32 | 12 partitionLeaderEpoch int32 | 16 magic int8
 *   17 crc uint32 | 21 attributes int16 | 23 lastOffsetDelta int32 | 27 baseTimestamp int64
 *   35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16 | 53 baseSequence int32
 *   57 recordCount int32 | 61 records…
 * The CRC-32C covers bytes 21 to the end of the batch.
 */
import { crc32c } from './crc.js'
import { RecordBatchError, RecordErrorCode } from './errors.js'

export const BATCH_HEADER_SIZE = 61
/** baseOffset + batchLength: the bytes before what batchLength counts (Kafka's LOG_OVERHEAD). */
export const BATCH_PREFIX_SIZE = 12
/** The smallest legal batchLength (a header with no records). */
export const MIN_BATCH_LENGTH = BATCH_HEADER_SIZE - BATCH_PREFIX_SIZE
export const BATCH_MAGIC = 2

/** Byte offsets of the header fields, relative to the start of a batch. */
export const BatchField = {
  BaseOffset: 0,
  BatchLength: 8,
  PartitionLeaderEpoch: 12,
  Magic: 16,
  Crc: 17,
  Attributes: 21,
  LastOffsetDelta: 23,
  BaseTimestamp: 27,
  MaxTimestamp: 35,
  ProducerId: 43,
  ProducerEpoch: 51,
  BaseSequence: 53,
  RecordCount: 57,
} as const

export const TimestampType = {
  CreateTime: 0,
  LogAppendTime: 1,
} as const
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType]

/** Attribute bits. */
export const BatchAttribute = {
  CompressionMask: 0x07,
  TimestampType: 0x08,
  Transactional: 0x10,
  Control: 0x20,
  DeleteHorizon: 0x40,
} as const

export interface BatchHeader {
  baseOffset: number
  batchLength: number
  partitionLeaderEpoch: number
  magic: number
  crc: number
  attributes: number
  lastOffsetDelta: number
  baseTimestamp: number
  maxTimestamp: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  recordCount: number
}

export interface BatchSlice {
  pos: number
  size: number
  header: BatchHeader
}

const TWO_32 = 4294967296
const CORRUPT = RecordErrorCode.CorruptMessage

function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4)
}

/** Writes an integer number (|v| <= 2^53) as a big-endian int64, without BigInt. */
export function writeInt64Number(buf: Buffer, pos: number, value: number): void {
  const hi = Math.floor(value / TWO_32)
  buf.writeInt32BE(hi, pos)
  buf.writeUInt32BE(value - hi * TWO_32, pos + 4)
}

/** Reads a big-endian int64 as a number (hi * 2^32 + lo). */
export function readInt64Number(buf: Buffer, pos: number): number {
  return readInt64(buf, pos)
}

export function batchCompression(attributes: number): number {
  return attributes & BatchAttribute.CompressionMask
}
export function batchTimestampType(attributes: number): TimestampType {
  return attributes & BatchAttribute.TimestampType ? TimestampType.LogAppendTime : TimestampType.CreateTime
}
export function isTransactional(attributes: number): boolean {
  return (attributes & BatchAttribute.Transactional) !== 0
}
export function isControlBatch(attributes: number): boolean {
  return (attributes & BatchAttribute.Control) !== 0
}
export function hasDeleteHorizon(attributes: number): boolean {
  return (attributes & BatchAttribute.DeleteHorizon) !== 0
}

/** Reads the 61-byte v2 header at `pos`; does not look at magic or CRC. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  if (pos < 0 || buf.length - pos < BATCH_HEADER_SIZE) {
    throw new RecordBatchError(
      `record batch header needs ${BATCH_HEADER_SIZE} bytes at ${pos}, have ${Math.max(0, buf.length - pos)}`,
      CORRUPT,
    )
  }
  return {
    baseOffset: readInt64(buf, pos),
    batchLength: buf.readInt32BE(pos + 8),
    partitionLeaderEpoch: buf.readInt32BE(pos + 12),
    magic: buf.readInt8(pos + 16),
    crc: buf.readUInt32BE(pos + 17),
    attributes: buf.readInt16BE(pos + 21),
    lastOffsetDelta: buf.readInt32BE(pos + 23),
    baseTimestamp: readInt64(buf, pos + 27),
    maxTimestamp: readInt64(buf, pos + 35),
    producerId: readInt64(buf, pos + 43),
    producerEpoch: buf.readInt16BE(pos + 51),
    baseSequence: buf.readInt32BE(pos + 53),
    recordCount: buf.readInt32BE(pos + 57),
  }
}

/**
 * 12 + batchLength for the batch (or legacy message) at `pos`, or -1 when fewer
 * than 12 bytes are available. The result is not validated (it can be < 61).
 */
export function batchSizeAt(buf: Buffer, pos: number): number {
  if (buf.length - pos < BATCH_PREFIX_SIZE) return -1
  return BATCH_PREFIX_SIZE + buf.readInt32BE(pos + 8)
}

/** CRC-32C over attributes..end of the `size`-byte batch at `pos`. */
export function computeBatchCrc(buf: Buffer, pos: number, size: number): number {
  return crc32c(buf.subarray(pos + BatchField.Attributes, pos + size))
}

/** True when the batch at `pos` is complete, at least a header long and its stored CRC matches. */
export function verifyBatchCrc(buf: Buffer, pos = 0): boolean {
  const size = batchSizeAt(buf, pos)
  if (size < BATCH_HEADER_SIZE || pos + size > buf.length) return false
  return buf.readUInt32BE(pos + BatchField.Crc) === computeBatchCrc(buf, pos, size)
}

/** A CRC as error messages show it: 0x and eight hex digits. */
export function formatCrc(crc: number): string {
  return `0x${crc.toString(16).padStart(8, '0')}`
}

/** Recomputes and stores the CRC of the batch at `pos`; returns it. */
export function updateBatchCrc(buf: Buffer, pos = 0): number {
  const size = batchSizeAt(buf, pos)
  if (size < BATCH_HEADER_SIZE || pos + size > buf.length) {
    throw new RecordBatchError(`no complete record batch at ${pos}`, CORRUPT)
  }
  const crc = computeBatchCrc(buf, pos, size)
  buf.writeUInt32BE(crc, pos + BatchField.Crc)
  return crc
}

/** Rewrites baseOffset in place (not covered by the CRC). */
export function setBaseOffset(buf: Buffer, pos: number, baseOffset: number): void {
  writeInt64Number(buf, pos + BatchField.BaseOffset, baseOffset)
}

/** Rewrites partitionLeaderEpoch in place (not covered by the CRC). */
export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + BatchField.PartitionLeaderEpoch)
}

/**
 * Stamps LogAppendTime: sets the timestamp-type bit, writes `timestamp` as
 * maxTimestamp (what readers report for every record) and recomputes the CRC.
 */
export function setLogAppendTime(buf: Buffer, pos: number, timestamp: number): void {
  const size = batchSizeAt(buf, pos)
  if (size < BATCH_HEADER_SIZE || pos + size > buf.length) {
    throw new RecordBatchError(`no complete record batch at ${pos}`, CORRUPT)
  }
  const attributes = buf.readInt16BE(pos + BatchField.Attributes)
  buf.writeInt16BE(attributes | BatchAttribute.TimestampType, pos + BatchField.Attributes)
  writeInt64Number(buf, pos + BatchField.MaxTimestamp, timestamp)
  buf.writeUInt32BE(computeBatchCrc(buf, pos, size), pos + BatchField.Crc)
}

/** Legacy (v0/v1) message overhead after the 12-byte prefix: crc, magic, attributes, key and value lengths. */
const LEGACY_MIN_SIZE = [14, 22] as const

/**
 * A header for a legacy v0/v1 message so splitBatches can hand it on (to be
 * refused with UNSUPPORTED_FOR_MESSAGE_FORMAT). Only baseOffset, batchLength,
 * magic, crc and attributes are real; the rest are "no value" placeholders.
 */
function legacyHeader(buf: Buffer, pos: number): BatchHeader {
  const magic = buf[pos + 16]!
  return {
    baseOffset: readInt64(buf, pos),
    batchLength: buf.readInt32BE(pos + 8),
    partitionLeaderEpoch: -1,
    magic,
    crc: buf.readUInt32BE(pos + 12),
    attributes: buf[pos + 17]!,
    lastOffsetDelta: 0,
    baseTimestamp: magic === 1 ? readInt64(buf, pos + 18) : -1,
    maxTimestamp: magic === 1 ? readInt64(buf, pos + 18) : -1,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    recordCount: 1,
  }
}

/**
 * Splits a produce request's records into batches. Strict: a short or garbage
 * tail, a length below the minimum or an unknown magic throws RecordBatchError
 * (CORRUPT_MESSAGE). Legacy v0/v1 messages are returned as slices (with
 * placeholder header fields) so checkBatchHeader can refuse them with the
 * right code. The CRC is not checked here.
 */
export function splitBatches(records: Buffer): BatchSlice[] {
  const out: BatchSlice[] = []
  const len = records.length
  let pos = 0
  while (pos < len) {
    const remaining = len - pos
    if (remaining < 17) {
      throw new RecordBatchError(`${remaining} trailing bytes at ${pos} are not a record batch`, CORRUPT)
    }
    const batchLength = records.readInt32BE(pos + 8)
    const magic = records.readInt8(pos + 16)
    let header: BatchHeader
    if (magic === BATCH_MAGIC) {
      if (batchLength < MIN_BATCH_LENGTH) {
        throw new RecordBatchError(`record batch at ${pos} has batchLength ${batchLength}, below ${MIN_BATCH_LENGTH}`, CORRUPT)
      }
      if (batchLength > remaining - BATCH_PREFIX_SIZE) {
        throw new RecordBatchError(
          `record batch at ${pos} is truncated: batchLength ${batchLength}, only ${remaining - BATCH_PREFIX_SIZE} bytes follow`,
          CORRUPT,
        )
      }
      header = readBatchHeader(records, pos)
    } else if (magic === 0 || magic === 1) {
      const min = LEGACY_MIN_SIZE[magic]
      if (batchLength < min) {
        throw new RecordBatchError(`v${magic} message at ${pos} has size ${batchLength}, below ${min}`, CORRUPT)
      }
      if (batchLength > remaining - BATCH_PREFIX_SIZE) {
        throw new RecordBatchError(
          `v${magic} message at ${pos} is truncated: size ${batchLength}, only ${remaining - BATCH_PREFIX_SIZE} bytes follow`,
          CORRUPT,
        )
      }
      header = legacyHeader(records, pos)
    } else {
      throw new RecordBatchError(`record batch at ${pos} has unknown magic ${magic}`, CORRUPT)
    }
    const size = BATCH_PREFIX_SIZE + batchLength
    out.push({ pos, size, header })
    pos += size
  }
  return out
}

/** Why scanBatches stopped early. */
export type ScanStopCode = 'zero-tail' | 'short-tail' | 'bad-length' | 'bad-magic' | 'bad-crc'

export interface ScanResult {
  batches: BatchSlice[]
  /** Bytes from the start covered by the good batches (where a log should be truncated). */
  validBytes: number
  /** Human-readable reason when the scan stopped before the end of `buf`. */
  stopReason?: string
  /** Machine-readable form of stopReason. */
  stopCode?: ScanStopCode
}

function zeroFilled(buf: Buffer, pos: number, end: number): boolean {
  for (let i = pos; i < end; i++) if (buf[i] !== 0) return false
  return true
}

/**
 * Walks v2 batches from the start of `buf` (e.g. a segment file during recovery)
 * and stops at the first thing that is not a complete, CRC-valid v2 batch,
 * saying why. Never throws for bad data. `maxBatchBytes`, when given, makes a
 * larger batch a 'bad-length' stop.
 */
export function scanBatches(buf: Buffer, opts: { maxBatchBytes?: number } = {}): ScanResult {
  const batches: BatchSlice[] = []
  const len = buf.length
  const max = opts.maxBatchBytes
  let pos = 0
  const stop = (stopCode: ScanStopCode, stopReason: string): ScanResult => ({ batches, validBytes: pos, stopReason, stopCode })
  while (pos < len) {
    const remaining = len - pos
    if (zeroFilled(buf, pos, Math.min(len, pos + BATCH_HEADER_SIZE))) {
      return stop('zero-tail', `zero-filled bytes at ${pos} (${remaining} bytes to the end)`)
    }
    if (remaining < BATCH_HEADER_SIZE) {
      return stop('short-tail', `${remaining} bytes at ${pos} are too few for a batch header`)
    }
    const magic = buf.readInt8(pos + BatchField.Magic)
    if (magic !== BATCH_MAGIC) return stop('bad-magic', `batch at ${pos} has magic ${magic}, expected ${BATCH_MAGIC}`)
    const batchLength = buf.readInt32BE(pos + BatchField.BatchLength)
    if (batchLength < MIN_BATCH_LENGTH) {
      return stop('bad-length', `batch at ${pos} has batchLength ${batchLength}, below ${MIN_BATCH_LENGTH}`)
    }
    const size = BATCH_PREFIX_SIZE + batchLength
    if (max !== undefined && size > max) {
      return stop('bad-length', `batch at ${pos} is ${size} bytes, above the maximum ${max}`)
    }
    if (size > remaining) {
      return stop('short-tail', `batch at ${pos} needs ${size} bytes, only ${remaining} remain`)
    }
    const stored = buf.readUInt32BE(pos + BatchField.Crc)
    const computed = computeBatchCrc(buf, pos, size)
    if (stored !== computed) return stop('bad-crc', `batch at ${pos} has CRC ${formatCrc(stored)}, computed ${formatCrc(computed)}`)
    batches.push({ pos, size, header: readBatchHeader(buf, pos) })
    pos += size
  }
  return { batches, validBytes: pos }
}

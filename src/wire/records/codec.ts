/**
 * Per-record encoding and decoding of v2 record batches. Not for the produce hot
 * path (which keeps batches as bytes): used by compaction, log-append time,
 * internal topics, tools and tests.
 */
import {
  BATCH_HEADER_SIZE,
  BATCH_MAGIC,
  BATCH_PREFIX_SIZE,
  BatchAttribute,
  BatchField,
  MIN_BATCH_LENGTH,
  TimestampType,
  computeBatchCrc,
  readBatchHeader,
  writeInt64Number,
  type BatchHeader,
  type BatchSlice,
} from './batch.js'
import { Compression, compress, compressSync, decompress, decompressSync } from './compression.js'
import { RecordBatchError, RecordErrorCode } from './errors.js'
import {
  RecordsCursor,
  sizeOfZigzagVarint,
  sizeOfZigzagVarlong,
  writeZigzagVarint,
  writeZigzagVarlong,
} from './varint.js'

export interface RecordHeader {
  key: string
  value: Buffer | null
}

export interface Record {
  attributes: number
  timestampDelta: number
  offsetDelta: number
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
  /** baseOffset + offsetDelta. */
  offset: number
  /** baseTimestamp + timestampDelta, or the batch's maxTimestamp under LogAppendTime. */
  timestamp: number
}

export interface DecodeRecordsOptions {
  /**
   * Let keys/values of an uncompressed batch be views of the input buffer
   * instead of a private copy of the records section. Only safe when the caller
   * never reuses or changes that buffer. Default false.
   */
  zeroCopy?: boolean
}

const INVALID = RecordErrorCode.InvalidRecord
const CORRUPT = RecordErrorCode.CorruptMessage

/** The slice of the v2 batch at `pos`, checked for magic and completeness (not CRC). */
export function batchSliceAt(buf: Buffer, pos = 0): BatchSlice {
  const header = readBatchHeader(buf, pos)
  if (header.magic !== BATCH_MAGIC) {
    throw new RecordBatchError(
      `batch at ${pos} has magic ${header.magic}; only v2 batches decode here (see decodeLegacyMessageSet)`,
      header.magic === 0 || header.magic === 1 ? RecordErrorCode.UnsupportedForMessageFormat : CORRUPT,
    )
  }
  if (header.batchLength < MIN_BATCH_LENGTH) {
    throw new RecordBatchError(`batch at ${pos} has batchLength ${header.batchLength}`, CORRUPT)
  }
  const size = BATCH_PREFIX_SIZE + header.batchLength
  if (pos + size > buf.length) {
    throw new RecordBatchError(`batch at ${pos} needs ${size} bytes, only ${buf.length - pos} remain`, CORRUPT)
  }
  return { pos, size, header }
}

/**
 * Decodes the records of an uncompressed records section (`body`, the bytes
 * after the header, already decompressed) against `header`. Keys and values
 * are views of `body`.
 */
export function decodeRecordsSection(body: Buffer, header: BatchHeader): Record[] {
  const count = header.recordCount
  if (count < 0) throw new RecordBatchError(`batch has a negative record count ${count}`, INVALID)
  const logAppend = (header.attributes & BatchAttribute.TimestampType) !== 0
  const { baseOffset, baseTimestamp, maxTimestamp } = header
  const c = new RecordsCursor(body)
  const records: Record[] = []
  for (let i = 0; i < count; i++) {
    const length = c.varint()
    const start = c.pos
    if (length < 0 || length > c.remaining) {
      throw new RecordBatchError(`record ${i} has length ${length}, ${c.remaining} bytes remain`, INVALID)
    }
    c.end = start + length
    const attributes = c.int8()
    const timestampDelta = c.varlong()
    const offsetDelta = c.varint()
    const key = c.varintBytes()
    const value = c.varintBytes()
    const headerCount = c.varint()
    if (headerCount < 0) throw new RecordBatchError(`record ${i} has a header count of ${headerCount}`, INVALID)
    const headers: RecordHeader[] = []
    for (let h = 0; h < headerCount; h++) {
      const hk = c.varintBytes()
      if (hk === null) throw new RecordBatchError(`record ${i} has a null header key`, INVALID)
      headers.push({ key: hk.toString('utf8'), value: c.varintBytes() })
    }
    if (c.pos !== c.end) {
      throw new RecordBatchError(`record ${i} declares ${length} bytes but its fields use ${c.pos - start}`, INVALID)
    }
    c.end = body.length
    records.push({
      attributes,
      timestampDelta,
      offsetDelta,
      key,
      value,
      headers,
      offset: baseOffset + offsetDelta,
      timestamp: logAppend ? maxTimestamp : baseTimestamp + timestampDelta,
    })
  }
  if (c.pos !== body.length) {
    throw new RecordBatchError(`${body.length - c.pos} bytes follow the last of ${count} records`, INVALID)
  }
  return records
}

function recordsSection(buf: Buffer, s: BatchSlice): Buffer {
  return buf.subarray(s.pos + BATCH_HEADER_SIZE, s.pos + s.size)
}

/**
 * Decodes every record of the v2 batch `slice` (default: the batch at the start
 * of `buf`), decompressing as needed. Does not check the CRC (verifyBatchCrc
 * does). The returned keys/values never alias `buf` unless `zeroCopy` is set.
 */
export async function decodeBatchRecords(
  buf: Buffer,
  slice?: BatchSlice,
  opts: DecodeRecordsOptions = {},
): Promise<Record[]> {
  const s = slice ?? batchSliceAt(buf, 0)
  const codec = s.header.attributes & BatchAttribute.CompressionMask
  const section = recordsSection(buf, s)
  const body =
    codec === Compression.None ? (opts.zeroCopy ? section : Buffer.from(section)) : await decompress(codec, section)
  return decodeRecordsSection(body, s.header)
}

/** Synchronous {@link decodeBatchRecords}; throws for zstd batches. */
export function decodeBatchRecordsSync(buf: Buffer, slice?: BatchSlice, opts: DecodeRecordsOptions = {}): Record[] {
  const s = slice ?? batchSliceAt(buf, 0)
  const codec = s.header.attributes & BatchAttribute.CompressionMask
  const section = recordsSection(buf, s)
  const body =
    codec === Compression.None ? (opts.zeroCopy ? section : Buffer.from(section)) : decompressSync(codec, section)
  return decodeRecordsSection(body, s.header)
}

export interface BuildRecord {
  key?: Buffer | null
  value?: Buffer | null
  headers?: RecordHeader[]
  /** Defaults to the batch's baseTimestamp. */
  timestamp?: number
  /** Defaults to the record's index. */
  offsetDelta?: number
}

export interface BuildBatchOptions {
  baseOffset?: number
  /** Default -1 (what clients send). */
  partitionLeaderEpoch?: number
  /** Default: the first record's timestamp, else Date.now() (or -1 for an empty batch). */
  baseTimestamp?: number
  compression?: number
  timestampType?: number
  /** Default -1. */
  producerId?: number
  /** Default -1. */
  producerEpoch?: number
  /** Default -1. */
  baseSequence?: number
  transactional?: boolean
  control?: boolean
  /** Sets the delete-horizon attribute bit (compaction; baseTimestamp is then the horizon). */
  deleteHorizon?: boolean
  /** Default: the largest record timestamp (baseTimestamp for an empty batch). */
  maxTimestamp?: number
  /** Default: the last record's offsetDelta (0 for an empty batch). */
  lastOffsetDelta?: number
  /** gzip/zstd compression level. */
  compressionLevel?: number
  records: BuildRecord[]
}

interface Plan {
  baseTimestamp: number
  maxTimestamp: number
  lastOffsetDelta: number
  attributes: number
  sectionSize: number
  sizes: number[]
}

function bytesSize(b: Buffer | null | undefined): number {
  return b == null ? 1 : sizeOfZigzagVarint(b.length) + b.length
}

function plan(opts: BuildBatchOptions): Plan {
  const records = opts.records
  const n = records.length
  const first = n > 0 ? records[0]!.timestamp : undefined
  const baseTimestamp = opts.baseTimestamp ?? first ?? (n > 0 ? Date.now() : -1)
  let maxTimestamp = n > 0 ? -Infinity : baseTimestamp
  let sectionSize = 0
  const sizes: number[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const r = records[i]!
    const ts = r.timestamp ?? baseTimestamp
    if (ts > maxTimestamp) maxTimestamp = ts
    const headers = r.headers ?? []
    let size =
      1 + sizeOfZigzagVarlong(ts - baseTimestamp) + sizeOfZigzagVarint(r.offsetDelta ?? i) + bytesSize(r.key) + bytesSize(r.value)
    size += sizeOfZigzagVarint(headers.length)
    for (const h of headers) {
      const kl = Buffer.byteLength(h.key, 'utf8')
      size += sizeOfZigzagVarint(kl) + kl + bytesSize(h.value)
    }
    sizes[i] = size
    sectionSize += sizeOfZigzagVarint(size) + size
  }
  let attributes = opts.compression ?? Compression.None
  if (attributes < 0 || attributes > 4) throw new RangeError(`unknown compression codec ${attributes}`)
  if (opts.timestampType === TimestampType.LogAppendTime) attributes |= BatchAttribute.TimestampType
  if (opts.transactional) attributes |= BatchAttribute.Transactional
  if (opts.control) attributes |= BatchAttribute.Control
  if (opts.deleteHorizon) attributes |= BatchAttribute.DeleteHorizon
  const last = n > 0 ? records[n - 1]!.offsetDelta ?? n - 1 : 0
  return {
    baseTimestamp,
    maxTimestamp: opts.maxTimestamp ?? maxTimestamp,
    lastOffsetDelta: opts.lastOffsetDelta ?? last,
    attributes,
    sectionSize,
    sizes,
  }
}

function writeBytes(buf: Buffer, pos: number, b: Buffer | null | undefined): number {
  if (b == null) return writeZigzagVarint(buf, pos, -1)
  pos = writeZigzagVarint(buf, pos, b.length)
  buf.set(b, pos)
  return pos + b.length
}

function writeSection(opts: BuildBatchOptions, p: Plan, buf: Buffer, pos: number): void {
  const records = opts.records
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!
    pos = writeZigzagVarint(buf, pos, p.sizes[i]!)
    buf[pos++] = 0
    pos = writeZigzagVarlong(buf, pos, (r.timestamp ?? p.baseTimestamp) - p.baseTimestamp)
    pos = writeZigzagVarint(buf, pos, r.offsetDelta ?? i)
    pos = writeBytes(buf, pos, r.key)
    pos = writeBytes(buf, pos, r.value)
    const headers = r.headers ?? []
    pos = writeZigzagVarint(buf, pos, headers.length)
    for (const h of headers) {
      const kl = Buffer.byteLength(h.key, 'utf8')
      pos = writeZigzagVarint(buf, pos, kl)
      pos += buf.write(h.key, pos, kl, 'utf8')
      pos = writeBytes(buf, pos, h.value)
    }
  }
}

function writeHeader(opts: BuildBatchOptions, p: Plan, buf: Buffer): Buffer {
  writeInt64Number(buf, BatchField.BaseOffset, opts.baseOffset ?? 0)
  buf.writeInt32BE(buf.length - BATCH_PREFIX_SIZE, BatchField.BatchLength)
  buf.writeInt32BE(opts.partitionLeaderEpoch ?? -1, BatchField.PartitionLeaderEpoch)
  buf.writeInt8(BATCH_MAGIC, BatchField.Magic)
  buf.writeInt16BE(p.attributes, BatchField.Attributes)
  buf.writeInt32BE(p.lastOffsetDelta, BatchField.LastOffsetDelta)
  writeInt64Number(buf, BatchField.BaseTimestamp, p.baseTimestamp)
  writeInt64Number(buf, BatchField.MaxTimestamp, p.maxTimestamp)
  writeInt64Number(buf, BatchField.ProducerId, opts.producerId ?? -1)
  buf.writeInt16BE(opts.producerEpoch ?? -1, BatchField.ProducerEpoch)
  buf.writeInt32BE(opts.baseSequence ?? -1, BatchField.BaseSequence)
  buf.writeInt32BE(opts.records.length, BatchField.RecordCount)
  buf.writeUInt32BE(computeBatchCrc(buf, 0, buf.length), BatchField.Crc)
  return buf
}

function assemble(opts: BuildBatchOptions, p: Plan, compressed: Buffer): Buffer {
  const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length)
  compressed.copy(out, BATCH_HEADER_SIZE)
  return writeHeader(opts, p, out)
}

/** Builds a complete v2 batch (header, CRC, records, compressed as asked). */
export async function buildBatch(opts: BuildBatchOptions): Promise<Buffer> {
  const p = plan(opts)
  const codec = p.attributes & BatchAttribute.CompressionMask
  if (codec === Compression.None) return buildBatchSync(opts)
  const section = Buffer.allocUnsafe(p.sectionSize)
  writeSection(opts, p, section, 0)
  return assemble(opts, p, await compress(codec, section, opts.compressionLevel))
}

/** Synchronous {@link buildBatch}: none, gzip, snappy and lz4 (throws for zstd). */
export function buildBatchSync(opts: BuildBatchOptions): Buffer {
  const p = plan(opts)
  const codec = p.attributes & BatchAttribute.CompressionMask
  if (codec === Compression.None) {
    const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + p.sectionSize)
    writeSection(opts, p, out, BATCH_HEADER_SIZE)
    return writeHeader(opts, p, out)
  }
  const section = Buffer.allocUnsafe(p.sectionSize)
  writeSection(opts, p, section, 0)
  return assemble(opts, p, compressSync(codec, section, opts.compressionLevel))
}

/** Control record types (the int16 after the version in a control record's key). */
export const ControlRecordType = {
  Abort: 0,
  Commit: 1,
  LeaderChange: 2,
  SnapshotHeader: 3,
  SnapshotFooter: 4,
  KraftVersion: 5,
  KraftVoters: 6,
} as const

/** Key of a control record: version int16 (0) + type int16. */
export function encodeControlRecordKey(type: number, version = 0): Buffer {
  const b = Buffer.allocUnsafe(4)
  b.writeInt16BE(version, 0)
  b.writeInt16BE(type, 2)
  return b
}

/** Reads a control record key; throws INVALID_RECORD when it is too short. */
export function decodeControlRecordKey(key: Buffer | null): { version: number; type: number } {
  if (key === null || key.length < 4) throw new RecordBatchError('control record key is shorter than 4 bytes', INVALID)
  return { version: key.readInt16BE(0), type: key.readInt16BE(2) }
}

/** Value of a COMMIT/ABORT marker: version int16 (0) + coordinatorEpoch int32. */
export function encodeEndTxnMarkerValue(coordinatorEpoch: number, version = 0): Buffer {
  const b = Buffer.allocUnsafe(6)
  b.writeInt16BE(version, 0)
  b.writeInt32BE(coordinatorEpoch, 2)
  return b
}

export function decodeEndTxnMarkerValue(value: Buffer | null): { version: number; coordinatorEpoch: number } {
  if (value === null || value.length < 6) throw new RecordBatchError('end transaction marker value is shorter than 6 bytes', INVALID)
  return { version: value.readInt16BE(0), coordinatorEpoch: value.readInt32BE(2) }
}

/** A transactional control batch holding one COMMIT or ABORT marker. */
export function buildEndTxnMarkerBatch(opts: {
  producerId: number
  producerEpoch: number
  commit: boolean
  coordinatorEpoch: number
  timestamp: number
  baseOffset?: number
  partitionLeaderEpoch?: number
}): Buffer {
  return buildBatchSync({
    baseOffset: opts.baseOffset,
    partitionLeaderEpoch: opts.partitionLeaderEpoch,
    baseTimestamp: opts.timestamp,
    producerId: opts.producerId,
    producerEpoch: opts.producerEpoch,
    baseSequence: -1,
    transactional: true,
    control: true,
    records: [
      {
        key: encodeControlRecordKey(opts.commit ? ControlRecordType.Commit : ControlRecordType.Abort),
        value: encodeEndTxnMarkerValue(opts.coordinatorEpoch),
        timestamp: opts.timestamp,
      },
    ],
  })
}

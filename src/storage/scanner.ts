/**
 * Walks the record batches of a region of a segment file with large positional
 * reads into one reused buffer. Used by recovery (with CRC checks), index
 * rebuilding, producer-state replay and header-only walks.
 */
import { BATCH_HEADER_SIZE, BatchField, computeBatchCrc, readInt64Number } from '../wire/index.js'
import { readFully } from './fsutil.js'

export interface ScannedBatch {
  /** Absolute file position of the batch. */
  position: number
  size: number
  baseOffset: number
  lastOffset: number
  lastOffsetDelta: number
  partitionLeaderEpoch: number
  attributes: number
  baseTimestamp: number
  maxTimestamp: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  recordCount: number
  /** The scanner's buffer; the batch is at buf[bufPos, bufPos+size) only when `whole` (valid until the next call). */
  buf: Buffer
  bufPos: number
  whole: boolean
}

export interface ScannerOptions {
  /** Check magic and CRC of every batch (recovery). Implies reading whole batches. */
  verifyCrc?: boolean
  /** Make every batch's bytes available in `buf` (for decoding or copying). */
  wholeBatches?: boolean
  /** Bytes per read. */
  chunkSize?: number
  /** Reuse this buffer for reads (it may be replaced by a bigger one). */
  scratch?: Buffer
}

export class BatchScanner {
  private buf: Buffer
  private bufAbs: number
  private bufLen = 0
  private pos: number
  private readonly chunkSize: number
  private readonly verifyCrc: boolean
  private readonly whole: boolean
  /** Why the scan stopped early (undefined when it reached `end` cleanly). */
  stopReason: string | undefined
  /** Position of the first byte not covered by a good batch. */
  get position(): number {
    return this.pos
  }

  constructor(
    private readonly fd: number,
    start: number,
    private readonly end: number,
    opts: ScannerOptions = {},
  ) {
    this.pos = start
    this.bufAbs = start
    this.verifyCrc = opts.verifyCrc ?? false
    this.whole = this.verifyCrc || (opts.wholeBatches ?? false)
    this.chunkSize = opts.chunkSize ?? 1 << 20
    this.buf = opts.scratch ?? Buffer.allocUnsafe(Math.min(this.chunkSize, Math.max(BATCH_HEADER_SIZE, end - start)))
  }

  /** The scanner's current buffer (to hand back as scratch for another scan). */
  get scratch(): Buffer {
    return this.buf
  }

  private async ensure(abs: number, len: number): Promise<boolean> {
    if (abs >= this.bufAbs && abs + len <= this.bufAbs + this.bufLen) return true
    const want = Math.min(Math.max(len, this.chunkSize), this.end - abs)
    if (want < len) return false
    if (this.buf.length < want) this.buf = Buffer.allocUnsafe(want)
    const n = await readFully(this.fd, this.buf, 0, want, abs)
    this.bufAbs = abs
    this.bufLen = n
    return n >= len
  }

  /** The next batch, or null at the end of the region or at the first bad batch (see stopReason). */
  async next(): Promise<ScannedBatch | null> {
    const p = this.pos
    if (p >= this.end || this.stopReason !== undefined) return null
    const remaining = this.end - p
    if (remaining < BATCH_HEADER_SIZE) {
      const ok = await this.ensure(p, remaining)
      const zero = ok && this.isZero(p - this.bufAbs, remaining)
      return this.stop(zero ? `zero-filled tail of ${remaining} bytes` : `${remaining} trailing bytes are too few for a batch header`)
    }
    if (!(await this.ensure(p, BATCH_HEADER_SIZE))) return this.stop('the file ended early')
    let rel = p - this.bufAbs
    const buf0 = this.buf
    const batchLength = buf0.readInt32BE(rel + BatchField.BatchLength)
    const magic = buf0.readInt8(rel + BatchField.Magic)
    const size = 12 + batchLength
    if (batchLength === 0 && this.isZero(rel, BATCH_HEADER_SIZE)) return this.stop('zero-filled bytes')
    if (size < BATCH_HEADER_SIZE) return this.stop(`invalid batch length ${batchLength}`)
    if (magic !== 2) return this.stop(`invalid magic ${magic}`)
    if (size > remaining) return this.stop(`batch of ${size} bytes runs past the end (${remaining} bytes remain)`)
    if (this.whole) {
      if (!(await this.ensure(p, size))) return this.stop('the file ended early')
      rel = p - this.bufAbs
    }
    const buf = this.buf
    if (this.verifyCrc) {
      const stored = buf.readUInt32BE(rel + BatchField.Crc)
      const computed = computeBatchCrc(buf, rel, size)
      if (stored !== computed) {
        return this.stop(`CRC mismatch (stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)})`)
      }
    }
    const baseOffset = readInt64Number(buf, rel)
    const lastOffsetDelta = buf.readInt32BE(rel + BatchField.LastOffsetDelta)
    if (lastOffsetDelta < 0) return this.stop(`negative lastOffsetDelta ${lastOffsetDelta}`)
    this.pos = p + size
    return {
      position: p,
      size,
      baseOffset,
      lastOffset: baseOffset + lastOffsetDelta,
      lastOffsetDelta,
      partitionLeaderEpoch: buf.readInt32BE(rel + BatchField.PartitionLeaderEpoch),
      attributes: buf.readInt16BE(rel + BatchField.Attributes),
      baseTimestamp: readInt64Number(buf, rel + BatchField.BaseTimestamp),
      maxTimestamp: readInt64Number(buf, rel + BatchField.MaxTimestamp),
      producerId: readInt64Number(buf, rel + BatchField.ProducerId),
      producerEpoch: buf.readInt16BE(rel + BatchField.ProducerEpoch),
      baseSequence: buf.readInt32BE(rel + BatchField.BaseSequence),
      recordCount: buf.readInt32BE(rel + BatchField.RecordCount),
      buf,
      bufPos: rel,
      whole: this.whole,
    }
  }

  /** Ends the scan at `batch` (which the caller found bad, e.g. its offsets go backwards). */
  reject(batch: ScannedBatch, reason: string): null {
    this.pos = batch.position
    return this.stop(reason)
  }

  private stop(reason: string): null {
    this.stopReason = reason
    return null
  }

  private isZero(rel: number, len: number): boolean {
    const end = Math.min(rel + len, this.bufLen)
    for (let i = rel; i < end; i++) if (this.buf[i] !== 0) return false
    return true
  }
}

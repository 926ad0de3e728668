import { EncodeError } from './errors.js'
import { uuidToBytes, type Uuid } from './uuid.js'

const INT64_LIMIT = 2 ** 63
const TWO_32 = 4294967296
/** Byte fields at least this long are referenced, not copied, into the output. */
const ZERO_COPY_THRESHOLD = 512
function outOfRange(type: string, v: number): EncodeError {
  return new EncodeError(`${v} is not a valid ${type}`)
}

/** Kafka caps every string, compact ones included, at 32767 bytes. */
const MAX_STRING = 0x7fff

/**
 * Builds one message as a list of buffers. Small fields go into a scratch chunk; large
 * `bytes`/`records` fields (fetched record batches, say) are appended by reference, so a
 * Fetch response never copies the data it serves. `chunks()` returns the pieces in order.
 */
export class Writer {
  private readonly done: Buffer[] = []
  private buf: Buffer
  private start = 0
  private pos = 0
  /** Total bytes written so far, across all chunks. */
  length = 0

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize)
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return
    if (this.pos > this.start) this.done.push(this.buf.subarray(this.start, this.pos))
    this.buf = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2))
    this.start = this.pos = 0
  }

  bool(v: boolean): void {
    this.room(1)
    this.buf[this.pos++] = v ? 1 : 0
    this.length += 1
  }
  // Integers are written byte by byte after one range check: Buffer's writeIntXX methods
  // validate their arguments at length and were the hottest code in encoding. A value that does
  // not fit its field (or is not an integer) is an EncodeError rather than silently truncated.
  int8(v: number): void {
    if ((v << 24) >> 24 !== v) throw outOfRange('int8', v)
    this.room(1)
    this.buf[this.pos++] = v
    this.length += 1
  }
  int16(v: number): void {
    if ((v << 16) >> 16 !== v) throw outOfRange('int16', v)
    this.room(2)
    const b = this.buf
    const p = this.pos
    b[p] = v >> 8
    b[p + 1] = v
    this.pos = p + 2
    this.length += 2
  }
  uint16(v: number): void {
    if ((v & 0xffff) !== v) throw outOfRange('uint16', v)
    this.room(2)
    const b = this.buf
    const p = this.pos
    b[p] = v >> 8
    b[p + 1] = v
    this.pos = p + 2
    this.length += 2
  }
  int32(v: number): void {
    if ((v | 0) !== v) throw outOfRange('int32', v)
    this.room(4)
    const b = this.buf
    const p = this.pos
    b[p] = v >> 24
    b[p + 1] = v >> 16
    b[p + 2] = v >> 8
    b[p + 3] = v
    this.pos = p + 4
    this.length += 4
  }
  uint32(v: number): void {
    if (v >>> 0 !== v) throw outOfRange('uint32', v)
    this.room(4)
    const b = this.buf
    const p = this.pos
    b[p] = v >>> 24
    b[p + 1] = v >>> 16
    b[p + 2] = v >>> 8
    b[p + 3] = v
    this.pos = p + 4
    this.length += 4
  }
  /** int64 from a JS number (exact within ±2^53). */
  int64(v: number): void {
    // Integers past 2^53 are written as the double holds them (values read off the wire beyond
    // 2^53 arrive rounded): the split below is exact for any integral double in int64's range.
    if (!Number.isInteger(v) || v < -INT64_LIMIT || v >= INT64_LIMIT) throw new EncodeError(`int64 value ${v} is not an integer in int64's range`)
    this.room(8)
    const hi = Math.floor(v / TWO_32)
    const lo = v - hi * TWO_32
    const b = this.buf
    const p = this.pos
    b[p] = hi >> 24
    b[p + 1] = hi >> 16
    b[p + 2] = hi >> 8
    b[p + 3] = hi
    b[p + 4] = lo >>> 24
    b[p + 5] = lo >>> 16
    b[p + 6] = lo >>> 8
    b[p + 7] = lo
    this.pos = p + 8
    this.length += 8
  }
  float64(v: number): void {
    this.room(8)
    this.buf.writeDoubleBE(v, this.pos)
    this.pos += 8
    this.length += 8
  }
  uuid(v: Uuid): void {
    this.room(16)
    uuidToBytes(v, this.buf, this.pos)
    this.pos += 16
    this.length += 16
  }
  uvarint(v: number): void {
    if (v >>> 0 !== v) throw outOfRange('unsigned varint', v)
    if (v < 0x80) {
      // Lengths, counts and empty tag sections: nearly always one byte.
      if (this.pos >= this.buf.length) this.room(1)
      this.buf[this.pos++] = v
      this.length += 1
      return
    }
    this.room(5)
    const buf = this.buf
    let pos = this.pos
    while (v >= 0x80) {
      buf[pos++] = (v & 0x7f) | 0x80
      v = Math.floor(v / 128)
    }
    buf[pos++] = v
    this.length += pos - this.pos
    this.pos = pos
  }

  private utf8(s: string, len: number): void {
    this.room(len)
    this.buf.write(s, this.pos, len, 'utf8')
    this.pos += len
    this.length += len
  }

  string(s: string): void {
    // A UTF-16 code unit is at most 3 UTF-8 bytes: when even that fits, write the text first
    // and the length after, which saves measuring it with Buffer.byteLength.
    const max = s.length * 3
    if (max <= MAX_STRING) {
      this.room(2 + max)
      const b = this.buf
      const p = this.pos
      const n = b.write(s, p + 2, 'utf8')
      b[p] = n >> 8
      b[p + 1] = n
      this.pos = p + 2 + n
      this.length += 2 + n
      return
    }
    const len = Buffer.byteLength(s)
    if (len > MAX_STRING) throw new EncodeError(`string of ${len} bytes is longer than ${MAX_STRING}`)
    this.int16(len)
    this.utf8(s, len)
  }
  nullableString(s: string | null): void {
    if (s === null) this.int16(-1)
    else this.string(s)
  }
  compactString(s: string): void {
    const max = s.length * 3
    if (max < 127) {
      // The length (n + 1 <= 127) is then one varint byte: write the text, then the length.
      this.room(1 + max)
      const b = this.buf
      const p = this.pos
      const n = b.write(s, p + 1, 'utf8')
      b[p] = n + 1
      this.pos = p + 1 + n
      this.length += 1 + n
      return
    }
    const len = Buffer.byteLength(s)
    if (len > MAX_STRING) throw new EncodeError(`string of ${len} bytes is longer than ${MAX_STRING}`)
    this.uvarint(len + 1)
    this.utf8(s, len)
  }
  compactNullableString(s: string | null): void {
    if (s === null) this.uvarint(0)
    else this.compactString(s)
  }

  /** Raw bytes with no length prefix; large ones are referenced, not copied. */
  raw(b: Buffer): void {
    if (b.length >= ZERO_COPY_THRESHOLD) {
      if (this.pos > this.start) this.done.push(this.buf.subarray(this.start, this.pos))
      this.start = this.pos
      this.done.push(b)
    } else {
      this.room(b.length)
      b.copy(this.buf, this.pos)
      this.pos += b.length
    }
    this.length += b.length
  }

  bytes(b: Buffer): void {
    this.int32(b.length)
    this.raw(b)
  }
  nullableBytes(b: Buffer | null): void {
    if (b === null) this.int32(-1)
    else this.bytes(b)
  }
  compactBytes(b: Buffer): void {
    this.uvarint(b.length + 1)
    this.raw(b)
  }
  compactNullableBytes(b: Buffer | null): void {
    if (b === null) this.uvarint(0)
    else this.compactBytes(b)
  }

  arrayLength(n: number): void {
    this.int32(n)
  }
  compactArrayLength(n: number): void {
    this.uvarint(n + 1)
  }

  /** Appends everything another writer produced (used for tagged fields, which need their size first). */
  append(other: Writer): void {
    for (const chunk of other.chunks()) this.raw(chunk)
  }

  chunks(): Buffer[] {
    if (this.pos > this.start) {
      this.done.push(this.buf.subarray(this.start, this.pos))
      this.start = this.pos
    }
    return this.done
  }

  /** One contiguous buffer (copies when there is more than one chunk). */
  toBuffer(): Buffer {
    const chunks = this.chunks()
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.length)
  }
}

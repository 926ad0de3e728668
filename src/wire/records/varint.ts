/**
 * Zig-zag varints as used inside v2 records (these are signed, unlike the
 * unsigned varints of the flexible protocol encoding), plus a small bounds-checked
 * cursor for decoding record bodies.
 *
 * Varlongs are carried as JS numbers; they are exact for |value| <= 2^53.
 */
import { RecordBatchError, RecordErrorCode } from './errors.js'

const TWO_32 = 4294967296

/** Bytes needed for `value` (an int32) as a zig-zag varint. */
export function sizeOfZigzagVarint(value: number): number {
  let u = ((value << 1) ^ (value >> 31)) >>> 0
  let n = 1
  while (u >= 0x80) {
    u >>>= 7
    n++
  }
  return n
}

/** Writes `value` (an int32) as a zig-zag varint at `pos`; returns the position after it. */
export function writeZigzagVarint(buf: Uint8Array, pos: number, value: number): number {
  let u = ((value << 1) ^ (value >> 31)) >>> 0
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80
    u >>>= 7
  }
  buf[pos++] = u
  return pos
}

/** Bytes needed for `value` (an integer with |value| <= 2^53) as a zig-zag varlong. */
export function sizeOfZigzagVarlong(value: number): number {
  if ((value | 0) === value) return sizeOfZigzagVarint(value)
  // u = 2*mag + sign; the first byte holds 6 bits of mag, each next byte 7.
  let rest = Math.floor((value >= 0 ? value : -value - 1) / 64)
  let n = 1
  while (rest > 0) {
    rest = Math.floor(rest / 128)
    n++
  }
  return n
}

/** Writes `value` (an integer with |value| <= 2^53) as a zig-zag varlong; returns the position after it. */
export function writeZigzagVarlong(buf: Uint8Array, pos: number, value: number): number {
  if ((value | 0) === value) return writeZigzagVarint(buf, pos, value)
  const sign = value < 0 ? 1 : 0
  const mag = sign ? -value - 1 : value
  let rest = Math.floor(mag / 64)
  let b = (mag - rest * 64) * 2 + sign
  while (rest > 0) {
    buf[pos++] = b | 0x80
    const next = Math.floor(rest / 128)
    b = rest - next * 128
    rest = next
  }
  buf[pos++] = b
  return pos
}

function invalid(message: string): RecordBatchError {
  return new RecordBatchError(message, RecordErrorCode.InvalidRecord)
}

/**
 * A forward-only reader over `buf[pos, end)`. Every read checks the bounds and
 * throws a RecordBatchError (INVALID_RECORD) instead of reading past `end`.
 */
export class RecordsCursor {
  buf: Buffer
  pos: number
  end: number

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf
    this.pos = pos
    this.end = end
  }

  get remaining(): number {
    return this.end - this.pos
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw invalid(`record data ends early: need ${n} bytes at ${this.pos}, have ${this.end - this.pos}`)
    }
  }

  int8(): number {
    this.need(1)
    const v = this.buf[this.pos]!
    this.pos += 1
    return (v << 24) >> 24
  }

  int16(): number {
    this.need(2)
    const v = this.buf.readInt16BE(this.pos)
    this.pos += 2
    return v
  }

  int32(): number {
    this.need(4)
    const v = this.buf.readInt32BE(this.pos)
    this.pos += 4
    return v
  }

  uint32(): number {
    this.need(4)
    const v = this.buf.readUInt32BE(this.pos)
    this.pos += 4
    return v
  }

  /** int64 as a number (hi * 2^32 + lo). */
  int64(): number {
    this.need(8)
    const v = this.buf.readInt32BE(this.pos) * TWO_32 + this.buf.readUInt32BE(this.pos + 4)
    this.pos += 8
    return v
  }

  /** Zig-zag varint (at most 5 bytes). */
  varint(): number {
    const buf = this.buf
    const end = this.end
    let pos = this.pos
    let u = 0
    let shift = 0
    for (;;) {
      if (pos >= end) throw invalid(`varint runs past the end of the record data at ${pos}`)
      const b = buf[pos++]!
      if (shift === 28) {
        if (b & 0x80) throw invalid(`varint longer than 5 bytes at ${this.pos}`)
        u |= b << 28
        break
      }
      u |= (b & 0x7f) << shift
      if (b < 0x80) break
      shift += 7
    }
    this.pos = pos
    return (u >>> 1) ^ -(u & 1)
  }

  /** Zig-zag varlong (at most 10 bytes), exact for |value| <= 2^53. */
  varlong(): number {
    const buf = this.buf
    const end = this.end
    let pos = this.pos
    if (pos >= end) throw invalid(`varlong runs past the end of the record data at ${pos}`)
    let b = buf[pos++]!
    const sign = b & 1
    let half = (b & 0x7f) >>> 1
    let mul = 64
    let count = 1
    while (b & 0x80) {
      if (pos >= end) throw invalid(`varlong runs past the end of the record data at ${pos}`)
      if (++count > 10) throw invalid(`varlong longer than 10 bytes at ${this.pos}`)
      b = buf[pos++]!
      half += (b & 0x7f) * mul
      mul *= 128
    }
    this.pos = pos
    return sign ? -half - 1 : half
  }

  /** `n` bytes as a view of the underlying buffer. */
  bytes(n: number): Buffer {
    this.need(n)
    const v = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return v
  }

  /** Varint length (-1 = null) followed by that many bytes, as a view. */
  varintBytes(): Buffer | null {
    const n = this.varint()
    if (n === -1) return null
    if (n < -1) throw invalid(`negative length ${n} at ${this.pos}`)
    return this.bytes(n)
  }
}

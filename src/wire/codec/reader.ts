import { DecodeError } from './errors.js'
import { uuidFromBytes, type Uuid } from './uuid.js'

const TWO_32 = 4294967296
/** Kafka caps every string, compact ones included, at 32767 bytes. */
const MAX_STRING = 0x7fff

/**
 * A cursor over one message's bytes. Every read checks the bounds first, so a truncated or
 * lying frame ends in a DecodeError, never in a read past the frame or a huge allocation.
 * `bytes` and `records` come back as subarrays of the input: no copy.
 */
export class Reader {
  pos: number
  readonly end: number

  constructor(
    readonly buf: Buffer,
    pos = 0,
    end = buf.length,
  ) {
    this.pos = pos
    this.end = end
  }

  get remaining(): number {
    return this.end - this.pos
  }

  private need(n: number): number {
    const at = this.pos
    if (at + n > this.end) {
      throw new DecodeError(`truncated: needed ${n} bytes at offset ${at}, only ${this.end - at} left`)
    }
    this.pos = at + n
    return at
  }

  // Integers are assembled from bytes after need() has checked the bounds: Buffer's own
  // readIntXX methods check them again, which made them the hottest code in decoding.
  bool(): boolean {
    return this.buf[this.need(1)] !== 0
  }
  int8(): number {
    return (this.buf[this.need(1)] << 24) >> 24
  }
  int16(): number {
    const at = this.need(2)
    const b = this.buf
    return ((b[at] << 24) | (b[at + 1] << 16)) >> 16
  }
  uint16(): number {
    const at = this.need(2)
    const b = this.buf
    return (b[at] << 8) | b[at + 1]
  }
  int32(): number {
    const at = this.need(4)
    const b = this.buf
    return (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]
  }
  uint32(): number {
    const at = this.need(4)
    const b = this.buf
    return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0
  }
  /** int64 as a JS number: exact within ±2^53, which offsets, timestamps and ids never leave. */
  int64(): number {
    const at = this.need(8)
    const b = this.buf
    const hi = (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]
    const lo = ((b[at + 4] << 24) | (b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7]) >>> 0
    return hi * TWO_32 + lo
  }
  float64(): number {
    return this.buf.readDoubleBE(this.need(8))
  }
  uuid(): Uuid {
    return uuidFromBytes(this.buf, this.need(16))
  }

  /** Kafka's unsigned varint: at most 5 bytes, 32 bits. */
  uvarint(): number {
    // Nearly every varint (lengths, counts, tag sections) is one byte.
    const at = this.pos
    if (at < this.end) {
      const b = this.buf[at]
      if (b < 0x80) {
        this.pos = at + 1
        return b
      }
    }
    return this.uvarintSlow()
  }

  private uvarintSlow(): number {
    const buf = this.buf
    const end = this.end
    let pos = this.pos
    let value = 0
    let mul = 1
    for (let i = 0; i < 5; i++) {
      if (pos >= end) throw new DecodeError(`truncated: unsigned varint at offset ${this.pos} runs past the end`)
      const b = buf[pos++]
      value += (b & 0x7f) * mul
      if (b < 0x80) {
        if (value > 0xffffffff) throw new DecodeError('unsigned varint larger than 32 bits')
        this.pos = pos
        return value
      }
      mul *= 128
    }
    throw new DecodeError('unsigned varint longer than 5 bytes')
  }

  private slice(len: number): Buffer {
    const at = this.need(len)
    return this.buf.subarray(at, at + len)
  }

  private utf8(len: number): string {
    const at = this.need(len)
    return this.buf.toString('utf8', at, at + len)
  }

  string(): string {
    const len = this.int16()
    if (len < 0) throw new DecodeError(`non-nullable string has length ${len}`)
    return this.utf8(len)
  }
  nullableString(): string | null {
    const len = this.int16()
    if (len === -1) return null
    if (len < 0) throw new DecodeError(`string has length ${len}`)
    return this.utf8(len)
  }
  compactString(): string {
    const len = this.uvarint() - 1
    if (len < 0) throw new DecodeError('non-nullable compact string is null')
    if (len > MAX_STRING) throw new DecodeError(`string of ${len} bytes is longer than ${MAX_STRING}`)
    return this.utf8(len)
  }
  compactNullableString(): string | null {
    const len = this.uvarint() - 1
    if (len > MAX_STRING) throw new DecodeError(`string of ${len} bytes is longer than ${MAX_STRING}`)
    return len < 0 ? null : this.utf8(len)
  }

  bytes(): Buffer {
    const len = this.int32()
    if (len < 0) throw new DecodeError(`non-nullable bytes have length ${len}`)
    return this.slice(len)
  }
  nullableBytes(): Buffer | null {
    const len = this.int32()
    if (len === -1) return null
    if (len < 0) throw new DecodeError(`bytes have length ${len}`)
    return this.slice(len)
  }
  compactBytes(): Buffer {
    const len = this.uvarint() - 1
    if (len < 0) throw new DecodeError('non-nullable compact bytes are null')
    return this.slice(len)
  }
  compactNullableBytes(): Buffer | null {
    const len = this.uvarint() - 1
    return len < 0 ? null : this.slice(len)
  }

  /** An int32 array length; -1 is null. A count above the bytes left cannot be honest. */
  arrayLength(): number {
    const n = this.int32()
    if (n < -1) throw new DecodeError(`array has length ${n}`)
    if (n > this.end - this.pos) throw new DecodeError(`array claims ${n} elements but only ${this.end - this.pos} bytes are left`)
    return n
  }
  compactArrayLength(): number {
    const n = this.uvarint() - 1
    if (n > this.end - this.pos) throw new DecodeError(`array claims ${n} elements but only ${this.end - this.pos} bytes are left`)
    return n
  }

  skip(n: number): void {
    this.need(n)
  }

  /** Reads past a tagged-field section whose tags the caller does not know. */
  skipTaggedFields(): void {
    let count = this.uvarint()
    while (count-- > 0) {
      this.uvarint()
      this.skip(this.uvarint())
    }
  }
}

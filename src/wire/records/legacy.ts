/**
 * Legacy message sets (magic 0 and 1), decoded for reading only.
 *
 * Message: offset int64, size int32, crc uint32 (CRC-32 IEEE over magic..end),
 * magic int8, attributes int8, [timestamp int64 when magic 1], key bytes
 * (int32 length, -1 null), value bytes. A compressed message's value holds an
 * inner message set; in v1 the inner offsets are relative and the wrapper's
 * offset is that of the last inner message.
 */
import { crc32 } from './crc.js'
import { Compression, decompressSync } from './compression.js'
import { RecordBatchError, RecordErrorCode } from './errors.js'

export interface LegacyMessage {
  offset: number
  magic: number
  attributes: number
  /** -1 for magic 0. */
  timestamp: number
  key: Buffer | null
  value: Buffer | null
}

export interface DecodeLegacyOptions {
  /** Stop quietly at a partial message at the end (as fetch responses may have). Default false: throw. */
  allowTruncatedTail?: boolean
  /** Check each message's CRC-32. Default true. */
  verifyCrc?: boolean
}

const TWO_32 = 4294967296
const CORRUPT = RecordErrorCode.CorruptMessage

function corrupt(message: string): RecordBatchError {
  return new RecordBatchError(message, CORRUPT)
}

function readBytes(buf: Buffer, pos: number, end: number, what: string): [Buffer | null, number] {
  if (pos + 4 > end) throw corrupt(`legacy message ${what} length runs past the message end`)
  const len = buf.readInt32BE(pos)
  pos += 4
  if (len === -1) return [null, pos]
  if (len < 0 || pos + len > end) throw corrupt(`legacy message ${what} length ${len} is invalid`)
  return [buf.subarray(pos, pos + len), pos + len]
}

/**
 * Decodes a v0/v1 message set, expanding compressed wrapper messages (gzip,
 * snappy, lz4) into their inner messages with absolute offsets. Keys and
 * values are views of `buf` (or of the decompressed data).
 */
export function decodeLegacyMessageSet(buf: Buffer, opts: DecodeLegacyOptions = {}): LegacyMessage[] {
  const out: LegacyMessage[] = []
  decodeInto(buf, opts, out, false)
  return out
}

function decodeInto(buf: Buffer, opts: DecodeLegacyOptions, out: LegacyMessage[], inner: boolean): void {
  const len = buf.length
  const verify = opts.verifyCrc !== false
  let pos = 0
  while (pos < len) {
    const remaining = len - pos
    if (remaining < 12) {
      if (opts.allowTruncatedTail && !inner) return
      throw corrupt(`${remaining} trailing bytes at ${pos} are not a message`)
    }
    const offset = buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4)
    const size = buf.readInt32BE(pos + 8)
    if (size < 14) throw corrupt(`legacy message at ${pos} has size ${size}, below 14`)
    const end = pos + 12 + size
    if (end > len) {
      if (opts.allowTruncatedTail && !inner) return
      throw corrupt(`legacy message at ${pos} is truncated: size ${size}, only ${remaining - 12} bytes follow`)
    }
    const crc = buf.readUInt32BE(pos + 12)
    const magic = buf.readInt8(pos + 16)
    if (magic !== 0 && magic !== 1) throw corrupt(`message at ${pos} has magic ${magic}, not a legacy message`)
    if (magic === 1 && size < 22) throw corrupt(`v1 message at ${pos} has size ${size}, below 22`)
    if (verify) {
      const actual = crc32(buf.subarray(pos + 16, end))
      if (actual !== crc) {
        throw corrupt(`legacy message at ${pos} has CRC 0x${crc.toString(16)}, computed 0x${actual.toString(16)}`)
      }
    }
    const attributes = buf.readInt8(pos + 17)
    let p = pos + 18
    let timestamp = -1
    if (magic === 1) {
      timestamp = buf.readInt32BE(p) * TWO_32 + buf.readUInt32BE(p + 4)
      p += 8
    }
    let key: Buffer | null
    let value: Buffer | null
    ;[key, p] = readBytes(buf, p, end, 'key')
    ;[value, p] = readBytes(buf, p, end, 'value')
    if (p !== end) throw corrupt(`legacy message at ${pos} has ${end - p} bytes after its value`)

    const codec = attributes & 0x07
    if (codec === Compression.None) {
      out.push({ offset, magic, attributes, timestamp, key, value })
    } else {
      if (inner) throw corrupt(`nested compressed message at ${pos}`)
      if (codec > Compression.Lz4) throw corrupt(`legacy message at ${pos} uses codec ${codec}, not allowed before v2`)
      if (value === null) throw corrupt(`compressed legacy message at ${pos} has a null value`)
      const first = out.length
      decodeInto(decompressSync(codec, value), opts, out, true)
      if (magic === 1 && out.length > first) {
        // Inner offsets are relative; the wrapper carries the absolute offset of the last one.
        const base = offset - out[out.length - 1]!.offset
        const logAppend = (attributes & 0x08) !== 0
        for (let i = first; i < out.length; i++) {
          const m = out[i]!
          m.offset += base
          if (logAppend) m.timestamp = timestamp
        }
      }
    }
    pos = end
  }
}

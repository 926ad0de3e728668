/**
 * The record-batch compression codecs: gzip (zlib), snappy (raw blocks written;
 * raw and xerial-framed read), lz4 (Kafka's LZ4 frame format, via lz4-napi) and
 * zstd (@mongodb-js/zstd, async only).
 *
 * The native codec modules are loaded lazily, so a missing binary only breaks
 * the codec that needs it. Corrupt input is reported as a RecordBatchError with
 * CORRUPT_MESSAGE; an unknown codec id likewise.
 */
import { createRequire } from 'node:module'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import type * as SnappyModule from 'snappy'
import type * as Lz4Module from 'lz4-napi'
import type * as ZstdModule from '@mongodb-js/zstd'
import { RecordBatchError, RecordErrorCode } from './errors.js'

/** Compression codec ids (attributes bits 0-2). */
export const Compression = {
  None: 0,
  Gzip: 1,
  Snappy: 2,
  Lz4: 3,
  Zstd: 4,
} as const
export type Compression = (typeof Compression)[keyof typeof Compression]

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/** "none", "gzip", … for a codec id (or "codec N" for an unknown one). */
export function compressionName(codec: number): string {
  return CODEC_NAMES[codec] ?? `codec ${codec}`
}

const require = createRequire(import.meta.url)
let snappyMod: typeof SnappyModule | undefined
let lz4Mod: typeof Lz4Module | undefined
let zstdMod: typeof ZstdModule | undefined

function snappy(): typeof SnappyModule {
  return (snappyMod ??= require('snappy') as typeof SnappyModule)
}
function lz4(): typeof Lz4Module {
  return (lz4Mod ??= require('lz4-napi') as typeof Lz4Module)
}
function zstd(): typeof ZstdModule {
  return (zstdMod ??= require('@mongodb-js/zstd') as typeof ZstdModule)
}

const gzipAsync = promisify(zlib.gzip)
const unzipAsync = promisify(zlib.unzip)

const SNAPPY_OPTS = { copyOutputData: true } as const
const SNAPPY_DEC_OPTS = { asBuffer: true, copyOutputData: true } as const

/** The 8-byte magic that starts xerial-framed snappy (Java client, kafka-python). */
export const XERIAL_SNAPPY_MAGIC: Buffer = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER_SIZE = 16

/** True when `data` starts with the xerial snappy header. */
export function isXerialSnappy(data: Uint8Array): boolean {
  if (data.length < XERIAL_HEADER_SIZE) return false
  for (let i = 0; i < 8; i++) if (data[i] !== XERIAL_SNAPPY_MAGIC[i]) return false
  return true
}

/** Splits the body of a xerial-framed snappy stream into its raw blocks. */
function xerialBlocks(data: Buffer): Buffer[] {
  const blocks: Buffer[] = []
  let pos = XERIAL_HEADER_SIZE
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new Error(`xerial snappy block length cut short at byte ${pos}`)
    const len = data.readInt32BE(pos)
    pos += 4
    if (len < 0 || pos + len > data.length) {
      throw new Error(`xerial snappy block of ${len} bytes at byte ${pos - 4} runs past the end (${data.length})`)
    }
    blocks.push(data.subarray(pos, pos + len))
    pos += len
  }
  return blocks
}

function unknownCodec(codec: number): RecordBatchError {
  return new RecordBatchError(`unknown compression codec ${codec}`, RecordErrorCode.CorruptMessage)
}

function corrupt(codec: number, err: unknown): RecordBatchError {
  if (err instanceof RecordBatchError) return err
  const msg = err instanceof Error ? err.message : String(err)
  return new RecordBatchError(`cannot decompress ${compressionName(codec)} data: ${msg}`, RecordErrorCode.CorruptMessage)
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}

/**
 * Compresses `data` with `codec`. `level` applies to gzip (zlib level) and zstd;
 * snappy is always written as a raw block.
 */
export async function compress(codec: number, data: Buffer, level?: number): Promise<Buffer> {
  switch (codec) {
    case Compression.None:
      return data
    case Compression.Gzip:
      return gzipAsync(data, level === undefined ? {} : { level })
    case Compression.Snappy:
      return snappy().compress(data, SNAPPY_OPTS)
    case Compression.Lz4:
      return lz4().compressFrame(data)
    case Compression.Zstd:
      return zstd().compress(data, level ?? 3)
    default:
      throw unknownCodec(codec)
  }
}

/** Synchronous {@link compress}; not available for zstd. */
export function compressSync(codec: number, data: Buffer, level?: number): Buffer {
  switch (codec) {
    case Compression.None:
      return data
    case Compression.Gzip:
      return zlib.gzipSync(data, level === undefined ? {} : { level })
    case Compression.Snappy:
      return snappy().compressSync(data, SNAPPY_OPTS)
    case Compression.Lz4:
      return lz4().compressFrameSync(data)
    case Compression.Zstd:
      throw new Error('zstd has no synchronous codec here; use the async compress()')
    default:
      throw unknownCodec(codec)
  }
}

/** Decompresses `data`; snappy may be raw or xerial-framed. */
export async function decompress(codec: number, data: Buffer): Promise<Buffer> {
  const input = asBuffer(data)
  try {
    switch (codec) {
      case Compression.None:
        return input
      case Compression.Gzip:
        return await unzipAsync(input)
      case Compression.Snappy: {
        const s = snappy()
        if (!isXerialSnappy(input)) return (await s.uncompress(input, SNAPPY_DEC_OPTS)) as Buffer
        const parts: Buffer[] = []
        for (const block of xerialBlocks(input)) parts.push((await s.uncompress(block, SNAPPY_DEC_OPTS)) as Buffer)
        return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
      }
      case Compression.Lz4:
        return await lz4().decompressFrame(input)
      case Compression.Zstd:
        return await zstd().decompress(input)
      default:
        throw unknownCodec(codec)
    }
  } catch (err) {
    throw corrupt(codec, err)
  }
}

/** Synchronous {@link decompress}; not available for zstd. */
export function decompressSync(codec: number, data: Buffer): Buffer {
  if (codec === Compression.Zstd) throw new Error('zstd has no synchronous codec here; use the async decompress()')
  const input = asBuffer(data)
  try {
    switch (codec) {
      case Compression.None:
        return input
      case Compression.Gzip:
        return zlib.unzipSync(input)
      case Compression.Snappy: {
        const s = snappy()
        if (!isXerialSnappy(input)) return s.uncompressSync(input, SNAPPY_DEC_OPTS) as Buffer
        const parts = xerialBlocks(input).map((block) => s.uncompressSync(block, SNAPPY_DEC_OPTS) as Buffer)
        return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
      }
      case Compression.Lz4:
        return lz4().decompressFrameSync(input)
      default:
        throw unknownCodec(codec)
    }
  } catch (err) {
    throw corrupt(codec, err)
  }
}

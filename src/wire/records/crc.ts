/**
 * CRC-32C (Castagnoli, record batches v2) and CRC-32 (IEEE, legacy v0/v1 messages).
 *
 * The native @node-rs/crc32 module is used when it loads; the pure-JS `crc-32`
 * package is the fallback. Both implementations are exported so tests can check
 * them against each other. All functions return unsigned 32-bit values and take
 * an optional previous result to continue a running checksum.
 */
import { createRequire } from 'node:module'

export type CrcFunction = (data: Uint8Array, initial?: number) => number

interface NativeCrcModule {
  crc32(input: Uint8Array, initialState?: number): number
  crc32c(input: Uint8Array, initialState?: number): number
}
interface JsCrcModule {
  buf(data: Uint8Array, seed?: number): number
}

const require = createRequire(import.meta.url)

function loadNative(): NativeCrcModule | null {
  try {
    const mod = require('@node-rs/crc32') as NativeCrcModule
    // Make sure the binary really works before trusting it.
    if ((mod.crc32c(Buffer.from('123456789')) >>> 0) !== 0xe3069283) return null
    return mod
  } catch {
    return null
  }
}

const native = loadNative()
const jsCrc32c = require('crc-32/crc32c.js') as JsCrcModule
const jsCrc32 = require('crc-32') as JsCrcModule

/** CRC-32C in pure JavaScript (crc-32 package). */
export function crc32cJs(data: Uint8Array, initial = 0): number {
  return jsCrc32c.buf(data, initial) >>> 0
}

/** CRC-32 (IEEE) in pure JavaScript (crc-32 package). */
export function crc32Js(data: Uint8Array, initial = 0): number {
  return jsCrc32.buf(data, initial) >>> 0
}

/** CRC-32C from @node-rs/crc32, or null when the native module could not be loaded. */
export const crc32cNative: CrcFunction | null = native
  ? (data, initial = 0) => native.crc32c(data, initial) >>> 0
  : null

/** CRC-32 (IEEE) from @node-rs/crc32, or null when the native module could not be loaded. */
export const crc32Native: CrcFunction | null = native
  ? (data, initial = 0) => native.crc32(data, initial) >>> 0
  : null

/** Which implementation {@link crc32c} and {@link crc32} use. */
export const crcImplementation: 'native' | 'js' = native ? 'native' : 'js'

/** CRC-32C (unsigned). `initial` is a previous result, to checksum data in pieces. */
export const crc32c: CrcFunction = crc32cNative ?? crc32cJs

/** CRC-32 IEEE (unsigned), as used by legacy v0/v1 messages. */
export const crc32: CrcFunction = crc32Native ?? crc32Js

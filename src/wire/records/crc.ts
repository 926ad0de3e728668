/**
 * CRC-32C (Castagnoli, record batches v2) and CRC-32 (IEEE, legacy v0/v1 messages).
 *
 * CRC-32C comes from Millrace's own addon (native/crc32c.c, built by `npm install`
 * with node-gyp: three interleaved hardware streams, ~4x @node-rs/crc32 on 1 MiB)
 * when it was built and the CPU has SSE4.2; then from the prebuilt @node-rs/crc32;
 * the pure-JS `crc-32` package is the last fallback. Every implementation is
 * exported so tests can check them against each other. All functions return
 * unsigned 32-bit values and take an optional previous result to continue a
 * running checksum.
 */
import { createRequire } from 'node:module'
import { nativeAddon } from '../../native/addon.js'

export type CrcFunction = (data: Uint8Array, initial?: number) => number

interface NativeCrcModule {
  crc32(input: Uint8Array, initialState?: number): number
  crc32c(input: Uint8Array, initialState?: number): number
}
interface JsCrcModule {
  buf(data: Uint8Array, seed?: number): number
}

const require = createRequire(import.meta.url)

// Loaded on first use: it is only the fallback for CRC-32C and the CRC-32 of legacy messages, and
// loading it (platform detection, then the binary) costs a start-up ~7 ms; the addon costs 0.6.
let nativeModule: NativeCrcModule | null | undefined

function loadNative(): NativeCrcModule | null {
  if (nativeModule !== undefined) return nativeModule
  nativeModule = null
  try {
    const mod = require('@node-rs/crc32') as NativeCrcModule
    // Make sure the binary really works before trusting it.
    if ((mod.crc32c(Buffer.from('123456789')) >>> 0) === 0xe3069283) nativeModule = mod
  } catch {
    // not installed or not loadable here: the JavaScript fallback
  }
  return nativeModule
}

/** The addon's CRC-32C, after checking it on the standard test vector. */
function loadAddonCrc32c(): CrcFunction | null {
  const f = nativeAddon()?.crc32c
  return f && f(Buffer.from('123456789')) === 0xe3069283 ? f : null
}

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

/** CRC-32C from @node-rs/crc32 (loaded now if it was not), or null when it cannot be loaded. */
export function nativeCrc32c(): CrcFunction | null {
  const native = loadNative()
  return native ? (data, initial = 0) => native.crc32c(data, initial) >>> 0 : null
}

/** CRC-32 (IEEE) from @node-rs/crc32 (loaded now if it was not), or null when it cannot be loaded. */
export function nativeCrc32(): CrcFunction | null {
  const native = loadNative()
  return native ? (data, initial = 0) => native.crc32(data, initial) >>> 0 : null
}

/** CRC-32C from Millrace's addon, or null when it was not built or the CPU lacks SSE4.2. */
export const crc32cAddon: CrcFunction | null = loadAddonCrc32c()

/** CRC-32C (unsigned). `initial` is a previous result, to checksum data in pieces. */
export const crc32c: CrcFunction = crc32cAddon ?? nativeCrc32c() ?? crc32cJs

/** Which implementation {@link crc32c} uses. */
export const crcImplementation: 'addon' | 'native' | 'js' = crc32c === crc32cAddon ? 'addon' : crc32c === crc32cJs ? 'js' : 'native'

let crc32Impl: CrcFunction | undefined

/** CRC-32 IEEE (unsigned), as used by legacy v0/v1 messages. */
export function crc32(data: Uint8Array, initial = 0): number {
  crc32Impl ??= nativeCrc32() ?? crc32Js
  return crc32Impl(data, initial)
}

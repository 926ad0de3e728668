// Millrace's own C addon (native/*.c), built by `npm install` with node-gyp when a compiler is
// there. Everything in it is optional: each caller has a fallback for a missing addon or function.

import { createRequire } from 'node:module'

export interface NativeAddon {
  /** CRC-32C with the SSE4.2 instruction (only on CPUs that have it). */
  crc32c?: (input: Uint8Array, initial?: number) => number
  /** Sets glibc's mmap and trim thresholds (bytes); false without glibc (native/memory.c). */
  keepFreedMemory?: (mmapThreshold: number, trimThreshold: number) => boolean
}

const require = createRequire(import.meta.url)

/** The addon's path as seen from src/native/ and from the bundle in dist/. */
const ADDON_PATHS = ['../../build/Release/millrace_native.node', '../build/Release/millrace_native.node']

let addon: NativeAddon | null | undefined

/** The addon, loaded on first call; null when it was not built here. */
export function nativeAddon(): NativeAddon | null {
  if (addon !== undefined) return addon
  addon = null
  for (const p of ADDON_PATHS) {
    try {
      addon = require(p) as NativeAddon
      break
    } catch {
      // Not at this path (or not built): try the next one.
    }
  }
  return addon
}

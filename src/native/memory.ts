// The process's heap policy: freed memory stays in the process instead of going back to the
// kernel (native/memory.c says why). For the process that runs a broker: main.ts calls it; an
// application that embeds startBroker() decides for its own process.

import { nativeAddon } from './addon.js'

/** Blocks up to this size come from malloc's heaps, where freed ones are reused. */
const MMAP_THRESHOLD = 32 << 20
/** The top of a heap goes back to the kernel only once this much of it is free. */
const TRIM_THRESHOLD = 256 << 20

/** Applies the policy; false when it could not (no addon, or a C library other than glibc). */
export function keepFreedMemory(): boolean {
  const keep = nativeAddon()?.keepFreedMemory
  return keep ? keep(MMAP_THRESHOLD, TRIM_THRESHOLD) : false
}

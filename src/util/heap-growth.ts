// How far V8 lets the old generation grow after each full collection: four times what survived it
// (V8's --heap-growing-percent=300), near the highest factor V8 picks by itself, for large heaps.
//
// Why: a broker's old generation is small (about 15 MB) beside a young generation that fills up
// to its 32 MB (two semi-spaces) under load. Under a steady 200 MB/s produce stream, V8 in Node 20
// set the old generation's limit to 38 MB for 14 MB live at the first full collection, about 10 s
// in, and from then on started marking again right after every collection (its trace:
// "Start (task)" with 24 MB of the limit left, less than the young generation): 20-25 full
// collections a second, a quarter of the event loop, every record waiting behind them (p99
// 24-26 ms over 40 s, 15-20 ms with this policy; scripts/bench/README.md has the commands). With
// the factor fixed at four there was one full collection every 5-10 s. The price is memory a busy
// broker may hold before it collects: up to four times its live heap, which idle is about 15 MB.
//
// A V8 flag, so it holds for the whole process (worker threads included), and it is part of the
// flag hash that V8's code cache is checked against: src/main-cached.ts sets it before it reads
// or writes the cache. An application that embeds startBroker() decides for its own process.

import v8 from 'node:v8'

/** The old generation's limit after a full collection, in percent above what survived it. */
export const HEAP_GROWING_PERCENT = 300

/** The V8 flag that sets it; started with this flag, a process is in the same state. */
export const HEAP_GROWTH_FLAG = `--heap-growing-percent=${HEAP_GROWING_PERCENT}`

/** Applies the policy to this process; idempotent. */
export function growHeapInLargeSteps(): void {
  v8.setFlagsFromString(HEAP_GROWTH_FLAG)
}

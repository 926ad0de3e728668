/**
 * Helpers shared by the storage tests and the crash child (not part of the public face).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { buildBatchSync, splitBatches } from '../wire/index.js'
import type { Clock, Logger } from './config.js'

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1))
}

export function makeTmpDir(prefix = 'millrace-storage-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export function rmrf(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true })
}

export interface CapturedLogger extends Logger {
  lines: string[]
  has(re: RegExp): boolean
}

export function captureLogger(echo = false): CapturedLogger {
  const lines: string[] = []
  const push = (level: string) => (m: string) => {
    lines.push(`${level} ${m}`)
    if (echo) console.error(`${level} ${m}`)
  }
  return { lines, info: push('INFO'), warn: push('WARN'), error: push('ERROR'), has: (re) => lines.some((l) => re.test(l)) }
}

export class ManualClock implements Clock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t
  }
  advance(ms: number): void {
    this.t += ms
  }
}

export interface SimpleBatchOptions {
  count?: number
  valueSize?: number
  timestamp?: number
  keys?: Array<string | null>
  values?: Array<Buffer | null>
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
  transactional?: boolean
  baseOffset?: number
  partitionLeaderEpoch?: number
  fill?: number
  compression?: number
}

/** A v2 batch of `count` records (values `valueSize` bytes filled with `fill`). */
export function batch(o: SimpleBatchOptions = {}): Buffer {
  const count = o.keys?.length ?? o.values?.length ?? o.count ?? 1
  const ts = o.timestamp ?? 1_000_000
  const records = []
  for (let i = 0; i < count; i++) {
    const key = o.keys ? (o.keys[i] === null ? null : Buffer.from(o.keys[i]!)) : null
    const value = o.values ? o.values[i]! : Buffer.alloc(o.valueSize ?? 10, (o.fill ?? i) & 0xff)
    records.push({ key, value, timestamp: ts + i })
  }
  return buildBatchSync({
    baseOffset: o.baseOffset ?? 0,
    partitionLeaderEpoch: o.partitionLeaderEpoch,
    baseTimestamp: ts,
    producerId: o.producerId,
    producerEpoch: o.producerEpoch,
    baseSequence: o.baseSequence,
    transactional: o.transactional,
    compression: o.compression,
    records,
  })
}

/** [baseOffset, lastOffset] of every batch in a records blob. */
export function batchRanges(buf: Buffer): Array<[number, number]> {
  return splitBatches(buf).map((s) => [s.header.baseOffset, s.header.baseOffset + s.header.lastOffsetDelta])
}

/**
 * Opening a partition directory: clearing the leftovers of interrupted deletes,
 * cleanings, atomic writes and segment swaps, finding the segments, and either
 * trusting them (clean shutdown) or scanning every batch after the recovery
 * point and cutting the log at the first bad one (unclean shutdown).
 */
import fs from 'node:fs'
import path from 'node:path'
import { isNotFound, unlinkIfExists } from './fsutil.js'
import { BatchScanner } from './scanner.js'
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  LogSegment,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
  TXN_INDEX_SUFFIX,
  offsetFileName,
  offsetFromFileName,
  type SegmentContext,
} from './segment.js'
import { floorSegmentIndex } from './segment-list.js'
import { completeSwaps } from './swap.js'

export interface LoadStats {
  cleanShutdown: boolean
  /** Whether any segment was scanned batch by batch (unclean start). */
  recoveryRan: boolean
  recoveredSegments: number
  recoveredBytes: number
  truncatedBytes: number
  producerReplayBatches: number
  loadTimeMs: number
}

export function emptyLoadStats(): LoadStats {
  return {
    cleanShutdown: false,
    recoveryRan: false,
    recoveredSegments: 0,
    recoveredBytes: 0,
    truncatedBytes: 0,
    producerReplayBatches: 0,
    loadTimeMs: 0,
  }
}

/**
 * Creates the directory if needed, removes leftovers, completes interrupted
 * swaps, and returns the file names and a (not yet loaded) segment for every
 * segment file, by base offset.
 */
export async function openPartitionDir(ctx: SegmentContext, dir: string): Promise<{ names: string[]; segments: LogSegment[] }> {
  let names: string[]
  try {
    names = await fs.promises.readdir(dir)
  } catch (e) {
    // A new partition. (Listing first spares the loading of thousands of existing ones a mkdir each.)
    if (!isNotFound(e)) throw e
    await fs.promises.mkdir(dir, { recursive: true })
    names = []
  }
  // Leftovers of interrupted deletes, cleanings and atomic writes.
  for (const n of names) {
    if (n.endsWith(DELETED_SUFFIX) || n.endsWith(CLEANED_SUFFIX) || n.endsWith('.tmp')) await unlinkIfExists(path.join(dir, n))
  }
  if (names.some((n) => n.endsWith(SWAP_SUFFIX) || n.endsWith('.swap.end'))) {
    await completeSwaps(dir, ctx.logger, ctx.name)
    names = await fs.promises.readdir(dir)
  }
  const nameSet = new Set(names)
  const bases = names
    .filter((n) => n.endsWith(LOG_SUFFIX) && n.length === 20 + LOG_SUFFIX.length)
    .map(offsetFromFileName)
    .filter((o) => Number.isFinite(o))
    .sort((a, b) => a - b)
  const segments = bases.map((b) => {
    const seg = LogSegment.existing(ctx, dir, b)
    seg.hasTxnIndexFile = nameSet.has(offsetFileName(b) + TXN_INDEX_SUFFIX)
    return seg
  })
  return { names, segments }
}

export interface SegmentLoadOptions {
  cleanShutdown: boolean
  /** Where recovery starts after an unclean shutdown. */
  recoveryPoint: number
  /** Where an empty directory's first segment starts. */
  logStartOffset: number
}

/**
 * The segments to keep and the log end offset: a first segment for an empty
 * directory, the files as they are after a clean shutdown, else what recovery
 * keeps. The active segment is not loaded yet.
 */
export async function loadSegments(
  ctx: SegmentContext,
  dir: string,
  segments: LogSegment[],
  names: ReadonlySet<string>,
  opts: SegmentLoadOptions,
  stats: LoadStats,
): Promise<{ segments: LogSegment[]; logEndOffset: number }> {
  stats.cleanShutdown = opts.cleanShutdown
  if (segments.length === 0) {
    const start = Math.max(opts.logStartOffset, 0)
    return { segments: [await LogSegment.create(ctx, dir, start)], logEndOffset: start }
  }
  if (opts.cleanShutdown) {
    const active = segments[segments.length - 1]!
    // Missing index files are the segment's to judge: an empty one has none, a written one warns and rebuilds them.
    await active.load()
    return { segments, logEndOffset: await active.loadTail() }
  }
  return recoverUnclean(ctx, segments, opts.recoveryPoint, names, stats)
}

/** Scans every batch after the recovery point, cutting the log at the first bad one. */
async function recoverUnclean(
  ctx: SegmentContext,
  segments: LogSegment[],
  recoveryPoint: number,
  names: ReadonlySet<string>,
  stats: LoadStats,
): Promise<{ segments: LogSegment[]; logEndOffset: number }> {
  stats.recoveryRan = true
  let idx = floorSegmentIndex(segments, recoveryPoint)
  if (idx < 0) idx = 0
  const first = segments[idx]!
  let fromPos = 0
  const prefix = offsetFileName(first.baseOffset)
  const indexesPresent = names.has(prefix + INDEX_SUFFIX) && names.has(prefix + TIME_INDEX_SUFFIX)
  if (recoveryPoint > first.baseOffset && indexesPresent) {
    await first.load()
    fromPos = await recoveryStartPosition(first, recoveryPoint)
  } else await first.prepareForRecovery()
  let minOffset = first.baseOffset
  let lastGood = idx
  for (let i = idx; i < segments.length; i++) {
    const seg = segments[i]!
    if (i > idx) await seg.prepareForRecovery()
    const res = await seg.recover(i === idx ? fromPos : 0, minOffset)
    stats.recoveredSegments++
    stats.recoveredBytes += res.validBytes - (i === idx ? fromPos : 0)
    await seg.flush(true)
    lastGood = i
    if (res.reason !== undefined) {
      stats.truncatedBytes += res.truncatedBytes
      const dropped = segments.slice(i + 1)
      ctx.logger.warn(
        `${ctx.name}: recovery stopped at offset ${res.nextOffset} (segment ${seg.baseOffset}, position ${res.validBytes}): ${res.reason}; ` +
          `truncating ${res.truncatedBytes} bytes` +
          (dropped.length ? ` and deleting ${dropped.length} later segment(s) from offset ${dropped[0]!.baseOffset}` : ''),
      )
      for (const d of dropped) {
        stats.truncatedBytes += await d.getSize().catch(() => 0)
        await d.deleteFiles()
      }
      break
    }
    minOffset = res.nextOffset
  }
  const kept = segments.slice(0, lastGood + 1)
  const active = kept[kept.length - 1]!
  let logEndOffset = active.nextOffsetKnown
  if (logEndOffset < 0) logEndOffset = active.baseOffset
  // Aborted-transaction entries past the recovered end are void (replay re-adds any that are missing).
  for (const seg of kept.slice(idx)) await seg.truncateTxnIndex(logEndOffset)
  return { segments: kept, logEndOffset }
}

/** Position in `seg` where recovery of data from `offset` on starts (the batch holding it, or where a header walk fails). */
async function recoveryStartPosition(seg: LogSegment, offset: number): Promise<number> {
  return seg.withFd(async (fd) => {
    const start = seg.offsetIndex!.lookup(offset).position
    const scanner = new BatchScanner(fd, start, seg.size, { chunkSize: 256 * 1024 })
    for (let b = await scanner.next(); b !== null; b = await scanner.next()) {
      if (b.lastOffset >= offset) return b.position
    }
    return scanner.position
  })
}

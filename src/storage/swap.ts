/**
 * Crash-safe segment replacement (the cleaner's swap). The replacement is written
 * as `<base>.log.cleaned` (+ indexes), then `<base>.swap.end` records the end
 * offset (exclusive) of the range it replaces, then the files are renamed to
 * `.swap` — the commit point — then the old segments are renamed to `.deleted`
 * and the swap files take the live names. On load, a `.log.swap` means the swap
 * committed: every live segment in [base, end) is removed and the swap installed;
 * `.cleaned` files and a `.swap.end` without a `.log.swap` are discarded.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Logger } from './config.js'
import { atomicWriteFile, closeFd, fsyncDir, openFd, readFileOrNull, unlinkIfExists, withShortLivedFile } from './fsutil.js'
import { BatchScanner } from './scanner.js'
import { INDEX_SUFFIX, LOG_SUFFIX, SWAP_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, offsetFileName, offsetFromFileName } from './segment.js'

const SWAP_END_SUFFIX = '.swap.end'

export function swapEndPath(dir: string, base: number): string {
  return path.join(dir, offsetFileName(base) + SWAP_END_SUFFIX)
}

export async function writeSwapEnd(dir: string, base: number, endOffset: number): Promise<void> {
  await atomicWriteFile(swapEndPath(dir, base), `${endOffset}\n`)
}

export async function removeSwapEnd(dir: string, base: number): Promise<void> {
  await unlinkIfExists(swapEndPath(dir, base))
}

/** Next offset after the last batch of a log file (its base when empty or unreadable). */
async function nextOffsetOfFile(file: string, base: number): Promise<number> {
  return withShortLivedFile(async () => {
    const fd = await openFd(file, 'r')
    try {
      const size = (await fs.promises.stat(file)).size
      const scanner = new BatchScanner(fd, 0, size, { chunkSize: 1 << 20 })
      let next = base
      for (let b = await scanner.next(); b !== null; b = await scanner.next()) next = b.lastOffset + 1
      return next
    } finally {
      await closeFd(fd)
    }
  })
}

/** Finishes or discards interrupted swaps in a partition directory. */
export async function completeSwaps(dir: string, logger: Logger, name: string): Promise<void> {
  let names = await fs.promises.readdir(dir)
  const logSwaps = names.filter((n) => n.endsWith(LOG_SUFFIX + SWAP_SUFFIX)).map(offsetFromFileName).filter(Number.isFinite).sort((a, b) => a - b)
  for (const base of logSwaps) {
    const prefix = offsetFileName(base)
    const swapLog = path.join(dir, prefix + LOG_SUFFIX + SWAP_SUFFIX)
    const endText = await readFileOrNull(swapEndPath(dir, base))
    let end = endText ? Number(endText.toString('utf8').trim()) : NaN
    if (!Number.isSafeInteger(end)) end = await nextOffsetOfFile(swapLog, base)
    names = await fs.promises.readdir(dir)
    for (const n of names) {
      if (!n.endsWith(LOG_SUFFIX)) continue
      const b = offsetFromFileName(n)
      if (!Number.isFinite(b) || b < base || b >= end) continue
      const p = offsetFileName(b)
      for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX]) await unlinkIfExists(path.join(dir, p + suffix))
    }
    // Install the swap: indexes first (they may be missing; then they are rebuilt), the log last.
    for (const suffix of [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX]) {
      const from = path.join(dir, prefix + suffix + SWAP_SUFFIX)
      try {
        await fs.promises.rename(from, path.join(dir, prefix + suffix))
      } catch {
        // Missing swap index: the segment's index is rebuilt when first used.
      }
    }
    await fs.promises.rename(swapLog, path.join(dir, prefix + LOG_SUFFIX))
    await removeSwapEnd(dir, base)
    logger.info(`${name}: completed an interrupted segment swap at offset ${base} (replacing offsets ${base} to ${end - 1})`)
  }
  // Leftovers that never reached the commit point.
  names = await fs.promises.readdir(dir)
  for (const n of names) {
    if (n.endsWith(SWAP_SUFFIX) || n.endsWith(SWAP_END_SUFFIX)) {
      await unlinkIfExists(path.join(dir, n))
      logger.info(`${name}: discarded ${n} of an uncommitted segment swap`)
    }
  }
  await fsyncDir(dir)
}

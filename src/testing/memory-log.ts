// A partition log in memory, for unit tests of what reads and appends whole batches (the
// coordinators' state topics): appends assign offsets, reads return whole batches as the real
// log does (at least one when asked, none past the upper bound).

import { decodeBatchRecordsSync, readBatchHeader, setBaseOffset, splitBatches, type Record as BatchRecord } from '../wire/index.js'

export class MemoryLog {
  readonly batches: Buffer[] = []
  logStartOffset = 0
  logEndOffset = 0

  /** Appends a copy of `batch` at the log end; returns its base offset. */
  append(batch: Buffer): number {
    const b = Buffer.from(batch)
    const base = this.logEndOffset
    setBaseOffset(b, 0, base)
    this.logEndOffset += readBatchHeader(b, 0).lastOffsetDelta + 1
    this.batches.push(b)
    return base
  }

  async read(offset: number, maxBytes: number, upperBound?: number, minOneMessage = true): Promise<{ records: Buffer }> {
    const out: Buffer[] = []
    let size = 0
    for (const b of this.batches) {
      const h = readBatchHeader(b, 0)
      if (h.baseOffset + h.lastOffsetDelta < offset) continue
      if (upperBound !== undefined && h.baseOffset >= upperBound) break
      if (size + b.length > maxBytes && !(minOneMessage && out.length === 0)) break
      out.push(b)
      size += b.length
    }
    return { records: Buffer.concat(out) }
  }

  /** Every record of every batch, in order. */
  allRecords(): BatchRecord[] {
    const out: BatchRecord[] = []
    for (const b of this.batches) for (const s of splitBatches(b)) out.push(...decodeBatchRecordsSync(b, s))
    return out
  }
}

// Reading a partition back from its log start, record by record: how the coordinators rebuild
// their state from __consumer_offsets and __transaction_state when they take a partition over.

import { BATCH_MAGIC, decodeBatchRecords, splitBatches, type BatchHeader, type Record as BatchRecord } from '../wire/index.js'

export interface ReplaySource {
  readonly logStartOffset: number
  readonly logEndOffset: number
  readonly log: { read(offset: number, maxBytes: number, upperBound?: number, minOneMessage?: boolean): Promise<{ records: Buffer }> }
}

/**
 * Calls `visit` for every v2 batch from the log start to the end offset seen at the start (control
 * batches too), with its decoded records at or after the read position, in log order.
 */
export async function replayBatches(src: ReplaySource, bufSize: number, visit: (header: BatchHeader, records: BatchRecord[]) => void): Promise<void> {
  const size = Math.max(1024, bufSize)
  const end = src.logEndOffset
  let offset = src.logStartOffset
  while (offset < end) {
    const { records } = await src.log.read(offset, size, end, true)
    if (records.length === 0) break
    const before = offset
    for (const b of splitBatches(records)) {
      const next = b.header.baseOffset + b.header.lastOffsetDelta + 1
      if (b.header.magic === BATCH_MAGIC && next > offset) {
        const from = offset
        visit(b.header, (await decodeBatchRecords(records, b)).filter(r => r.offset >= from))
      }
      if (next > offset) offset = next
    }
    if (offset === before) break
  }
}

/**
 * The COMMIT/ABORT marker of a transaction control batch, as producer state
 * needs it. A control batch whose marker cannot be read counts as having none.
 */
import { BATCH_HEADER_SIZE, ControlRecordType, decodeBatchRecordsSync, decodeControlRecordKey, decodeEndTxnMarkerValue, type BatchSlice } from '../wire/index.js'
import type { EndTxnMarker } from './producer-state.js'
import type { ScannedBatch } from './scanner.js'
import { sliceOf } from './segment.js'

/** The marker of the control batch `slice` of `buf`, or null. */
export function readMarkerFromSlice(buf: Buffer, slice: BatchSlice): EndTxnMarker | null {
  if (slice.size < BATCH_HEADER_SIZE) return null
  try {
    const recs = decodeBatchRecordsSync(buf, slice, { zeroCopy: true })
    const r = recs[0]
    if (!r) return null
    const key = decodeControlRecordKey(r.key)
    if (key.type !== ControlRecordType.Abort && key.type !== ControlRecordType.Commit) return null
    const value = decodeEndTxnMarkerValue(r.value)
    return { isAbort: key.type === ControlRecordType.Abort, coordinatorEpoch: value.coordinatorEpoch, timestamp: r.timestamp }
  } catch {
    return null
  }
}

/** The marker of a scanned control batch (needs whole bytes). */
export function readMarker(b: ScannedBatch): EndTxnMarker | null {
  if (!b.whole) return null
  const { buf, slice } = sliceOf(b)
  return readMarkerFromSlice(buf, slice)
}

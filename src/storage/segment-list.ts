/** Searching a list of segments ordered by base offset (a Log's copy-on-write list). */
import type { LogSegment } from './segment.js'

/** Index of the segment with the largest base offset <= offset, or -1 when every segment starts after it. */
export function floorSegmentIndex(segs: readonly LogSegment[], offset: number): number {
  let lo = 0
  let hi = segs.length - 1
  let ans = -1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    if (segs[mid]!.baseOffset <= offset) {
      ans = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  return ans
}

// Latency recording: a log-linear histogram in microseconds (1 µs steps below 2 ms, then 0.1%
// relative steps), weighted so a batch of n records acknowledged together counts n times.

const LINEAR = 2048
const SUB = 1024

export class LatencyHistogram {
  private counts = new Float64Array(LINEAR + 40 * SUB)
  count = 0
  sumUs = 0
  maxUs = 0
  minUs = Infinity

  private index(us: number): number {
    if (us < LINEAR) return us < 0 ? 0 : Math.floor(us)
    const e = Math.floor(Math.log2(us))
    const sub = Math.floor((us / 2 ** e - 1) * SUB)
    return Math.min(this.counts.length - 1, LINEAR + (e - 11) * SUB + sub)
  }

  private valueAt(i: number): number {
    if (i < LINEAR) return i + 0.5
    const e = Math.floor((i - LINEAR) / SUB) + 11
    const sub = (i - LINEAR) % SUB
    return 2 ** e * (1 + (sub + 0.5) / SUB)
  }

  /** Records `weight` samples of `us` microseconds. */
  record(us: number, weight = 1): void {
    this.counts[this.index(us)]! += weight
    this.count += weight
    this.sumUs += us * weight
    if (us > this.maxUs) this.maxUs = us
    if (us < this.minUs) this.minUs = us
  }

  /** The smallest value (µs) that index() puts in bucket i. */
  private lowerBound(i: number): number {
    if (i === 0) return -Infinity // negative values land here too
    if (i < LINEAR) return i
    const e = Math.floor((i - LINEAR) / SUB) + 11
    return 2 ** e * (1 + ((i - LINEAR) % SUB) / SUB)
  }

  /**
   * Records the n samples hiUs, hiUs - stepUs, hiUs - 2·stepUs, ...: the latencies of a batch of
   * records that arrived stepUs apart and were acknowledged together. Works bucket by bucket, not
   * sample by sample, so a throttled producer at millions of records a second does not spend its
   * own CPU (and its latency) on the bookkeeping.
   */
  recordSeries(hiUs: number, stepUs: number, n: number): void {
    if (n <= 0) return
    if (!(stepUs > 0)) return this.record(hiUs, n)
    let i = 0
    while (i < n) {
      const b = this.index(hiUs - i * stepUs)
      // Samples hiUs - j·stepUs stay in bucket b while they are at least its lower bound.
      const last = Math.min(n - 1, Math.max(i, Math.floor((hiUs - this.lowerBound(b)) / stepUs)))
      this.counts[b]! += last - i + 1
      i = last + 1
    }
    const loUs = hiUs - (n - 1) * stepUs
    this.count += n
    this.sumUs += (n * (hiUs + loUs)) / 2
    if (hiUs > this.maxUs) this.maxUs = hiUs
    if (loUs < this.minUs) this.minUs = loUs
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < other.counts.length; i++) this.counts[i]! += other.counts[i]!
    this.count += other.count
    this.sumUs += other.sumUs
    this.maxUs = Math.max(this.maxUs, other.maxUs)
    this.minUs = Math.min(this.minUs, other.minUs)
  }

  /** The value (µs) at quantile q in [0, 1]. */
  quantileUs(q: number): number {
    if (this.count === 0) return NaN
    const target = q * this.count
    let seen = 0
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!
      if (seen >= target && this.counts[i]! > 0) return Math.min(this.valueAt(i), this.maxUs)
    }
    return this.maxUs
  }

  summaryMs(): LatencySummary {
    const ms = (us: number): number => Math.round(us) / 1000
    return {
      count: this.count,
      avg: this.count ? ms(this.sumUs / this.count) : NaN,
      p50: ms(this.quantileUs(0.5)),
      p95: ms(this.quantileUs(0.95)),
      p99: ms(this.quantileUs(0.99)),
      p999: ms(this.quantileUs(0.999)),
      max: ms(this.maxUs),
    }
  }
}

export interface LatencySummary {
  count: number
  avg: number
  p50: number
  p95: number
  p99: number
  p999: number
  max: number
}

/** Microseconds since an arbitrary origin, with sub-microsecond resolution. */
export function nowUs(): number {
  return performance.now() * 1000
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n)
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

export function mib(bytes: number): number {
  return bytes / (1024 * 1024)
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export function latencyLine(l: LatencySummary): string {
  return `${l.avg.toFixed(3)} ms avg latency, ${l.p50.toFixed(3)} ms 50th, ${l.p95.toFixed(3)} ms 95th, ${l.p99.toFixed(3)} ms 99th, ${l.p999.toFixed(3)} ms 99.9th, ${l.max.toFixed(3)} ms max`
}

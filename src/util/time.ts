// Time for the coordinators (groups, transactions): the clock and one-shot timers, injectable so state machines
// can be tested with fake time. Timers never keep the process alive on their own.

export interface Timer {
  cancel(): void
}

export interface Time {
  now(): number
  /** Runs `fn` once after `ms` milliseconds, unless cancelled first. */
  schedule(ms: number, fn: () => void): Timer
}

export const systemTime: Time = {
  now: () => Date.now(),
  schedule(ms, fn) {
    const h = setTimeout(fn, Math.max(0, ms))
    h.unref()
    return { cancel: () => clearTimeout(h) }
  },
}

interface FakeEntry {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

/** Manual time for tests: `advance(ms)` fires due timers in order, letting promises settle between them. */
export class FakeTime implements Time {
  private current: number
  private seq = 0
  private readonly entries: FakeEntry[] = []

  constructor(start = 1_700_000_000_000) {
    this.current = start
  }

  now(): number {
    return this.current
  }

  schedule(ms: number, fn: () => void): Timer {
    const e: FakeEntry = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false }
    this.entries.push(e)
    return { cancel: () => void (e.cancelled = true) }
  }

  /** Timers not yet fired or cancelled. */
  get pending(): number {
    return this.entries.filter(e => !e.cancelled).length
  }

  async advance(ms: number): Promise<void> {
    const target = this.current + ms
    await settle()
    for (;;) {
      let next: FakeEntry | undefined
      for (const e of this.entries) {
        if (e.cancelled || e.at > target) continue
        if (!next || e.at < next.at || (e.at === next.at && e.seq < next.seq)) next = e
      }
      if (!next) break
      this.entries.splice(this.entries.indexOf(next), 1)
      this.current = Math.max(this.current, next.at)
      next.fn()
      await settle()
    }
    this.current = target
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i].cancelled) this.entries.splice(i, 1)
  }
}

/** Lets pending promise callbacks (and one macrotask turn) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>(r => setImmediate(r))
}

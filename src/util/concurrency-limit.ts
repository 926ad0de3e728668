// Runs at most `max` of a kind of async operation at once; the rest wait their turn in call order.
//
// Storage runs its short file jobs (storage/fsutil.ts) and its log creations through these: each
// holds files open while it runs, and a new 10,000-partition topic (or every partition at start-up)
// would otherwise open them all at the same moment and run past the process's limit on open files.

export class ConcurrencyLimit {
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(readonly max: number) {
    if (!(max >= 1)) throw new RangeError(`a concurrency limit must be at least 1, not ${max}`)
  }

  /** Operations running now. */
  get running(): number {
    return this.active
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.max) this.active++
    else await new Promise<void>(resolve => this.waiting.push(resolve))
    try {
      return await fn()
    } finally {
      // A finished operation hands its place straight to the next waiting one.
      const next = this.waiting.shift()
      if (next) next()
      else this.active--
    }
  }
}

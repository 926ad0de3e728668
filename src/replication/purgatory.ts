// Delayed operations (Kafka's "purgatory"): a long-poll Fetch or an acks=all Produce waits on
// keys (partitions); an event on a key (an append, a high-watermark move) re-checks the waiters
// of that key. Each operation completes once: when its condition holds, or when it times out.

export interface DelayedOperation {
  /** Returns true when the operation could complete now (it then must not be retried). */
  tryComplete(): boolean
  /** Called once on timeout; the operation completes with what it has. */
  onExpire(): void
}

interface Entry {
  op: DelayedOperation
  keys: string[]
  timer: NodeJS.Timeout | null
  done: boolean
}

export class Purgatory {
  private readonly watchers = new Map<string, Set<Entry>>()

  /** Completes now if it can; otherwise waits on `keys` for at most `timeoutMs`. */
  watch(op: DelayedOperation, keys: string[], timeoutMs: number): void {
    if (op.tryComplete()) return
    const entry: Entry = { op, keys, timer: null, done: false }
    for (const k of keys) {
      let set = this.watchers.get(k)
      if (!set) this.watchers.set(k, (set = new Set()))
      set.add(entry)
    }
    entry.timer = setTimeout(() => {
      if (entry.done) return
      this.finish(entry)
      op.onExpire()
    }, Math.max(0, timeoutMs))
  }

  /** Re-checks the operations waiting on `key`. */
  checkAndComplete(key: string): void {
    const set = this.watchers.get(key)
    if (!set) return
    for (const entry of [...set]) {
      if (entry.done) continue
      if (entry.op.tryComplete()) this.finish(entry)
    }
  }

  private finish(entry: Entry): void {
    entry.done = true
    if (entry.timer) clearTimeout(entry.timer)
    for (const k of entry.keys) {
      const set = this.watchers.get(k)
      if (!set) continue
      set.delete(entry)
      if (set.size === 0) this.watchers.delete(k)
    }
  }

  /** Expires everything now (shutdown): waiters answer with what they have. */
  expireAll(): void {
    const all = new Set<Entry>()
    for (const set of this.watchers.values()) for (const e of set) all.add(e)
    for (const e of all) {
      if (e.done) continue
      this.finish(e)
      e.op.onExpire()
    }
  }

  get size(): number {
    let n = 0
    for (const set of this.watchers.values()) n += set.size
    return n
  }
}

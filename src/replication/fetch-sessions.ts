// Incremental fetch sessions (KIP-227): a consumer or follower registers its partitions once and
// then sends only changes; the broker answers with only the partitions that have news.

import type { Uuid } from '../wire/index.js'

export interface SessionPartition {
  topic: string
  topicId: Uuid
  partition: number
  fetchOffset: number
  maxBytes: number
  currentLeaderEpoch: number
  /** What the client last saw, to tell whether a partition has news. */
  lastHighWatermark: number
  lastLogStartOffset: number
}

export class FetchSession {
  /** The epoch the next request must carry. */
  nextEpoch = 1
  lastUsed = Date.now()
  readonly partitions = new Map<string, SessionPartition>()

  constructor(readonly id: number) {}
}

export const FINAL_EPOCH = -1
export const INITIAL_EPOCH = 0

/** Kafka's max.incremental.fetch.session.cache.slots default. */
const DEFAULT_SLOTS = 1000
/** A session not used for this long may be evicted when the cache is full. */
const EVICTABLE_AFTER_MS = 120_000

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>()

  constructor(private readonly slots = DEFAULT_SLOTS) {}

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id)
  }

  remove(id: number): void {
    this.sessions.delete(id)
  }

  /** A new session, or null when the cache is full of recently used ones (the fetch is then sessionless). */
  create(): FetchSession | null {
    if (this.sessions.size >= this.slots) {
      const now = Date.now()
      let oldest: FetchSession | null = null
      for (const s of this.sessions.values()) if (!oldest || s.lastUsed < oldest.lastUsed) oldest = s
      if (!oldest || now - oldest.lastUsed < EVICTABLE_AFTER_MS) return null
      this.sessions.delete(oldest.id)
    }
    let id: number
    do id = 1 + Math.floor(Math.random() * 0x7ffffffe)
    while (this.sessions.has(id))
    const s = new FetchSession(id)
    this.sessions.set(id, s)
    return s
  }

  get size(): number {
    return this.sessions.size
  }
}

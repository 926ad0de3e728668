/**
 * The leader epoch cache: (epoch, start offset) pairs in increasing order, kept in
 * `leader-epoch-checkpoint` (Kafka's text format), answering OffsetForLeaderEpoch.
 */
import path from 'node:path'
import { LEADER_EPOCH_CHECKPOINT, formatLeaderEpochCheckpoint, parseLeaderEpochCheckpoint, type EpochEntry } from './checkpoint.js'
import { atomicWriteFile, readFileOrNull } from './fsutil.js'
import type { Logger } from './config.js'

export const UNDEFINED_EPOCH = -1
export const UNDEFINED_EPOCH_OFFSET = -1

export interface EpochEndOffset {
  /** The epoch (the largest known epoch <= the requested one), or -1 when unknown. */
  leaderEpoch: number
  /** The end offset of that epoch, or -1 when unknown. */
  endOffset: number
}

export class LeaderEpochCache {
  private entries: EpochEntry[] = []
  private writing: Promise<void> = Promise.resolve()
  /** What the file holds (as last read or written), or null when unknown: persist skips a write that would not change it. */
  private onDisk: string | null = null

  constructor(
    readonly file: string,
    private readonly logger?: Logger,
  ) {}

  static fileIn(dir: string): string {
    return path.join(dir, LEADER_EPOCH_CHECKPOINT)
  }

  /** Loads the checkpoint (a missing or malformed file gives an empty cache, with a warning for the latter). */
  static async load(dir: string, logger?: Logger): Promise<LeaderEpochCache> {
    const cache = new LeaderEpochCache(LeaderEpochCache.fileIn(dir), logger)
    const buf = await readFileOrNull(cache.file)
    if (buf !== null) {
      try {
        const text = buf.toString('utf8')
        const list = parseLeaderEpochCheckpoint(text, cache.file)
        for (const e of list) cache.assignEntry(e)
        cache.onDisk = text
      } catch (e) {
        logger?.warn(`${(e as Error).message}; starting with an empty leader epoch cache`)
      }
    }
    return cache
  }

  get all(): readonly EpochEntry[] {
    return this.entries
  }

  get latestEpoch(): number {
    return this.entries.length ? this.entries[this.entries.length - 1]!.epoch : UNDEFINED_EPOCH
  }

  latestEntry(): EpochEntry | undefined {
    return this.entries[this.entries.length - 1]
  }

  earliestEntry(): EpochEntry | undefined {
    return this.entries[0]
  }

  /** Kafka's assign: adds (epoch, startOffset) unless the latest entry already covers it; drops entries it contradicts. */
  private assignEntry(entry: EpochEntry): boolean {
    if (entry.epoch < 0 || entry.startOffset < 0) throw new RangeError(`invalid leader epoch entry ${entry.epoch} ${entry.startOffset}`)
    const latest = this.latestEntry()
    if (latest && latest.epoch === entry.epoch && entry.startOffset >= latest.startOffset) return false
    // Remove entries with epoch >= new epoch or start offset >= new start offset.
    while (this.entries.length) {
      const last = this.entries[this.entries.length - 1]!
      if (last.epoch >= entry.epoch || last.startOffset >= entry.startOffset) this.entries.pop()
      else break
    }
    this.entries.push({ epoch: entry.epoch, startOffset: entry.startOffset })
    return true
  }

  /** Records that `epoch` starts at `startOffset`; returns whether the cache changed (then it is persisted). */
  async assign(epoch: number, startOffset: number): Promise<boolean> {
    if (!this.assignEntry({ epoch, startOffset })) return false
    await this.persist()
    return true
  }

  /** Whether assign(epoch, offset) would change anything. */
  needsAssign(epoch: number, startOffset: number): boolean {
    const latest = this.latestEntry()
    return !latest || latest.epoch !== epoch || startOffset < latest.startOffset
  }

  /** Epoch of the batch at `offset` (the entry with the largest start offset <= offset), or -1. */
  epochForOffset(offset: number): number {
    let ans = UNDEFINED_EPOCH
    for (const e of this.entries) {
      if (e.startOffset <= offset) ans = e.epoch
      else break
    }
    return ans
  }

  /**
   * Kafka's OffsetForLeaderEpoch answer: for the latest epoch the log end offset;
   * otherwise the start offset of the first epoch above the requested one, paired
   * with the largest epoch <= requested (or the requested epoch itself when it is
   * below every known epoch). Unknown (-1, -1) for an epoch above the latest.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    if (requestedEpoch === UNDEFINED_EPOCH || this.entries.length === 0) {
      return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET }
    }
    if (requestedEpoch === this.latestEpoch) return { leaderEpoch: requestedEpoch, endOffset: logEndOffset }
    let floor: EpochEntry | undefined
    let higher: EpochEntry | undefined
    for (const e of this.entries) {
      if (e.epoch <= requestedEpoch) floor = e
      else {
        higher = e
        break
      }
    }
    if (!higher) return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET }
    if (!floor) return { leaderEpoch: requestedEpoch, endOffset: higher.startOffset }
    return { leaderEpoch: floor.epoch, endOffset: higher.startOffset }
  }

  /**
   * Removes entries whose start offset is >= endOffset (log truncation). `persist: false` keeps the
   * change in memory only, for a log being loaded: what it removes is past the end of the files, so
   * the next load removes it again, and the next write of the cache (if any) records it. An empty
   * log loses its (epoch, 0) entry here on every start and gets it back when it becomes leader:
   * writing both changes cost two fsynced files per partition per restart.
   */
  async truncateFromEnd(endOffset: number, persist = true): Promise<void> {
    const before = this.entries.length
    while (this.entries.length && this.entries[this.entries.length - 1]!.startOffset >= endOffset) this.entries.pop()
    if (this.entries.length !== before && persist) await this.persist()
  }

  /** Removes entries before startOffset; the one holding it now starts there (log start moved). `persist` as for truncateFromEnd. */
  async truncateFromStart(startOffset: number, persist = true): Promise<void> {
    let lastRemoved: EpochEntry | undefined
    let i = 0
    while (i < this.entries.length && this.entries[i]!.startOffset <= startOffset) lastRemoved = this.entries[i++]
    if (!lastRemoved) return
    if (i === 1 && lastRemoved.startOffset === startOffset) return
    this.entries = [{ epoch: lastRemoved.epoch, startOffset }, ...this.entries.slice(i)]
    if (persist) await this.persist()
  }

  async clear(): Promise<void> {
    if (this.entries.length === 0) return
    this.entries = []
    await this.persist()
  }

  /** Writes the checkpoint unless the file already holds this state (serialised: the last state always wins). */
  persist(): Promise<void> {
    const run = async (): Promise<void> => {
      const text = formatLeaderEpochCheckpoint(this.entries)
      if (text === this.onDisk) return
      this.onDisk = null // unknown until the write is done
      await atomicWriteFile(this.file, text)
      this.onDisk = text
    }
    const p = this.writing.then(run, run)
    this.writing = p.catch(() => {})
    return p
  }

  /** Points the cache at a new directory (after the partition directory was renamed). */
  withFile(file: string): LeaderEpochCache {
    const c = new LeaderEpochCache(file, this.logger)
    c.entries = this.entries.map((e) => ({ ...e }))
    c.onDisk = this.onDisk // the file moved with its directory
    return c
  }
}

// Offset retention: every offsets.retention.check.interval.ms, committed offsets past their
// expiry go, and so do the empty groups left with none, with tombstones in __consumer_offsets.

import type { CoordinatorContext } from './context.js'
import type { GroupPersistence } from './persistence.js'
import type { Timer } from '../util/index.js'

export class GroupExpiry {
  private cleanupTimer: Timer | null = null

  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly persistence: GroupPersistence,
  ) {}

  /** Runs cleanupGroupMetadata every offsets.retention.check.interval.ms until stop(). */
  start(): void {
    if (!this.ctx.registry.active) return
    const interval = Math.max(1, this.ctx.cfg().offsetsRetentionCheckIntervalMs)
    this.cleanupTimer = this.ctx.time.schedule(interval, () => {
      this.cleanupTimer = null
      void this.cleanupGroupMetadata().finally(() => this.start())
    })
  }

  /** Removes expired offsets and the empty groups left with none, writing their tombstones. Returns how many offsets went. */
  async cleanupGroupMetadata(): Promise<number> {
    const now = this.ctx.now()
    const retention = this.ctx.cfg().offsetsRetentionMs
    let removed = 0
    const writes: Promise<void>[] = []
    for (const g of [...this.ctx.registry.groups.values()]) {
      if (g.is('Dead') || !this.ctx.registry.isLoaded(g.partition)) continue
      const expired = g.removeExpiredOffsets(now, retention)
      let dead = false
      if (g.is('Empty') && !g.hasOffsets() && g.pendingMembers.size === 0) {
        g.transitionTo('Dead', now)
        this.ctx.registry.groups.delete(g.groupId)
        dead = true
        this.ctx.log.info(`group ${g.groupId} transitioned to Dead in generation ${g.generationId}`)
      }
      if (expired.length > 0 || dead) {
        removed += expired.length
        writes.push(this.persistence.writeTombstones(g, expired, dead))
      }
    }
    await Promise.all(writes)
    if (removed > 0) this.ctx.log.info(`removed ${removed} expired offsets`)
    return removed
  }

  /** Cancels the next run. */
  stop(): void {
    this.cleanupTimer?.cancel()
    this.cleanupTimer = null
  }
}

/**
 * Kafka's asynchronous segment deletion: a segment leaving the log is renamed
 * to *.deleted at once (readers keep their open descriptors) and its files are
 * removed file.delete.delay.ms later.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Logger } from './config.js'
import { isNotFound, unlinkIfExists } from './fsutil.js'
import { DELETED_SUFFIX, type LogSegment } from './segment.js'

export class SegmentDeleter {
  private readonly timers = new Set<NodeJS.Timeout>()

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly name: string,
    private readonly delayMs: () => number,
  ) {}

  /** Marks the segment deleted and renames its files to *.deleted (already gone is fine). */
  async retire(seg: LogSegment): Promise<void> {
    seg.deleted = true
    seg.active = false
    try {
      await seg.changeSuffix(DELETED_SUFFIX)
    } catch (e) {
      if (!isNotFound(e)) throw e
    }
  }

  /** Removes a retired segment's files after file.delete.delay.ms. */
  scheduleDelete(seg: LogSegment): void {
    const run = (): void => {
      seg.deleteFiles().catch((e) => this.logger.warn(`${this.name}: deleting ${seg.filePath()}: ${(e as Error).message}`))
    }
    const t = setTimeout(() => {
      this.timers.delete(t)
      run()
    }, Math.min(this.delayMs(), 0x7fffffff))
    t.unref()
    this.timers.add(t)
  }

  /** Forgets the scheduled deletions (their files stay until the next open). */
  cancelPending(): void {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }

  /** Cancels the scheduled deletions and deletes every *.deleted file of the directory now. */
  async deletePendingNow(): Promise<void> {
    this.cancelPending()
    const names = await fs.promises.readdir(this.dir).catch(() => [] as string[])
    for (const n of names) if (n.endsWith(DELETED_SUFFIX)) await unlinkIfExists(path.join(this.dir, n))
  }
}

/**
 * A bounded pool of open segment file descriptors shared by every log of a
 * LogManager. Users lease a descriptor for the length of one I/O operation; idle
 * descriptors are closed least-recently-used first once more than `maxOpen` are
 * open, so thousands of partitions stay under the process's file limit.
 */
import fs from 'node:fs'
import { closeFd, openFd, softOpenFileLimit } from './fsutil.js'

/**
 * Half the process's soft limit on open files, between 64 and 10000 (10000 when unlimited); 500
 * where the limit cannot be read. The other half is left for sockets and short-lived files (fsutil.withShortLivedFile).
 */
export function defaultMaxOpenFiles(): number {
  const soft = softOpenFileLimit()
  if (soft === null) return 500
  return Math.max(64, Math.min(10000, Math.floor(soft / 2)))
}

/** Something with a file the pool can open (a segment's .log file). */
export interface PooledFile {
  /** Current path of the file (it can change when the file is renamed). */
  filePath(): string
  /** Called after the pool closed this file's descriptor (to drop cached state). */
  onPoolEvict?(): void
}

interface Entry {
  owner: PooledFile
  fd: number
  refs: number
  /** Close when the last lease is released. */
  doomed: boolean
}

export interface FilePoolStats {
  open: number
  opens: number
  evictions: number
}

export class FilePool {
  private readonly entries = new Map<PooledFile, Entry>()
  private readonly opening = new Map<PooledFile, Promise<Entry>>()
  private opens = 0
  private evictions = 0

  constructor(public maxOpen = defaultMaxOpenFiles()) {}

  get stats(): FilePoolStats {
    return { open: this.entries.size, opens: this.opens, evictions: this.evictions }
  }

  /** Leases the descriptor if it is open already (no I/O); -1 otherwise. Call release() after a lease. */
  tryAcquire(owner: PooledFile): number {
    const e = this.entries.get(owner)
    if (!e || e.doomed) return -1
    e.refs++
    this.entries.delete(owner)
    this.entries.set(owner, e)
    return e.fd
  }

  /**
   * acquire() on the calling thread: opens the file synchronously when its descriptor was closed
   * (rare: more segments in use than maxOpen). For writes that must happen before this turn ends.
   */
  acquireSync(owner: PooledFile): number {
    const leased = this.tryAcquire(owner)
    if (leased >= 0) return leased
    const fd = fs.openSync(owner.filePath(), fs.constants.O_RDWR)
    this.opens++
    const old = this.entries.get(owner)
    if (old) {
      // Still leased (a forget() is waiting for it): it closes on its release.
      this.entries.delete(owner)
      this.doomedEntries.add(old)
    }
    this.entries.set(owner, { owner, fd, refs: 1, doomed: false })
    this.evictIdle()
    return fd
  }

  /** Leases the descriptor of `owner`'s file (opened read-write), opening it if needed. Call release() after. */
  async acquire(owner: PooledFile): Promise<number> {
    let e = this.entries.get(owner)
    if (e && !e.doomed) {
      e.refs++
      // Move to the most-recently-used end.
      this.entries.delete(owner)
      this.entries.set(owner, e)
      return e.fd
    }
    let p = this.opening.get(owner)
    if (!p) {
      p = (async () => {
        let fd: number
        try {
          fd = await openFd(owner.filePath(), fs.constants.O_RDWR)
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code
          if (code !== 'EMFILE' && code !== 'ENFILE') throw e
          // Out of descriptors: close every idle one and try once more.
          await this.closeIdle()
          fd = await openFd(owner.filePath(), fs.constants.O_RDWR)
        }
        this.opens++
        const entry: Entry = { owner, fd, refs: 0, doomed: false }
        return entry
      })()
      this.opening.set(owner, p)
      p.then(
        (entry) => {
          this.opening.delete(owner)
          const old = this.entries.get(owner)
          if (old) {
            // A doomed entry is still leased; let it close on release.
            this.entries.delete(owner)
            this.doomedEntries.add(old)
          }
          this.entries.set(owner, entry)
        },
        () => this.opening.delete(owner),
      )
    }
    e = await p
    e.refs++
    this.evictIdle()
    return e.fd
  }

  private readonly doomedEntries = new Set<Entry>()

  release(owner: PooledFile, fd: number): void {
    const e = this.entries.get(owner)
    if (e && e.fd === fd) {
      e.refs--
      if (e.refs <= 0 && e.doomed) {
        this.entries.delete(owner)
        this.closeEntry(e)
      } else if (e.refs <= 0 && this.entries.size > this.maxOpen) this.evictIdle()
      return
    }
    for (const d of this.doomedEntries) {
      if (d.owner === owner && d.fd === fd) {
        d.refs--
        if (d.refs <= 0) {
          this.doomedEntries.delete(d)
          this.closeEntry(d)
        }
        return
      }
    }
  }

  /** Runs fn with a leased descriptor. */
  async withFd<T>(owner: PooledFile, fn: (fd: number) => Promise<T>): Promise<T> {
    const fd = await this.acquire(owner)
    try {
      return await fn(fd)
    } finally {
      this.release(owner, fd)
    }
  }

  /** Forgets `owner`: closes its descriptor now, or when its last lease ends. */
  async forget(owner: PooledFile): Promise<void> {
    const pending = this.opening.get(owner)
    if (pending) await pending.catch(() => {})
    const e = this.entries.get(owner)
    if (!e) return
    if (e.refs <= 0) {
      this.entries.delete(owner)
      await this.closeEntry(e)
    } else {
      e.doomed = true
    }
  }

  /** True when the pool holds an open descriptor for owner. */
  isOpen(owner: PooledFile): boolean {
    return this.entries.has(owner)
  }

  private evictIdle(): void {
    if (this.entries.size <= this.maxOpen) return
    for (const [owner, e] of this.entries) {
      if (this.entries.size <= this.maxOpen) break
      if (e.refs > 0) continue
      this.entries.delete(owner)
      this.evictions++
      void this.closeEntry(e)
    }
  }

  private async closeEntry(e: Entry): Promise<void> {
    try {
      await closeFd(e.fd)
    } catch {
      // Already closed or invalid: nothing to do.
    }
    try {
      e.owner.onPoolEvict?.()
    } catch {
      // Owners' hooks must not break the pool.
    }
  }

  /** Closes every idle descriptor. */
  async closeIdle(): Promise<void> {
    const closing: Promise<void>[] = []
    for (const [owner, e] of this.entries) {
      if (e.refs > 0) continue
      this.entries.delete(owner)
      this.evictions++
      closing.push(this.closeEntry(e))
    }
    await Promise.all(closing)
  }

  /** Closes every idle descriptor and dooms the leased ones. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.opening.values()].map((p) => p.catch(() => {})))
    const closing: Promise<void>[] = []
    for (const [owner, e] of this.entries) {
      if (e.refs <= 0) {
        this.entries.delete(owner)
        closing.push(this.closeEntry(e))
      } else e.doomed = true
    }
    await Promise.all(closing)
  }
}

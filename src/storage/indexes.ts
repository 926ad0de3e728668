/**
 * Kafka's sparse segment indexes, kept in memory and persisted to their files
 * (same on-disk layout as Kafka, big-endian, no preallocation):
 *   .index      8-byte entries: relative offset int32, file position int32
 *   .timeindex 12-byte entries: timestamp int64, relative offset int32
 * Offset index keys are the last offset of the batch that starts at the position.
 */
import fs from 'node:fs'
import { readInt64Number, writeInt64Number } from '../wire/index.js'
import { closeFd, fsyncFd, ftruncate, openFd, withShortLivedFile, writeAt } from './fsutil.js'

const INITIAL_ENTRIES = 32

export class IndexCorruptError extends Error {
  constructor(file: string, why: string) {
    super(`corrupt index ${file}: ${why}`)
    this.name = 'IndexCorruptError'
  }
}

abstract class SegmentIndex {
  protected buf: Buffer
  protected count = 0
  readonly maxEntries: number
  /** Bytes at the start of the file known to equal buf. */
  private persistedBytes = 0
  /** Current length of the file (may exceed what buf holds after a truncation). */
  private fileBytes = 0
  /** The file is known to be fsynced with the current contents. */
  private synced = true

  constructor(
    public path: string,
    readonly baseOffset: number,
    maxIndexSize: number,
    readonly entrySize: number,
  ) {
    this.maxEntries = Math.max(1, Math.floor(maxIndexSize / entrySize))
    this.buf = Buffer.alloc(0)
  }

  get entries(): number {
    return this.count
  }
  get sizeInBytes(): number {
    return this.count * this.entrySize
  }
  isFull(): boolean {
    return this.count >= this.maxEntries
  }
  /** True when entries exist that are not yet written to the file. */
  get dirty(): boolean {
    return this.persistedBytes !== this.sizeInBytes || this.fileBytes !== this.sizeInBytes
  }

  protected reserveOne(): void {
    this.synced = false
    const need = (this.count + 1) * this.entrySize
    if (need <= this.buf.length) return
    let cap = Math.max(INITIAL_ENTRIES, Math.ceil((this.buf.length / this.entrySize) * 2))
    cap = Math.min(Math.max(cap, this.count + 1), Math.max(this.maxEntries, this.count + 1))
    const next = Buffer.allocUnsafe(cap * this.entrySize)
    this.buf.copy(next, 0, 0, this.count * this.entrySize)
    this.buf = next
  }

  /** Keeps the first n entries. */
  protected keepEntries(n: number): void {
    if (n >= this.count) return
    this.synced = false
    this.count = Math.max(0, n)
    const bytes = this.count * this.entrySize
    if (this.persistedBytes > bytes) this.persistedBytes = bytes
  }

  reset(): void {
    this.keepEntries(0)
  }

  /** Replaces the contents with a file's bytes (already read); they count as persisted. */
  loadFrom(data: Buffer): void {
    if (data.length % this.entrySize !== 0) {
      throw new IndexCorruptError(this.path, `size ${data.length} is not a multiple of ${this.entrySize}`)
    }
    this.buf = data
    this.count = data.length / this.entrySize
    this.persistedBytes = this.fileBytes = data.length
    this.check()
  }

  /** Throws IndexCorruptError when entries are not monotone. */
  protected abstract check(): void

  /** Writes entries not yet on disk (and cuts the file after a truncation); fsyncs when asked. */
  async persist(sync: boolean): Promise<void> {
    const size = this.sizeInBytes
    if (!this.dirty && (!sync || this.synced)) return
    await withShortLivedFile(async () => {
      const fd = await openFd(this.path, fs.constants.O_RDWR | fs.constants.O_CREAT)
      try {
        if (this.persistedBytes < size) await writeAt(fd, this.buf, this.persistedBytes, size - this.persistedBytes, this.persistedBytes)
        if (this.fileBytes > size || this.fileBytes < size) await ftruncate(fd, size)
        if (sync) await fsyncFd(fd)
      } finally {
        await closeFd(fd)
      }
    })
    this.persistedBytes = this.fileBytes = size
    if (sync) this.synced = true
  }

  /** Marks the whole index as not on disk (e.g. after the file was deleted or replaced). */
  markUnpersisted(fileBytes = 0): void {
    this.synced = false
    this.persistedBytes = 0
    this.fileBytes = fileBytes
  }

  /** Shrinks the buffer to the entries (for inactive segments). */
  trim(): void {
    const size = this.sizeInBytes
    if (this.buf.length > size) this.buf = Buffer.from(this.buf.subarray(0, size))
  }

  /** A copy of the entries' bytes (Kafka's file layout). */
  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.sizeInBytes))
  }
}

export interface OffsetPosition {
  offset: number
  position: number
}

export class OffsetIndex extends SegmentIndex {
  static readonly ENTRY_SIZE = 8

  constructor(path: string, baseOffset: number, maxIndexSize: number) {
    super(path, baseOffset, maxIndexSize, OffsetIndex.ENTRY_SIZE)
  }

  relativeOffsetAt(i: number): number {
    return this.buf.readInt32BE(i * 8)
  }
  offsetAt(i: number): number {
    return this.baseOffset + this.buf.readInt32BE(i * 8)
  }
  positionAt(i: number): number {
    return this.buf.readInt32BE(i * 8 + 4)
  }

  /** The last entry, or {baseOffset, 0} when empty. */
  lastEntry(): OffsetPosition {
    if (this.count === 0) return { offset: this.baseOffset, position: 0 }
    return { offset: this.offsetAt(this.count - 1), position: this.positionAt(this.count - 1) }
  }

  /** Appends an entry; ignores one that does not move forward. */
  append(offset: number, position: number): boolean {
    const rel = offset - this.baseOffset
    if (rel < 0 || rel > 0x7fffffff) throw new RangeError(`offset ${offset} does not fit index with base ${this.baseOffset}`)
    if (this.count > 0 && (rel <= this.relativeOffsetAt(this.count - 1) || position <= this.positionAt(this.count - 1))) {
      return false
    }
    if (this.isFull()) throw new RangeError(`offset index ${this.path} is full (${this.maxEntries} entries)`)
    this.reserveOne()
    const at = this.count * 8
    this.buf.writeInt32BE(rel, at)
    this.buf.writeInt32BE(position, at + 4)
    this.count++
    return true
  }

  /** Index of the last entry whose offset is <= target, or -1. */
  private floorIndex(target: number): number {
    const rel = target - this.baseOffset
    let lo = 0
    let hi = this.count - 1
    let ans = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.buf.readInt32BE(mid * 8) <= rel) {
        ans = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    return ans
  }

  /**
   * The position to start scanning from for `target`: the largest entry with
   * offset <= target (entries are batch last offsets, so the batch holding
   * target starts at or after it), else the segment start.
   */
  lookup(target: number): OffsetPosition {
    const i = this.floorIndex(target)
    if (i < 0) return { offset: this.baseOffset, position: 0 }
    return { offset: this.offsetAt(i), position: this.positionAt(i) }
  }

  /** Removes the entries with offset >= target. */
  truncateToOffset(target: number): void {
    const i = this.floorIndex(target - 1)
    this.keepEntries(i + 1)
  }

  /** Removes the entries whose position is >= pos. */
  truncateToPosition(pos: number): void {
    let n = this.count
    while (n > 0 && this.positionAt(n - 1) >= pos) n--
    this.keepEntries(n)
  }

  protected check(): void {
    let prevRel = -1
    let prevPos = -1
    for (let i = 0; i < this.count; i++) {
      const rel = this.relativeOffsetAt(i)
      const pos = this.positionAt(i)
      if (rel < 0 || pos < 0) throw new IndexCorruptError(this.path, `negative entry ${i}`)
      if (i > 0 && (rel <= prevRel || pos <= prevPos)) throw new IndexCorruptError(this.path, `entry ${i} is not after entry ${i - 1}`)
      prevRel = rel
      prevPos = pos
    }
  }

  /** Throws IndexCorruptError if an entry points past `logSize`. */
  checkAgainstLog(logSize: number): void {
    if (this.count > 0 && this.positionAt(this.count - 1) >= logSize) {
      throw new IndexCorruptError(this.path, `last entry position ${this.positionAt(this.count - 1)} is past the log end ${logSize}`)
    }
  }
}

export interface TimestampOffset {
  timestamp: number
  offset: number
}

export class TimeIndex extends SegmentIndex {
  static readonly ENTRY_SIZE = 12

  constructor(path: string, baseOffset: number, maxIndexSize: number) {
    super(path, baseOffset, maxIndexSize, TimeIndex.ENTRY_SIZE)
  }

  timestampAt(i: number): number {
    return readInt64Number(this.buf, i * 12)
  }
  offsetAt(i: number): number {
    return this.baseOffset + this.buf.readInt32BE(i * 12 + 8)
  }

  /** The last entry, or {timestamp: -1, offset: baseOffset} when empty. */
  lastEntry(): TimestampOffset {
    if (this.count === 0) return { timestamp: -1, offset: this.baseOffset }
    return { timestamp: this.timestampAt(this.count - 1), offset: this.offsetAt(this.count - 1) }
  }

  /**
   * Appends (timestamp, offset) when the timestamp is larger than the last
   * entry's (Kafka's maybeAppend). With skipFullCheck an entry is added even to a
   * full index (used once when a segment becomes inactive).
   */
  maybeAppend(timestamp: number, offset: number, skipFullCheck = false): boolean {
    if (timestamp < 0) return false
    if (this.count > 0) {
      if (timestamp <= this.timestampAt(this.count - 1)) return false
      if (offset < this.offsetAt(this.count - 1)) return false
    }
    if (this.isFull() && !skipFullCheck) return false
    const rel = offset - this.baseOffset
    if (rel < 0 || rel > 0x7fffffff) return false
    this.reserveOne()
    const at = this.count * 12
    writeInt64Number(this.buf, at, timestamp)
    this.buf.writeInt32BE(rel, at + 8)
    this.count++
    return true
  }

  /** The last entry with timestamp <= ts, or {timestamp: -1, offset: baseOffset}. */
  lookup(ts: number): TimestampOffset {
    let lo = 0
    let hi = this.count - 1
    let ans = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.timestampAt(mid) <= ts) {
        ans = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    if (ans < 0) return { timestamp: -1, offset: this.baseOffset }
    return { timestamp: this.timestampAt(ans), offset: this.offsetAt(ans) }
  }

  /** Removes the entries whose offset is >= target. */
  truncateToOffset(target: number): void {
    let n = this.count
    while (n > 0 && this.offsetAt(n - 1) >= target) n--
    this.keepEntries(n)
  }

  protected check(): void {
    let prevTs = -1
    let prevRel = -1
    for (let i = 0; i < this.count; i++) {
      const ts = this.timestampAt(i)
      const rel = this.buf.readInt32BE(i * 12 + 8)
      if (rel < 0) throw new IndexCorruptError(this.path, `negative offset in entry ${i}`)
      if (i > 0 && (ts <= prevTs || rel < prevRel)) throw new IndexCorruptError(this.path, `entry ${i} is not after entry ${i - 1}`)
      prevTs = ts
      prevRel = rel
    }
  }
}

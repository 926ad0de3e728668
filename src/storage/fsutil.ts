/**
 * Thin promise wrappers over node's callback fs API on raw file descriptors
 * (positional reads and writes), plus atomic file replacement.
 */
import fs from 'node:fs'
import path from 'node:path'
import { ConcurrencyLimit } from '../util/index.js'

/** The process's soft limit on open files (Linux: /proc/self/limits; Infinity when unlimited), or null where it cannot be read. */
export function softOpenFileLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))
    if (m) return m[1] === 'unlimited' ? Infinity : Number(m[1])
  } catch {
    // Not Linux.
  }
  return null
}

/**
 * Files opened for one short job and closed again (checkpoints, partition.metadata, index writes,
 * directory fsyncs): at most an eighth of the open-file limit (8 to 128) at once. Thousands of
 * partitions doing such a job together (a new topic, every partition at start-up) would otherwise
 * each open theirs at the same moment and run past the limit, which the pool of segment files
 * (file-pool.ts) already shares with the sockets. A job never starts another inside itself, so a
 * full limit cannot deadlock.
 */
const shortLivedFiles = new ConcurrencyLimit(Math.max(8, Math.min(128, Math.floor((softOpenFileLimit() ?? 1024) / 8))))

/** Runs `job`, which opens a file and closes it before it ends, within the limit above. */
export function withShortLivedFile<T>(job: () => Promise<T>): Promise<T> {
  return shortLivedFiles.run(job)
}

export function openFd(file: string, flags: string | number, mode = 0o644): Promise<number> {
  return new Promise((resolve, reject) => fs.open(file, flags, mode, (err, fd) => (err ? reject(err) : resolve(fd))))
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())))
}

/** One positional read; resolves with the number of bytes read (may be short at end of file). */
export function readAt(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.read(fd, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))),
  )
}

/** Reads until `length` bytes or end of file; resolves with the bytes read. */
export async function readFully(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  let done = 0
  while (done < length) {
    const n = await readAt(fd, buf, offset + done, length - done, position + done)
    if (n === 0) break
    done += n
  }
  return done
}

/**
 * The same as writeAt, on the calling thread. A write into the page cache takes microseconds,
 * less than the hop to libuv's thread pool and back, so small appends use this (as Kafka's
 * request threads write synchronously too).
 */
export function writeAtSync(fd: number, buf: Buffer, offset: number, length: number, position: number): void {
  let done = 0
  while (done < length) {
    const n = fs.writeSync(fd, buf, offset + done, length - done, position + done)
    if (n === 0) throw new Error(`write of ${length} bytes at ${position} made no progress`)
    done += n
  }
}

/** Writes every buffer, in order, from `position` on the calling thread: one writev (more only on a short write). */
export function writevAtSync(fd: number, bufs: Buffer[], position: number): void {
  if (bufs.length === 1) return writeAtSync(fd, bufs[0]!, 0, bufs[0]!.length, position)
  let total = 0
  for (const b of bufs) total += b.length
  const done = fs.writevSync(fd, bufs, position)
  if (done < total) {
    const rest = Buffer.concat(bufs, total)
    writeAtSync(fd, rest, done, total - done, position + done)
  }
}

/** readFully on the calling thread, for small reads that the page cache most likely holds. */
export function readFullySync(fd: number, buf: Buffer, offset: number, length: number, position: number): number {
  let done = 0
  while (done < length) {
    const n = fs.readSync(fd, buf, offset + done, length - done, position + done)
    if (n === 0) break
    done += n
  }
  return done
}

/** Writes all of buf[offset, offset+length) at `position` (one write; more only on a short write). */
export function writeAt(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = 0
    const step = (): void => {
      fs.write(fd, buf, offset + done, length - done, position + done, (err, n) => {
        if (err) return reject(err)
        done += n
        if (done >= length) resolve()
        else if (n === 0) reject(new Error(`write of ${length} bytes at ${position} made no progress`))
        else step()
      })
    }
    if (length <= 0) resolve()
    else step()
  })
}

function writevOnce(fd: number, bufs: Buffer[], position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.writev(fd, bufs, position, (err, n) => (err ? reject(err) : resolve(n))))
}

/** Writes the buffers back to back at `position` with one writev (more on short writes). */
export async function writevAt(fd: number, bufs: Buffer[], position: number): Promise<void> {
  if (bufs.length === 1) return writeAt(fd, bufs[0]!, 0, bufs[0]!.length, position)
  let total = 0
  for (const b of bufs) total += b.length
  let done = await writevOnce(fd, bufs, position)
  if (done === total) return
  // Short write: finish buffer by buffer.
  let skip = done
  for (const b of bufs) {
    if (skip >= b.length) {
      skip -= b.length
      continue
    }
    await writeAt(fd, b, skip, b.length - skip, position + done)
    done += b.length - skip
    skip = 0
  }
}

export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())))
}

export function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())))
}

export function ftruncate(fd: number, len: number): Promise<void> {
  return new Promise((resolve, reject) => fs.ftruncate(fd, len, (err) => (err ? reject(err) : resolve())))
}

export function fstatSize(fd: number): Promise<number> {
  return new Promise((resolve, reject) => fs.fstat(fd, (err, st) => (err ? reject(err) : resolve(st.size))))
}

/** fsync a directory so renames and creations in it are durable. Best effort on platforms that refuse. */
export function fsyncDir(dir: string): Promise<void> {
  return withShortLivedFile(async () => {
    let fd: number
    try {
      fd = await openFd(dir, 'r')
    } catch {
      return
    }
    try {
      await fsyncFd(fd)
    } catch {
      // Some file systems do not support fsync on directories.
    } finally {
      await closeFd(fd).catch(() => {})
    }
  })
}

let tmpCounter = 0

/**
 * Replaces `file` atomically: writes a temp file next to it, fsyncs it, renames
 * it over `file`, and fsyncs the directory. A crash leaves either the old or
 * the new contents (and maybe a stray *.tmp, which loaders delete).
 */
export async function atomicWriteFile(file: string, data: Buffer | string, sync = true): Promise<void> {
  const tmp = `${file}.${process.pid}.${++tmpCounter}.tmp`
  await withShortLivedFile(async () => {
    const fd = await openFd(tmp, 'w')
    try {
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
      await writeAt(fd, buf, 0, buf.length, 0)
      if (sync) await fsyncFd(fd)
    } catch (e) {
      await closeFd(fd).catch(() => {})
      await fs.promises.rm(tmp, { force: true })
      throw e
    }
    await closeFd(fd)
  })
  await fs.promises.rename(tmp, file)
  // After the job above has given back its place: fsyncDir takes one of its own.
  if (sync) await fsyncDir(path.dirname(file))
}

/** Reads a whole file, or null when it does not exist. */
export async function readFileOrNull(file: string): Promise<Buffer | null> {
  try {
    // The callback form: fs.promises.readFile's FileHandle costs twice as much per small file (55 vs 25 us measured), which loading thousands of partitions pays several times each.
    return await withShortLivedFile(() => new Promise<Buffer>((resolve, reject) => fs.readFile(file, (err, buf) => (err ? reject(err) : resolve(buf)))))
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw e
  }
}

export async function unlinkIfExists(file: string): Promise<void> {
  try {
    await fs.promises.unlink(file)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
}

export async function renameIfExists(from: string, to: string): Promise<boolean> {
  try {
    await fs.promises.rename(from, to)
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw e
  }
}

export function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}

/**
 * Storage engine benchmark. Run: npx tsx scripts/bench-storage.ts [--size-mb 64] [--rounds 11] [--recovery-mb 1024] [--dir PATH]
 *
 * In one run on the same disk: the raw sequential write ceiling (fs.write through
 * the thread pool, and fs.writeSync for comparison), Log.append
 * throughput with 16 KiB and 1 MiB batches (and the ratio to the ceiling), read
 * throughput from the tail and from older segments, random-offset lookup
 * latency, and LogManager start-up time for 10 partitions after a clean and after
 * an unclean shutdown. Buffers are reused on the hot paths.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { buildBatchSync, crc32c } from '../src/wire/index.js'
import { FilePool, Log, LogManager, silentLogger } from '../src/storage/index.js'

const args = process.argv.slice(2)
function arg(name: string, def: number): number {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : def
}
function sarg(name: string, def: string): string {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1]! : def
}
const MB = 1024 * 1024
const sizeMb = arg('--size-mb', 64)
const recoveryMb = arg('--recovery-mb', 1024)
const root = sarg('--dir', path.join(os.tmpdir(), `millrace-bench-${process.pid}`))
fs.mkdirSync(root, { recursive: true })

const rows: Array<[string, string]> = []
function report(name: string, value: string): void {
  rows.push([name, value])
  console.log(`${name.padEnd(58)} ${value}`)
}
function fresh(name: string): string {
  const d = path.join(root, name)
  fs.rmSync(d, { recursive: true, force: true })
  fs.mkdirSync(d, { recursive: true })
  return d
}
const mbps = (bytes: number, ms: number): number => bytes / MB / (ms / 1000)
/** Writes back all dirty pages so the next measurement starts from the same state. */
function settle(): void {
  try {
    execFileSync('sync')
  } catch {
    // No sync(1): measurements are noisier.
  }
}

/**
 * Raw ceiling: sequential positional writes of one reused buffer into a fresh file, either
 * fs.write awaited one at a time or fs.writeSync.
 */
async function rawWrite(dir: string, chunk: number, total: number, sync: boolean): Promise<number> {
  const buf = Buffer.alloc(chunk, 7)
  const file = path.join(dir, `raw-${chunk}.bin`)
  const fd = fs.openSync(file, 'w')
  const write = (pos: number) => new Promise<void>((res, rej) => fs.write(fd, buf, 0, chunk, pos, (e) => (e ? rej(e) : res())))
  const t0 = performance.now()
  if (sync) for (let pos = 0; pos < total; pos += chunk) fs.writeSync(fd, buf, 0, chunk, pos)
  else for (let pos = 0; pos < total; pos += chunk) await write(pos)
  const ms = performance.now() - t0
  fs.closeSync(fd)
  fs.rmSync(file)
  return mbps(total, ms)
}

/** One batch of exactly `batchBytes` bytes (records of up to 16 KiB; the last one's value pads it out). */
function makeBatch(batchBytes: number): Buffer {
  const recordSize = Math.min(batchBytes, 16 * 1024)
  const n = Math.max(1, Math.floor(batchBytes / (recordSize + 20)))
  const value = Buffer.alloc(recordSize - 30, 0x61)
  let lastValueBytes = value.length
  for (;;) {
    const records = Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`key-${i}`), value: i === n - 1 ? Buffer.alloc(lastValueBytes, 0x61) : value }))
    const batch = buildBatchSync({ baseTimestamp: Date.now(), records })
    // Varint lengths can grow by a byte as the value grows: converge in a step or two.
    if (batch.length === batchBytes || lastValueBytes <= 0) return batch
    lastValueBytes += batchBytes - batch.length
  }
}

async function appendBench(dir: string, batchBytes: number, total: number, cfg: Record<string, unknown> = {}): Promise<{ mbps: number; bps: number; log: Log; batches: number }> {
  const b = makeBatch(batchBytes)
  const log = await Log.open({ dir: path.join(dir, 'bench-0'), logger: silentLogger, config: { maxMessageBytes: 4 * MB, ...cfg } })
  const count = Math.floor(total / b.length)
  // Warm-up (first touch of the file pages and code paths).
  for (let i = 0; i < Math.min(20, count); i++) await log.append(b, 0)
  const t0 = performance.now()
  for (let i = 0; i < count; i++) await log.append(b, 0)
  const ms = performance.now() - t0
  return { mbps: mbps(count * b.length, ms), bps: count / (ms / 1000), log, batches: count }
}

async function readBench(log: Log, from: number, to: number, maxBytes: number): Promise<number> {
  let off = from
  let bytes = 0
  const t0 = performance.now()
  while (off < to) {
    const r = await log.read(off, maxBytes, to)
    if (r.records.length === 0) break
    bytes += r.records.length
    off = r.nextOffset
  }
  return mbps(bytes, performance.now() - t0)
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
}

async function main(): Promise<void> {
  console.log(`millrace storage benchmark: ${root} (size ${sizeMb} MiB, recovery ${recoveryMb} MiB), node ${process.version}, ${os.cpus().length} cpus`)
  const total = sizeMb * MB
  let dir: string

  // 1. Raw ceilings and appends, in rounds on fresh files, the order rotating from round to round,
  //    so that all three see the same disk and page-cache conditions; medians are reported.
  const rounds = arg('--rounds', 11)
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const compare = async (label: string, batchBytes: number, bytes: number, cfg: Record<string, unknown>): Promise<{ log: Log; dir: string }> => {
    const rawAsync: number[] = []
    const rawSync: number[] = []
    const apps: number[] = []
    const bps: number[] = []
    let last = null as { log: Log; dir: string } | null
    for (let r = 0; r < rounds; r++) {
      if (last) {
        await last.log.close()
        fs.rmSync(last.dir, { recursive: true, force: true })
      }
      const d = fresh(`append-${batchBytes}-${r}`)
      // Each starts from a clean page-cache state (no dirty pages).
      const runs = [
        async (): Promise<void> => {
          settle()
          rawAsync.push(await rawWrite(d, batchBytes, bytes, false))
        },
        async (): Promise<void> => {
          settle()
          rawSync.push(await rawWrite(d, batchBytes, bytes, true))
        },
        async (): Promise<void> => {
          settle()
          const a = await appendBench(d, batchBytes, bytes, cfg)
          apps.push(a.mbps)
          bps.push(a.bps)
          last = { log: a.log, dir: d }
        },
      ]
      for (let i = 0; i < runs.length; i++) await runs[(r + i) % runs.length]!()
    }
    const list = (xs: number[]): string => `[${xs.map((x) => x.toFixed(0)).join(', ')}]`
    const app = median(apps)
    report(`raw fs.write, ${label} chunks`, `${median(rawAsync).toFixed(0)} MB/s  ${list(rawAsync)}`)
    report(`raw fs.writeSync, ${label} chunks`, `${median(rawSync).toFixed(0)} MB/s  ${list(rawSync)}`)
    report(`Log.append, ${label} batches`, `${app.toFixed(0)} MB/s, ${median(bps).toFixed(0)} batches/s  ${list(apps)}`)
    report(`  append / raw fs.write (medians; the issue's ceiling)`, `${((app / median(rawAsync)) * 100).toFixed(0)}%`)
    report(`  append / raw fs.writeSync (medians)`, `${((app / median(rawSync)) * 100).toFixed(0)}%`)
    return last!
  }
  // The CRC-32C pass every append makes (Kafka's validation): its speed here bounds append/raw.
  const crcBuf = Buffer.alloc(MB, 1)
  let t1 = performance.now()
  for (let i = 0; i < 256; i++) crc32c(crcBuf)
  report('CRC-32C of 1 MiB buffers (validation cost per byte)', `${mbps(256 * MB, performance.now() - t1).toFixed(0)} MB/s`)
  const big = await compare('1 MiB', MB, Math.min(total, 256 * MB), {})
  // Reads on the 1 MiB log: the tail (last quarter).
  const leo = big.log.logEndOffset
  const tail = await readBench(big.log, Math.floor(leo * 0.75), leo, MB)
  report('read from the tail (page cache), 1 MiB fetches', `${tail.toFixed(0)} MB/s`)
  await big.log.close()
  fs.rmSync(big.dir, { recursive: true, force: true })

  t1 = performance.now()
  for (let i = 0; i < 256; i++) crc32c(crcBuf)
  report('CRC-32C again (machine noise check)', `${mbps(256 * MB, performance.now() - t1).toFixed(0)} MB/s`)
  const small = await compare('16 KiB', 16 * 1024, Math.min(total, 128 * MB), { segmentBytes: 16 * MB })
  dir = small.dir
  const log16 = small.log
  const leo16 = log16.logEndOffset
  report('  (segments in the 16 KiB log)', `${log16.numberOfSegments}`)
  await log16.close()

  // Older segments: reopen with a pool of 4 descriptors so every segment is opened on demand.
  const pool = new FilePool(4)
  const cold = await Log.open({ dir: path.join(dir, 'bench-0'), logger: silentLogger, pool, hadCleanShutdown: true, config: { segmentBytes: 16 * MB } })
  const coldMbps = await readBench(cold, 0, Math.floor(leo16 / 2), MB)
  report('read from older segments (opened on demand, 1 MiB fetches)', `${coldMbps.toFixed(0)} MB/s`)
  // Random-offset lookups: one batch per read.
  const lat: number[] = []
  let seed = 12345
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296)
  for (let i = 0; i < 2000; i++) {
    const o = Math.floor(rnd() * leo16)
    const t0 = performance.now()
    await cold.read(o, 1)
    lat.push((performance.now() - t0) * 1000)
  }
  lat.sort((a, b) => a - b)
  report('random-offset lookup + one 16 KiB batch read', `p50 ${pct(lat, 0.5).toFixed(0)} µs, p99 ${pct(lat, 0.99).toFixed(0)} µs`)
  await cold.close()
  await pool.closeAll()
  fs.rmSync(dir, { recursive: true, force: true })

  // 2. Recovery: 10 partitions, recoveryMb in total.
  dir = fresh('recovery')
  const perPartition = Math.floor((recoveryMb * MB) / 10)
  const b = makeBatch(MB)
  let m = await LogManager.start({ logDirs: [dir], logger: silentLogger, startTimers: false, defaultConfig: { maxMessageBytes: 4 * MB } })
  for (let p = 0; p < 10; p++) {
    const log = await m.getOrCreateLog('recovery', p)
    for (let written = 0; written < perPartition; written += b.length) await log.append(b, 0)
  }
  await m.shutdown()
  let t0 = performance.now()
  m = await LogManager.start({ logDirs: [dir], logger: silentLogger, startTimers: false })
  const cleanMs = performance.now() - t0
  report(`start-up after a clean shutdown (10 partitions, ${recoveryMb} MiB)`, `${cleanMs.toFixed(1)} ms (${m.loadSummary.recoveredLogs} logs scanned)`)
  // Unclean: more data after the restart, then a crash before anything was flushed.
  for (let p = 0; p < 10; p++) {
    const log = m.getLog('recovery', p)!
    for (let i = 0; i < 4; i++) await log.append(b, 0)
  }
  await m.checkpointRecoveryPoints()
  await m.crash()
  t0 = performance.now()
  m = await LogManager.start({ logDirs: [dir], logger: silentLogger, startTimers: false })
  const uncleanMs = performance.now() - t0
  const scanned = m.allLogs().reduce((s, l) => s + l.loadStats.recoveredBytes, 0)
  report('start-up after an unclean shutdown, recovery point = last flush', `${uncleanMs.toFixed(1)} ms (${(scanned / MB).toFixed(0)} MiB scanned)`)
  // Worst case: no recovery point at all (whole log scanned and CRC-checked).
  await m.crash()
  fs.rmSync(path.join(dir, 'recovery-point-offset-checkpoint'), { force: true })
  t0 = performance.now()
  m = await LogManager.start({ logDirs: [dir], logger: silentLogger, startTimers: false })
  const fullMs = performance.now() - t0
  const scannedAll = m.allLogs().reduce((s, l) => s + l.loadStats.recoveredBytes, 0)
  report('start-up after an unclean shutdown, no recovery point', `${fullMs.toFixed(1)} ms (${(scannedAll / MB).toFixed(0)} MiB scanned, ${mbps(scannedAll, fullMs).toFixed(0)} MB/s)`)
  await m.shutdown()
  fs.rmSync(root, { recursive: true, force: true })
}

main().catch((e) => {
  console.error(e)
  fs.rmSync(root, { recursive: true, force: true })
  process.exit(1)
})

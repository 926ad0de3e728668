import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { ErrorCode, KafkaError, buildEndTxnMarkerBatch, decodeBatchRecordsSync, readBatchHeader, splitBatches, verifyBatchCrc } from '../wire/index.js'
import { LogCleaner } from './cleaner.js'
import { Log, type LogOpenOptions } from './log.js'
import { LogManager } from './log-manager.js'
import { writeSwapEnd } from './swap.js'
import { ManualClock, batch, batchRanges, captureLogger, makeTmpDir, randInt, rmrf, rng } from './testkit.js'

function tmp(tt: Test): string {
  const d = makeTmpDir()
  tt.teardown(() => rmrf(d))
  return d
}

async function open(dir: string, extra: Partial<LogOpenOptions> = {}): Promise<Log> {
  return Log.open({ dir: path.join(dir, 'compacted-0'), logger: captureLogger(), ...extra })
}

interface Rec {
  offset: number
  key: string | null
  value: string | null
  timestamp: number
}

async function readRecords(log: Log): Promise<{ records: Rec[]; batches: Array<{ base: number; last: number; count: number; attrs: number }> }> {
  const out: Rec[] = []
  const batches: Array<{ base: number; last: number; count: number; attrs: number }> = []
  let off = log.logStartOffset
  while (off < log.logEndOffset) {
    const rr = await log.read(off, 1 << 20)
    if (rr.records.length === 0) break
    for (const s of splitBatches(rr.records)) {
      if (!verifyBatchCrc(rr.records, s.pos)) throw new Error(`bad CRC at ${s.header.baseOffset}`)
      batches.push({ base: s.header.baseOffset, last: s.header.baseOffset + s.header.lastOffsetDelta, count: s.header.recordCount, attrs: s.header.attributes })
      for (const r of decodeBatchRecordsSync(rr.records, s)) {
        out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, timestamp: r.timestamp })
      }
    }
    off = rr.nextOffset
  }
  return { records: out, batches }
}

function kv(key: string, value: string | null, ts: number, extra: Parameters<typeof batch>[0] = {}): Buffer {
  return batch({ keys: [key], values: [value === null ? null : Buffer.from(value)], timestamp: ts, ...extra })
}

t.test('retention by time and size, only below the high watermark', async (tt) => {
  const dir = tmp(tt)
  const clock = new ManualClock(1_000_000_000)
  const log = await open(dir, { clock, config: { segmentBytes: 1000, retentionMs: 10_000, fileDeleteDelayMs: 60_000 } })
  for (let i = 0; i < 40; i++) await log.append(batch({ count: 1, valueSize: 150, timestamp: clock.now() + i * 1000 }), 0)
  const segs = log.numberOfSegments
  tt.ok(segs >= 8)
  clock.advance(20_000) // now = base + 20s: records older than base + 10s expire
  tt.equal(await log.deleteOldSegments(), 0, 'nothing deleted above the high watermark')
  log.updateHighWatermark(log.logEndOffset)
  const n = await log.deleteOldSegments()
  tt.ok(n > 0, `${n} segments deleted by time`)
  for (const s of log.segmentList.slice(0, -1)) tt.ok((await s.getLargestTimestamp()) >= clock.now() - 10_000, 'kept segments are within retention')
  tt.equal(log.logStartOffset, log.segmentList[0]!.baseOffset)
  const first = log.logStartOffset
  const pd = path.join(dir, 'compacted-0')
  tt.ok(fs.readdirSync(pd).some((f) => f.endsWith('.log.deleted')), 'files renamed to .deleted first')
  try {
    await log.read(first - 1, 100)
    tt.fail('read below the log start')
  } catch (e) {
    tt.equal((e as KafkaError).code, ErrorCode.OFFSET_OUT_OF_RANGE)
  }
  await log.deletePendingFilesNow()
  tt.notOk(fs.readdirSync(pd).some((f) => f.endsWith('.deleted')))
  // Everything expired: the active segment is rolled and deleted too; offsets continue.
  clock.advance(1_000_000)
  await log.deleteOldSegments()
  tt.equal(log.numberOfSegments, 1)
  tt.equal(log.logStartOffset, 40)
  tt.equal(log.logEndOffset, 40)
  tt.equal((await log.append(batch({ count: 1, timestamp: clock.now() }), 0)).firstOffset, 40)
  await log.close()

  const dir2 = tmp(tt)
  const log2 = await open(dir2, { config: { segmentBytes: 1000, retentionMs: -1, retentionBytes: 2500, fileDeleteDelayMs: 0 } })
  for (let i = 0; i < 30; i++) await log2.append(batch({ count: 1, valueSize: 150 }), 0)
  log2.updateHighWatermark(log2.logEndOffset)
  const before = await log2.size()
  await log2.deleteOldSegments()
  const after = await log2.size()
  tt.ok(after >= 2500 && after < before, `size ${before} -> ${after}, at least retention.bytes kept`)
  tt.ok(after - (await log2.segmentList[0]!.getSize()) < 2500, 'deleting one more segment would go below retention.bytes')
  await log2.close()
})

t.test('readers of a deleted segment finish safely', async (tt) => {
  const dir = tmp(tt)
  const clock = new ManualClock(1_000_000_000)
  const log = await open(dir, { clock, config: { segmentBytes: 4000, retentionMs: 1, fileDeleteDelayMs: 0 } })
  const r = rng(3)
  let round = 0
  for (; round < 15; round++) {
    for (let i = 0; i < 30; i++) await log.append(batch({ count: 1, valueSize: 300, timestamp: clock.now() }), 0)
    log.updateHighWatermark(log.logEndOffset)
    const start = log.logStartOffset
    const reads = Array.from({ length: 5 }, () => log.read(start + randInt(r, 0, 20), 1 << 16))
    clock.advance(1000)
    const del = log.deleteOldSegments()
    const outcomes = await Promise.allSettled(reads)
    await del
    for (const o of outcomes) {
      if (o.status === 'fulfilled') {
        if (!splitBatches(o.value.records).every((s) => verifyBatchCrc(o.value.records, s.pos))) tt.fail('read returned damaged data')
      } else if (!(o.reason instanceof KafkaError && o.reason.code === ErrorCode.OFFSET_OUT_OF_RANGE)) {
        tt.fail(`read failed with ${String(o.reason)}`)
      }
    }
  }
  tt.pass(`${round} rounds of reads racing deletion`)
  await log.close()
})

t.test('compaction keeps the latest value per key at its offset and drops old tombstones', async (tt) => {
  const dir = tmp(tt)
  const clock = new ManualClock(2_000_000_000)
  const cfg = { cleanupPolicy: ['compact' as const], segmentBytes: 1200, deleteRetentionMs: 60_000, minCleanableDirtyRatio: 0.5 }
  const log = await open(dir, { clock, config: cfg })
  const r = rng(21)
  const latest = new Map<string, { offset: number; value: string | null }>()
  const written: Rec[] = []
  for (let i = 0; i < 150; i++) {
    const dead = i === 10 || i === 50 || i === 100
    const key = dead ? 'dead' : `k${randInt(r, 0, 9)}`
    const value = i === 100 ? null : `v${i}-${'x'.repeat(randInt(r, 0, 40))}`
    const ts = clock.now() + i
    const res = await log.append(kv(key, value, ts), 0)
    latest.set(key, { offset: res.firstOffset, value })
    written.push({ offset: res.firstOffset, key, value, timestamp: ts })
  }
  // A multi-record batch: keep one of its records, drop the others; the batch keeps its last offset.
  const multi = await log.append(batch({ keys: ['m1', 'm2', 'm1'], values: [Buffer.from('a'), Buffer.from('b'), Buffer.from('c')], timestamp: clock.now() }), 0)
  latest.set('m1', { offset: multi.firstOffset + 2, value: 'c' })
  latest.set('m2', { offset: multi.firstOffset + 1, value: 'b' })
  await log.rollNow()
  const tombKey = 'dead'
  const cleaner = new LogCleaner({ clock, logger: captureLogger() })
  const res = await cleaner.clean(log, undefined)
  tt.ok(res, 'cleaned (dirty ratio 1)')
  tt.equal(res!.firstDirtyOffset, log.activeSegment.baseOffset)
  const { records, batches } = await readRecords(log)
  const want = [...latest.entries()].map(([key, v]) => ({ key, ...v })).sort((a, b) => a.offset - b.offset)
  tt.same(
    records.map((x) => [x.offset, x.key, x.value]),
    want.map((w) => [w.offset, w.key, w.value]),
    'exactly the latest record per key, at its original offset',
  )
  tt.ok(records.every((x, i) => i === 0 || x.offset > records[i - 1]!.offset), 'offsets strictly increasing')
  const mb = batches.find((b) => b.base === multi.firstOffset)!
  tt.same([mb.last, mb.count], [multi.lastOffset, 2], 'rewritten batch keeps its base and last offset')
  const tomb = latest.get(tombKey)!
  tt.equal(tomb.value, null)
  const tb = batches.find((b) => b.base === tomb.offset)!
  tt.equal(tb.attrs & 0x40, 0x40, 'tombstone batch got a delete horizon')
  tt.ok(log.latestDeleteHorizon > clock.now())
  tt.equal(records.filter((x) => x.key === 'dead').length, 1, 'older values of the deleted key are gone, the tombstone stays')
  // Timestamps survive the rewrite.
  const byOffset = new Map(written.map((w) => [w.offset, w.timestamp]))
  tt.ok(records.filter((x) => byOffset.has(x.offset)).every((x) => x.timestamp === byOffset.get(x.offset)), 'record timestamps kept')

  // Not dirty enough: nothing happens.
  tt.equal(await cleaner.clean(log, res!.firstDirtyOffset), null, 'below min.cleanable.dirty.ratio')
  // After delete.retention.ms the tombstone goes (cleaned because its horizon passed).
  clock.advance(61_000)
  const res2 = await cleaner.clean(log, res!.firstDirtyOffset)
  tt.ok(res2, 'expired delete horizon triggers a clean')
  const after = await readRecords(log)
  tt.notOk(after.records.some((x) => x.key === tombKey), 'old tombstone removed')
  tt.same(
    after.records.map((x) => x.offset),
    want.filter((w) => w.value !== null).map((w) => w.offset),
    'everything else unchanged',
  )
  // The log still works: restart unclean and clean, append more.
  await log.closeAbruptly()
  const again = await open(dir, { clock, config: cfg })
  tt.same((await readRecords(again)).records.map((x) => x.offset), want.filter((w) => w.value !== null).map((w) => w.offset), 'same after recovery')
  tt.equal((await again.append(kv('k1', 'new', clock.now()), 0)).firstOffset, again.logEndOffset - 1)
  await again.close()
})

t.test('compaction respects min.compaction.lag.ms, transactions and producer state', async (tt) => {
  const dir = tmp(tt)
  const clock = new ManualClock(3_000_000_000)
  const log = await open(dir, { clock, config: { cleanupPolicy: ['compact', 'delete'], segmentBytes: 800, minCompactionLagMs: 100_000, retentionMs: -1 } })
  const now = clock.now()
  // Old data.
  for (let i = 0; i < 20; i++) await log.append(kv(`a${i % 3}`, `old${i}`, now - 200_000 + i), 0)
  const oldEnd = log.logEndOffset
  // Recent data (inside the lag).
  for (let i = 0; i < 20; i++) await log.append(kv(`a${i % 3}`, `new${i}`, now - 1000 + i), 0)
  await log.rollNow()
  const cleaner = new LogCleaner({ clock })
  const res = await cleaner.clean(log, undefined, true)
  tt.ok(res)
  const { records } = await readRecords(log)
  const recent = records.filter((x) => x.value?.startsWith('new'))
  tt.equal(recent.length, 20, 'records inside min.compaction.lag.ms untouched')
  tt.ok(res!.firstDirtyOffset <= oldEnd + 10, 'cleaning stopped before the recent segments')
  tt.ok(records.filter((x) => x.value?.startsWith('old')).length <= 3 + 3, 'old duplicates removed')
  await log.close()

  // Transactions: aborted data goes, committed data stays; the last batch of a producer is kept.
  const dir2 = tmp(tt)
  const log2 = await open(dir2, { clock, config: { cleanupPolicy: ['compact'], segmentBytes: 700, deleteRetentionMs: 0 } })
  const pid = 42
  await log2.append(kv('x', 'committed-1', now, { producerId: pid, producerEpoch: 0, baseSequence: 0, transactional: true }), 0)
  await log2.append(buildEndTxnMarkerBatch({ producerId: pid, producerEpoch: 0, commit: true, coordinatorEpoch: 0, timestamp: now }), 0, { origin: 'coordinator' })
  await log2.append(kv('x', 'aborted', now, { producerId: pid, producerEpoch: 0, baseSequence: 1, transactional: true }), 0)
  await log2.append(kv('y', 'aborted', now, { producerId: pid, producerEpoch: 0, baseSequence: 2, transactional: true }), 0)
  await log2.append(buildEndTxnMarkerBatch({ producerId: pid, producerEpoch: 0, commit: false, coordinatorEpoch: 0, timestamp: now }), 0, { origin: 'coordinator' })
  const idem = await log2.append(kv('z', 'z1', now, { producerId: 7, producerEpoch: 0, baseSequence: 0 }), 0)
  await log2.append(kv('z', 'z2', now), 0)
  for (let i = 0; i < 10; i++) await log2.append(kv(`f${i}`, 'filler'.repeat(10), now), 0)
  await log2.rollNow()
  log2.updateHighWatermark(log2.logEndOffset)
  const r2 = await cleaner.clean(log2, undefined, true)
  tt.ok(r2)
  const got = await readRecords(log2)
  const xs = got.records.filter((x) => x.key === 'x' || x.key === 'y').map((x) => x.value)
  tt.same(xs, ['committed-1'], 'aborted records dropped; the committed value is the latest x')
  const zBatch = got.batches.find((b) => b.base === idem.firstOffset)
  tt.ok(zBatch, "the idempotent producer's last batch is kept")
  tt.equal(zBatch!.count, 0, 'as an empty batch (its record is superseded)')
  const dup = await log2.append(kv('z', 'z1', now, { producerId: 7, producerEpoch: 0, baseSequence: 0 }), 0)
  tt.ok(dup.duplicate, 'producer state intact after cleaning')
  // Markers are dropped once their horizon (delete.retention.ms = 0) has passed.
  clock.advance(1)
  await cleaner.clean(log2, undefined, true)
  const got2 = await readRecords(log2)
  tt.ok(got2.batches.filter((b) => (b.attrs & 0x20) !== 0).length <= 1, 'old transaction markers removed (the producer\'s last one may stay)')
  await log2.close()
})

t.test('LogManager runs the cleaner and keeps cleaner-offset-checkpoint', async (tt) => {
  const base = tmp(tt)
  const m = await LogManager.start({ logDirs: [base], logger: captureLogger(), startTimers: false })
  const log = await m.getOrCreateLog('__consumer_offsets', 0, { cleanupPolicy: ['compact'], segmentBytes: 1000 })
  const plain = await m.getOrCreateLog('plain', 0, { segmentBytes: 1000 })
  for (let i = 0; i < 100; i++) {
    await log.append(kv(`group-${i % 4}`, `offset-${i}`, Date.now()), 0)
    await plain.append(kv(`group-${i % 4}`, `offset-${i}`, Date.now()), 0)
  }
  const stats = await m.runCleaner()
  tt.equal(stats.logsCleaned, 1, 'only the compacted log is cleaned')
  tt.ok(stats.recordsRemoved > 80)
  const ck = fs.readFileSync(path.join(base, 'cleaner-offset-checkpoint'), 'utf8')
  tt.match(ck, new RegExp(`^0\\n1\\n__consumer_offsets 0 ${log.activeSegment.baseOffset}\\n$`))
  const values = (await readRecords(log)).records.filter((x) => x.offset < log.activeSegment.baseOffset)
  tt.ok(values.length <= 4, 'one value per group below the active segment')
  tt.equal((await m.runCleaner()).logsCleaned, 0, 'nothing dirty: no work')
  await m.shutdown()
})

t.test('interrupted swaps: leftovers of each step are completed or discarded', async (tt) => {
  /** A log with three inactive segments and an active one; returns its dir and contents. */
  const setup = async (): Promise<{ dir: string; segs: number[]; all: Rec[] }> => {
    const base = tmp(tt)
    const log = await open(base, { config: { cleanupPolicy: ['compact'], segmentBytes: 600 } })
    for (let i = 0; i < 14; i++) await log.append(kv(`k${i}`, `v${i}`.padEnd(100, '.'), 1000 + i), 0)
    const segs = log.segmentBaseOffsets
    const all = (await readRecords(log)).records
    await log.close()
    return { dir: log.dir, segs, all }
  }
  const names = (dir: string, base: number) => ['log', 'index', 'timeindex'].map((e) => path.join(dir, `${String(base).padStart(20, '0')}.${e}`))

  // 1. Only .cleaned files: discarded, log unchanged.
  {
    const { dir, segs, all } = await setup()
    for (const f of names(dir, segs[0]!)) fs.copyFileSync(f, `${f}.cleaned`)
    fs.appendFileSync(`${names(dir, segs[0]!)[0]}.cleaned`, Buffer.from('garbage'))
    const log = await Log.open({ dir, logger: captureLogger(), hadCleanShutdown: true })
    tt.same((await readRecords(log)).records, all, 'cleaned leftovers discarded')
    tt.notOk(fs.readdirSync(dir).some((n) => n.endsWith('.cleaned')))
    await log.close()
  }
  // 2. Committed swap (.swap + .swap.end) with the old segments still live: the swap replaces [base, end).
  for (const variant of ['old segments live', 'old segments partly .deleted', 'no .swap.end (range from the swap)', 'swap indexes already live']) {
    const { dir, segs, all } = await setup()
    const [s0, s1, s2] = segs
    // The "cleaned" replacement of segments s0 and s1 is s0's content alone.
    for (const f of names(dir, s0!)) fs.copyFileSync(f, `${f}.swap`)
    if (variant !== 'no .swap.end (range from the swap)') await writeSwapEnd(dir, s0!, s2!)
    if (variant === 'old segments partly .deleted') for (const f of names(dir, s1!)) fs.renameSync(f, `${f}.deleted`)
    if (variant === 'swap indexes already live') {
      const [, idx, tidx] = names(dir, s0!)
      fs.renameSync(`${idx}.swap`, idx!)
      fs.renameSync(`${tidx}.swap`, tidx!)
    }
    const logger = captureLogger()
    const log = await Log.open({ dir, logger, hadCleanShutdown: true })
    const got = (await readRecords(log)).records
    if (variant === 'no .swap.end (range from the swap)') {
      tt.same(log.segmentBaseOffsets, segs, `${variant}: only segments inside the swap's own range replaced`)
      tt.same(got, all)
    } else {
      tt.same(log.segmentBaseOffsets, segs.filter((s) => s !== s1), `${variant}: segment ${s1} replaced`)
      tt.same(got, all.filter((x) => x.offset < s1! || x.offset >= s2!), `${variant}: data of the swap and the rest`)
    }
    tt.ok(logger.has(/completed an interrupted segment swap/), `${variant}: logged`)
    tt.notOk(fs.readdirSync(dir).some((n) => /swap|deleted/.test(n)), `${variant}: no leftovers`)
    await log.close()
  }
  // 3. Index .swap files without a log swap (crash before the commit point): discarded.
  {
    const { dir, segs, all } = await setup()
    const [, idx] = names(dir, segs[0]!)
    fs.copyFileSync(idx!, `${idx}.swap`)
    await writeSwapEnd(dir, segs[0]!, segs[2]!)
    const log = await Log.open({ dir, logger: captureLogger(), hadCleanShutdown: true })
    tt.same(log.segmentBaseOffsets, segs, 'uncommitted swap discarded')
    tt.same((await readRecords(log)).records, all)
    await log.close()
  }
  // 4. A real clean followed by recovery reads the same.
  {
    const { dir, all } = await setup()
    const clock = new ManualClock()
    const log = await Log.open({ dir, logger: captureLogger(), clock, hadCleanShutdown: true, config: { cleanupPolicy: ['compact'], segmentBytes: 600 } })
    await new LogCleaner({ clock }).clean(log, undefined, true)
    const cleanedView = (await readRecords(log)).records
    tt.same(cleanedView, all, 'distinct keys: nothing removed')
    await log.closeAbruptly()
    const again = await Log.open({ dir, logger: captureLogger() })
    tt.same((await readRecords(again)).records, all)
    await again.close()
  }
  void readBatchHeader
  void batchRanges
})

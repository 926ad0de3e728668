import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { ErrorCode, KafkaError, buildBatchSync, buildEndTxnMarkerBatch, readBatchHeader, splitBatches, verifyBatchCrc, decodeBatchRecordsSync } from '../wire/index.js'
import { parseLeaderEpochCheckpoint } from './checkpoint.js'
import { OffsetIndex, TimeIndex } from './indexes.js'
import { LeaderEpochCache } from './leader-epoch.js'
import { Log, type LogOpenOptions } from './log.js'
import { incrementSequence } from './producer-state.js'
import { ManualClock, batch, batchRanges, captureLogger, makeTmpDir, randInt, rmrf, rng } from './testkit.js'

function tmp(tt: Test): string {
  const d = makeTmpDir()
  tt.teardown(() => rmrf(d))
  return d
}

async function open(dir: string, extra: Partial<LogOpenOptions> = {}): Promise<Log> {
  return Log.open({ dir: path.join(dir, 'topic-0'), logger: captureLogger(), ...extra })
}

async function rejectsCode(tt: Test, p: Promise<unknown>, code: number, msg: string): Promise<void> {
  try {
    await p
    tt.fail(`${msg}: expected error ${code}, resolved`)
  } catch (e) {
    tt.ok(e instanceof KafkaError, `${msg}: KafkaError`)
    tt.equal((e as KafkaError).code, code, msg)
  }
}

t.test('indexes: append, lookup, truncate, sanity checks', async (tt) => {
  const oi = new OffsetIndex('/nonexistent', 100, 8 * 4)
  tt.same(oi.lookup(150), { offset: 100, position: 0 })
  oi.append(110, 1000)
  oi.append(120, 2000)
  oi.append(130, 3000)
  tt.same(oi.lookup(109), { offset: 100, position: 0 })
  tt.same(oi.lookup(110), { offset: 110, position: 1000 })
  tt.same(oi.lookup(125), { offset: 120, position: 2000 })
  tt.same(oi.lookup(1e9), { offset: 130, position: 3000 })
  tt.notOk(oi.append(125, 4000), 'backwards entry ignored')
  oi.append(140, 4000)
  tt.ok(oi.isFull())
  oi.truncateToOffset(120)
  tt.equal(oi.entries, 1)
  const bytes = oi.bytes()
  const oi2 = new OffsetIndex('/x', 100, 1024)
  oi2.loadFrom(bytes)
  tt.same(oi2.lastEntry(), { offset: 110, position: 1000 })
  const bad = Buffer.alloc(16)
  bad.writeInt32BE(5, 0)
  bad.writeInt32BE(10, 4)
  tt.throws(() => new OffsetIndex('/x', 0, 1024).loadFrom(bad), /not after/)
  tt.throws(() => new OffsetIndex('/x', 0, 1024).loadFrom(Buffer.alloc(7)), /multiple/)

  const ti = new TimeIndex('/nonexistent', 100, 12 * 10)
  tt.same(ti.lookup(5), { timestamp: -1, offset: 100 })
  ti.maybeAppend(1000, 105)
  tt.notOk(ti.maybeAppend(1000, 106), 'equal timestamp not appended')
  ti.maybeAppend(2000, 110)
  ti.maybeAppend(3000, 120)
  tt.same(ti.lookup(2500), { timestamp: 2000, offset: 110 })
  tt.same(ti.lookup(3000), { timestamp: 3000, offset: 120 })
  ti.truncateToOffset(110)
  tt.same(ti.lastEntry(), { timestamp: 1000, offset: 105 })
})

t.test('append and read round trip across segment rolls', async (tt) => {
  const dir = tmp(tt)
  const r = rng(42)
  const cfg = { segmentBytes: 8192, indexIntervalBytes: 300 }
  let log = await open(dir, { config: cfg })
  const expected: Array<{ first: number; last: number; bytes: Buffer }> = []
  for (let i = 0; i < 300; i++) {
    const b = batch({ count: randInt(r, 1, 5), valueSize: randInt(r, 1, 400), timestamp: 1000 + i * 10, fill: i })
    const res = await log.append(b, 0)
    tt.equal(res.firstOffset, expected.length ? expected[expected.length - 1]!.last + 1 : 0)
    expected.push({ first: res.firstOffset, last: res.lastOffset, bytes: Buffer.from(b) })
  }
  const leo = expected[expected.length - 1]!.last + 1
  tt.equal(log.logEndOffset, leo)
  tt.ok(log.numberOfSegments > 5, `rolled into ${log.numberOfSegments} segments`)
  for (const s of log.segmentList) tt.ok((await s.getSize()) <= 8192, 'segment within segment.bytes')

  const check = async (label: string): Promise<void> => {
    // Sequential read of the whole log with small fetches.
    const parts: Buffer[] = []
    let off = 0
    while (off < leo) {
      const rr = await log.read(off, randInt(r, 1, 3000), leo)
      tt.ok(rr.records.length > 0, `${label}: progress at ${off}`)
      parts.push(rr.records)
      off = rr.nextOffset
    }
    tt.ok(Buffer.concat(parts).equals(Buffer.concat(expected.map((e) => e.bytes))), `${label}: all bytes read back in order`)
    // Random lookups land on the batch holding the offset.
    let ok = 0
    for (let k = 0; k < 200; k++) {
      const o = randInt(r, 0, leo - 1)
      const max = randInt(r, 1, 5000)
      const rr = await log.read(o, max, leo)
      const ranges = batchRanges(rr.records)
      const first = ranges[0]!
      const idx = expected.findIndex((e) => e.first === first[0])
      const good =
        first[0] <= o &&
        o <= first[1] &&
        idx >= 0 &&
        rr.records.subarray(0, expected[idx]!.bytes.length).equals(expected[idx]!.bytes) &&
        (rr.records.length <= max || ranges.length === 1)
      if (good) ok++
    }
    tt.equal(ok, 200, `${label}: 200 random lookups found the right batch`)
  }
  await check('live')
  await log.close()
  log = await open(dir, { config: cfg, hadCleanShutdown: true })
  tt.equal(log.logEndOffset, leo, 'clean reopen keeps the log end')
  tt.notOk(log.loadStats.recoveryRan, 'clean reopen does not scan')
  await check('reopened')
  await log.close()
})

t.test('read bounds: upperBound, minOneMessage, out of range', async (tt) => {
  const dir = tmp(tt)
  const log = await open(dir)
  for (let i = 0; i < 10; i++) await log.append(batch({ count: 3, valueSize: 100 }), 0) // offsets 3i..3i+2
  const all = await log.read(0, 1 << 20)
  tt.equal(batchRanges(all.records).length, 10)
  const ub = await log.read(0, 1 << 20, 7)
  tt.same(batchRanges(ub.records), [[0, 2], [3, 5]], 'stops before the batch holding the upper bound')
  tt.equal(ub.nextOffset, 6)
  const inside = await log.read(7, 1 << 20, 8)
  tt.equal(inside.records.length, 0, 'batch straddling the upper bound is not returned')
  const one = await log.read(4, 1)
  tt.same(batchRanges(one.records), [[3, 5]], 'minOneMessage returns one whole batch')
  const none = await log.read(4, 1, undefined, false)
  tt.equal(none.records.length, 0, 'without minOneMessage nothing fits')
  const two = await log.read(0, all.records.length / 10 * 2 + 5)
  tt.equal(batchRanges(two.records).length, 2, 'maxBytes respected')
  const atEnd = await log.read(30, 100)
  tt.equal(atEnd.records.length, 0, 'reading at the log end is empty')
  await rejectsCode(tt, log.read(31, 100), ErrorCode.OFFSET_OUT_OF_RANGE, 'past the end')
  await rejectsCode(tt, log.read(-1, 100), ErrorCode.OFFSET_OUT_OF_RANGE, 'negative')
  await log.close()
})

t.test('offsetForTimestamp and ListOffsets special timestamps', async (tt) => {
  const dir = tmp(tt)
  const log = await open(dir, { config: { segmentBytes: 2000, indexIntervalBytes: 100 } })
  const stamps: Array<[number, number]> = [] // [offset, timestamp]
  for (let i = 0; i < 60; i++) {
    const res = await log.append(batch({ count: 2, valueSize: 50, timestamp: 10_000 + i * 100 }), 5)
    stamps.push([res.firstOffset, 10_000 + i * 100], [res.firstOffset + 1, 10_000 + i * 100 + 1])
  }
  tt.ok(log.numberOfSegments > 3)
  const r = rng(7)
  for (let k = 0; k < 60; k++) {
    const ts = randInt(r, 9_000, 17_000)
    const want = stamps.find(([, s]) => s >= ts)
    const got = await log.offsetForTimestamp(ts)
    if (!want) tt.equal(got, null, `nothing at or after ${ts}`)
    else tt.same([got?.offset, got?.timestamp, got?.leaderEpoch], [want[0], want[1], 5], `timestamp ${ts}`)
  }
  tt.same(await log.listOffset(-2), { offset: 0, timestamp: -1, leaderEpoch: 5 })
  tt.same(await log.listOffset(-1), { offset: 120, timestamp: -1, leaderEpoch: 5 })
  tt.same(await log.listOffset(-3), { offset: 119, timestamp: 10_000 + 59 * 100 + 1, leaderEpoch: 5 })
  await log.close()
  const again = await open(dir, { hadCleanShutdown: true, config: { segmentBytes: 2000, indexIntervalBytes: 100 } })
  tt.same((await again.offsetForTimestamp(12_050))?.offset, stamps.find(([, s]) => s >= 12_050)![0], 'after reopen')
  tt.same((await again.listOffset(-3))?.offset, 119)
  await again.close()
})

t.test('truncation', async (tt) => {
  const dir = tmp(tt)
  const log = await open(dir, { config: { segmentBytes: 1500, indexIntervalBytes: 100 } })
  for (let i = 0; i < 40; i++) await log.append(batch({ count: 2, valueSize: 60, timestamp: 1000 + i }), i < 20 ? 1 : 2)
  const segsBefore = log.numberOfSegments
  tt.ok(segsBefore > 3)
  tt.same(log.leaderEpochCache.all, [{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 40 }])
  tt.ok(await log.truncateTo(50))
  tt.equal(log.logEndOffset, 50)
  tt.same(log.leaderEpochCache.all, [{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 40 }])
  const tail = await log.read(48, 1 << 20)
  tt.same(batchRanges(tail.records), [[48, 49]])
  tt.notOk(await log.truncateTo(60), 'truncating past the end does nothing')
  tt.ok(await log.truncateTo(13), 'mid-batch truncation drops the whole batch')
  tt.equal(log.logEndOffset, 12)
  tt.same(log.leaderEpochCache.all, [{ epoch: 1, startOffset: 0 }])
  tt.ok(log.numberOfSegments < segsBefore, 'later segments deleted')
  const res = await log.append(batch({ count: 1 }), 3)
  tt.equal(res.firstOffset, 12, 'appends continue at the new end')
  tt.same(log.endOffsetForEpoch(1), { leaderEpoch: 1, endOffset: 12 })
  const whole = await log.read(0, 1 << 20)
  tt.same(batchRanges(whole.records).at(-1), [12, 12])
  await log.truncateFullyAndStartAt(1000)
  tt.equal(log.logStartOffset, 1000)
  tt.equal(log.logEndOffset, 1000)
  tt.equal(log.numberOfSegments, 1)
  tt.same(log.leaderEpochCache.all, [])
  tt.equal((await log.append(batch({ count: 2 }), 4)).firstOffset, 1000)
  await rejectsCode(tt, log.read(5, 10), ErrorCode.OFFSET_OUT_OF_RANGE, 'old offsets gone')
  await log.close()
  const again = await open(dir, { hadCleanShutdown: true, logStartOffset: 1000 })
  tt.equal(again.logEndOffset, 1002)
  tt.same(again.segmentBaseOffsets, [1000])
  await again.close()
})

t.test('deleteRecordsBefore moves the log start offset', async (tt) => {
  const dir = tmp(tt)
  let changed = 0
  const log = await open(dir, { config: { segmentBytes: 1000, fileDeleteDelayMs: 0 }, hooks: { onLogStartOffsetChanged: () => void changed++ } })
  for (let i = 0; i < 30; i++) await log.append(batch({ count: 2, valueSize: 50 }), 0)
  await rejectsCode(tt, log.deleteRecordsBefore(10), ErrorCode.OFFSET_OUT_OF_RANGE, 'beyond the high watermark')
  log.updateHighWatermark(log.logEndOffset)
  const segs = log.numberOfSegments
  tt.equal(await log.deleteRecordsBefore(25), 25)
  tt.equal(log.logStartOffset, 25)
  tt.equal(changed, 1, 'checkpoint hook called')
  tt.ok(log.numberOfSegments < segs, 'segments wholly below removed')
  tt.ok(log.segmentList[0]!.baseOffset <= 25)
  await rejectsCode(tt, log.read(24, 100), ErrorCode.OFFSET_OUT_OF_RANGE, 'below the log start')
  const rr = await log.read(25, 100)
  tt.same(batchRanges(rr.records)[0], [24, 25], 'the batch holding the start offset is served')
  tt.same((await log.listOffset(-2))?.offset, 25)
  tt.equal(await log.deleteRecordsBefore(3), 25, 'never moves backwards')
  await log.close()
})

t.test('leader epoch cache', async (tt) => {
  const dir = tmp(tt)
  const c = await LeaderEpochCache.load(dir)
  await c.assign(0, 0)
  await c.assign(1, 10)
  await c.assign(1, 15) // already known
  await c.assign(3, 30)
  tt.same(c.all, [{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 10 }, { epoch: 3, startOffset: 30 }])
  tt.same(parseLeaderEpochCheckpoint(fs.readFileSync(path.join(dir, 'leader-epoch-checkpoint'), 'utf8')), c.all)
  tt.equal(fs.readFileSync(path.join(dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n3\n0 0\n1 10\n3 30\n')
  tt.same(c.endOffsetFor(3, 50), { leaderEpoch: 3, endOffset: 50 }, 'latest epoch ends at the log end')
  tt.same(c.endOffsetFor(2, 50), { leaderEpoch: 1, endOffset: 30 }, 'unknown middle epoch: previous epoch, next start')
  tt.same(c.endOffsetFor(0, 50), { leaderEpoch: 0, endOffset: 10 })
  tt.same(c.endOffsetFor(4, 50), { leaderEpoch: -1, endOffset: -1 }, 'epoch above the latest is unknown')
  tt.same(c.endOffsetFor(-1, 50), { leaderEpoch: -1, endOffset: -1 })
  tt.equal(c.epochForOffset(12), 1)
  await c.assign(2, 20) // lower epoch after a higher one truncates the higher
  tt.same(c.all.at(-1), { epoch: 2, startOffset: 20 })
  await c.truncateFromEnd(20)
  tt.same(c.all, [{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 10 }])
  await c.truncateFromStart(12)
  tt.same(c.all, [{ epoch: 1, startOffset: 12 }])
  const again = await LeaderEpochCache.load(dir)
  tt.same(again.all, [{ epoch: 1, startOffset: 12 }], 'persisted')
  tt.same((await LeaderEpochCache.load(tmp(tt))).endOffsetFor(1, 9), { leaderEpoch: -1, endOffset: -1 }, 'empty cache')

  const c2 = await LeaderEpochCache.load(dir)
  await c2.clear()
  await c2.assign(5, 100)
  tt.same(c2.endOffsetFor(3, 200), { leaderEpoch: 3, endOffset: 100 }, 'below the first epoch: requested epoch, first start offset')
})

t.test('leader epoch checkpoint: rewritten only when it would change; a loaded empty log keeps its file', async (tt) => {
  const dir = tmp(tt)
  const file = path.join(dir, 'leader-epoch-checkpoint')
  const inode = (): number => fs.statSync(file).ino // an atomic write replaces the file: a new inode
  const c = await LeaderEpochCache.load(dir)
  await c.assign(0, 0)
  const first = inode()
  await c.persist()
  tt.equal(inode(), first, 'persisting the same state again writes nothing')

  // An empty log at restart: its (0, 0) entry is at its end, so loading removes it, in memory only,
  // and becoming leader again at epoch 0 puts back what the file already says.
  const log = await Log.open({ dir, topic: 't', partition: 0, hadCleanShutdown: true })
  tt.same(log.leaderEpochCache.all, [], 'the entry at the log end is dropped while loading')
  tt.equal(inode(), first, 'without writing the file')
  log.assignEpochStartOffset(0, 0)
  await log.flush()
  tt.same(log.leaderEpochCache.all, [{ epoch: 0, startOffset: 0 }])
  tt.equal(inode(), first, 'and the same entry back is no write either')
  log.assignEpochStartOffset(1, 0)
  await log.flush()
  tt.not(inode(), first, 'a new epoch is written')
  tt.equal(fs.readFileSync(file, 'utf8'), '0\n1\n1 0\n')
  await log.close()
})

t.test('an empty segment has no index files: none written at close, stale ones ignored while the log is empty', async (tt) => {
  const dir = tmp(tt)
  const logDir = path.join(dir, 'topic-0')
  const files = (): string[] => fs.readdirSync(logDir).filter(f => f.endsWith('.index') || f.endsWith('.timeindex')).sort()
  let log = await open(dir)
  await log.close()
  tt.same(files(), [], 'a log never written leaves no index files at close')
  const quiet = captureLogger()
  log = await open(dir, { logger: quiet, hadCleanShutdown: true })
  tt.same(quiet.lines.filter(l => /WARN/.test(l)), [], 'and reopens without a word after a clean shutdown: no index files is what an empty segment has')
  await log.close()

  // A stale index from another life of this segment: ignored while the log is empty...
  const stale = new OffsetIndex(path.join(logDir, '00000000000000000000.index'), 0, 1 << 20)
  stale.append(40, 8192)
  await stale.persist(true)
  const staleTime = new TimeIndex(path.join(logDir, '00000000000000000000.timeindex'), 0, 1 << 20)
  staleTime.maybeAppend(9_999_999_999_999, 40)
  await staleTime.persist(true)
  const logger = captureLogger()
  log = await open(dir, { logger, config: { indexIntervalBytes: 1024 } })
  tt.notOk(logger.lines.some(l => /rebuilding/.test(l)), 'no rebuild warning for the empty log')
  tt.equal(await log.offsetForTimestamp(9_999_999_999_999), null, 'no timestamp from the stale time index')
  // ...and replaced by the real entries once there are batches.
  for (let i = 0; i < 10; i++) await log.append(batch({ count: 3, valueSize: 600, timestamp: 1000 + i * 10 }), 0)
  await log.close()
  tt.same(files(), ['00000000000000000000.index', '00000000000000000000.timeindex'], 'a written segment has its indexes')
  log = await open(dir, { logger, config: { indexIntervalBytes: 1024 } })
  tt.notOk(logger.lines.some(l => /rebuilding|corrupt/.test(l)), 'they load as they are')
  await log.close()
  // A written segment whose index files are gone: one warning, and they are rebuilt.
  for (const f of files()) fs.rmSync(path.join(logDir, f))
  const warned = captureLogger()
  log = await open(dir, { logger: warned, hadCleanShutdown: true, config: { indexIntervalBytes: 1024 } })
  tt.equal(warned.lines.filter(l => /WARN.*missing.*rebuilding/.test(l)).length, 1, 'missing indexes of a written segment: one warning')
  for (const o of [0, 7, 14, 21, 28]) {
    const rr = await log.read(o, 1 << 20)
    const first = readBatchHeader(rr.records, 0)
    tt.ok(first.baseOffset <= o && o <= first.baseOffset + first.lastOffsetDelta, `a read at ${o} starts with the batch holding it`)
  }
  tt.equal((await log.offsetForTimestamp(1050))?.offset, 15, 'the time index found the batch written at 1050')
  await log.close()
})

t.test('producer state: duplicates, sequence and epoch checks', async (tt) => {
  const dir = tmp(tt)
  const log = await open(dir)
  const pid = 77
  const now = Date.now()
  const b = (seq: number, epoch = 0, count = 2) => batch({ count, producerId: pid, producerEpoch: epoch, baseSequence: seq, timestamp: now })
  tt.equal((await log.append(b(0), 0)).firstOffset, 0)
  tt.equal((await log.append(b(2), 0)).firstOffset, 2)
  tt.equal((await log.append(b(4), 0)).firstOffset, 4)
  const dup = await log.append(b(2), 0)
  tt.ok(dup.duplicate, 'retried batch detected')
  tt.same([dup.firstOffset, dup.lastOffset], [2, 3], 'original offsets')
  tt.equal(log.logEndOffset, 6, 'nothing appended for the duplicate')
  await rejectsCode(tt, log.append(b(9), 0), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'gap in sequence')
  await rejectsCode(tt, log.append(b(1), 0), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'overlapping sequence, not a duplicate')
  tt.same(log.checkProducerBatch({ producerId: pid, producerEpoch: 0, baseSequence: 6, lastOffsetDelta: 1 }), { kind: 'ok' })
  tt.same(log.checkProducerBatch({ producerId: pid, producerEpoch: 0, baseSequence: 4, lastOffsetDelta: 1 }), {
    kind: 'duplicate',
    firstOffset: 4,
    lastOffset: 5,
    timestamp: now + 1,
  })
  tt.match(log.checkProducerBatch({ producerId: pid, producerEpoch: 0, baseSequence: 8, lastOffsetDelta: 0 }), { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER })
  // Epoch bump resets the sequence.
  await rejectsCode(tt, log.append(b(6, 1), 0), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'new epoch must start at 0')
  tt.equal((await log.append(b(0, 1), 0)).firstOffset, 6)
  await rejectsCode(tt, log.append(b(2, 0), 0), ErrorCode.INVALID_PRODUCER_EPOCH, 'old epoch is fenced')
  tt.match(log.checkProducerBatch({ producerId: pid, producerEpoch: 0, baseSequence: 2, lastOffsetDelta: 0 }), { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH })
  // Only the last 5 batches are remembered.
  for (let s = 2; s < 14; s += 2) await log.append(b(s, 1), 0)
  tt.ok((await log.append(b(12, 1), 0)).duplicate, 'the last batch is a duplicate')
  await rejectsCode(tt, log.append(b(0, 1), 0), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'older than the 5 retained batches')
  // Unknown producers: current Kafka accepts any sequence; the strict mode answers UNKNOWN_PRODUCER_ID.
  tt.equal((await log.append(batch({ producerId: 900, producerEpoch: 0, baseSequence: 5 }), 0)).duplicate, false)
  log.updateConfig({ rejectUnknownProducerSequence: true })
  await rejectsCode(tt, log.append(batch({ producerId: 901, producerEpoch: 0, baseSequence: 5 }), 0), ErrorCode.UNKNOWN_PRODUCER_ID, 'strict unknown producer')
  tt.equal((await log.append(batch({ producerId: 901, producerEpoch: 0, baseSequence: 0 }), 0)).duplicate, false)
  // Sequence wrap at Int32 max.
  const max = 0x7fffffff
  tt.equal(incrementSequence(max - 1, 3), 1)
  await log.append(batch({ producerId: 902, producerEpoch: 0, baseSequence: 0 }), 0)
  log.updateConfig({ rejectUnknownProducerSequence: false })
  await log.append(batch({ count: 2, producerId: 903, producerEpoch: 0, baseSequence: max - 3 }), 0)
  await log.append(batch({ count: 2, producerId: 903, producerEpoch: 0, baseSequence: max - 1 }), 0)
  const wrapped = await log.append(batch({ count: 1, producerId: 903, producerEpoch: 0, baseSequence: 0 }), 0)
  tt.equal(wrapped.duplicate, false, 'sequence 0 follows Int32 max')
  const before = log.logEndOffset
  tt.ok((await log.append(batch({ count: 2, producerId: 903, producerEpoch: 0, baseSequence: max - 1 }), 0)).duplicate, 'duplicate of a batch ending at Int32 max')
  tt.equal(log.logEndOffset, before)

  // State survives a clean restart (snapshot) and an unclean one (replay).
  await log.close()
  for (const clean of [true, false]) {
    const again = await open(dir, { hadCleanShutdown: clean })
    const d = await again.append(b(12, 1), 0)
    tt.ok(d.duplicate, `duplicate still detected after ${clean ? 'clean' : 'unclean'} restart`)
    await rejectsCode(tt, again.append(b(0, 0), 0), ErrorCode.INVALID_PRODUCER_EPOCH, `fenced after ${clean ? 'clean' : 'unclean'} restart`)
    if (clean) await again.close()
    else await again.closeAbruptly()
  }
})

t.test('transactions: markers complete transactions, LSO follows', async (tt) => {
  const dir = tmp(tt)
  const log = await open(dir)
  const pid = 5
  await log.append(batch({ count: 1 }), 0) // offset 0
  await log.append(batch({ count: 2, producerId: pid, producerEpoch: 0, baseSequence: 0, transactional: true }), 0) // 1-2
  log.updateHighWatermark(log.logEndOffset)
  tt.equal(log.lastStableOffset, 1, 'open transaction holds the LSO')
  await rejectsCode(tt, log.append(batch({ producerId: pid, producerEpoch: 0, baseSequence: 2 }), 0), ErrorCode.INVALID_TXN_STATE, 'non-transactional write in a transaction')
  const marker = buildEndTxnMarkerBatch({ producerId: pid, producerEpoch: 0, commit: true, coordinatorEpoch: 3, timestamp: 2000 })
  await rejectsCode(tt, log.append(Buffer.from(marker), 0), ErrorCode.INVALID_RECORD, 'clients cannot write markers')
  const res = await log.append(marker, 0, { origin: 'coordinator' })
  tt.same(res.completedTxns, [{ producerId: pid, firstOffset: 1, lastOffset: 3, isAborted: false }])
  tt.equal(log.lastStableOffset, 1, 'marker above the high watermark keeps the LSO')
  log.updateHighWatermark(log.logEndOffset)
  tt.equal(log.lastStableOffset, 4)
  const stale = buildEndTxnMarkerBatch({ producerId: pid, producerEpoch: 0, commit: false, coordinatorEpoch: 2, timestamp: 2000 })
  await rejectsCode(tt, log.append(stale, 0, { origin: 'coordinator' }), ErrorCode.TRANSACTION_COORDINATOR_FENCED, 'zombie coordinator')
  await log.append(batch({ count: 1, producerId: pid, producerEpoch: 0, baseSequence: 2, transactional: true }), 0) // 4
  // Aborted transactions go to the .txnindex: producer 6 opens at 5, producer 5 aborts at 6 (LSO then 5).
  await log.append(batch({ count: 1, producerId: 6, producerEpoch: 0, baseSequence: 0, transactional: true }), 0) // 5
  const abort = await log.append(buildEndTxnMarkerBatch({ producerId: pid, producerEpoch: 0, commit: false, coordinatorEpoch: 3, timestamp: 3000 }), 0, { origin: 'coordinator' }) // 6
  tt.same(abort.completedTxns, [{ producerId: pid, firstOffset: 4, lastOffset: 6, isAborted: true }])
  const expectAborted = [{ producerId: pid, firstOffset: 4, lastOffset: 6, lastStableOffset: 5 }]
  tt.same(await log.collectAbortedTransactions(0, 7), expectAborted)
  tt.same(await log.collectAbortedTransactions(7, 10), [], 'marker before the fetch offset')
  tt.same(await log.collectAbortedTransactions(0, 4), [], 'transaction starts at the upper bound')
  const txnFile = path.join(dir, 'topic-0', '00000000000000000000.txnindex')
  tt.equal(fs.statSync(txnFile).size, 34, 'one 34-byte AbortedTxn entry')
  await log.close()
  const again = await open(dir)
  again.updateHighWatermark(again.logEndOffset)
  tt.equal(again.lastStableOffset, 5, 'open transaction restored on recovery')
  tt.same(await again.collectAbortedTransactions(0, 7), expectAborted, 'aborted transactions after recovery')
  await again.closeAbruptly()
  fs.unlinkSync(txnFile)
  for (const f of fs.readdirSync(path.join(dir, 'topic-0'))) if (f.endsWith('.snapshot')) fs.unlinkSync(path.join(dir, 'topic-0', f))
  const rebuilt = await open(dir)
  tt.same(await rebuilt.collectAbortedTransactions(0, 7), expectAborted, 'aborted transactions rebuilt when producer state is replayed')
  await rebuilt.truncateTo(6)
  tt.same(await rebuilt.collectAbortedTransactions(0, 7), [], 'truncation removes the entry with its marker')
  await rebuilt.close()
})

t.test('validation: corrupt, oversized and bad batches leave the log untouched', async (tt) => {
  const dir = tmp(tt)
  const log = await open(dir, { config: { maxMessageBytes: 2000, segmentBytes: 10_000 } })
  await log.append(batch({ count: 2 }), 0)
  const file = path.join(dir, 'topic-0', '00000000000000000000.log')
  const sizeBefore = fs.statSync(file).size
  const bad = batch({ count: 3, valueSize: 30 })
  bad[bad.length - 5]! ^= 0xff
  await rejectsCode(tt, log.append(bad, 0), ErrorCode.CORRUPT_MESSAGE, 'CRC mismatch')
  const good = batch({ count: 1 })
  await rejectsCode(tt, log.append(Buffer.concat([good, bad]), 0), ErrorCode.CORRUPT_MESSAGE, 'a bad batch after a good one refuses all')
  await rejectsCode(tt, log.append(good.subarray(0, good.length - 3), 0), ErrorCode.CORRUPT_MESSAGE, 'truncated batch')
  const magic = Buffer.from(good)
  magic[16] = 7
  await rejectsCode(tt, log.append(magic, 0), ErrorCode.CORRUPT_MESSAGE, 'unknown magic')
  await rejectsCode(tt, log.append(batch({ count: 1, valueSize: 3000 }), 0), ErrorCode.MESSAGE_TOO_LARGE, 'over max.message.bytes')
  const list = Buffer.concat(Array.from({ length: 8 }, () => batch({ count: 1, valueSize: 1500 })))
  await rejectsCode(tt, log.append(list, 0), ErrorCode.RECORD_LIST_TOO_LARGE, 'over segment.bytes')
  const clock = new ManualClock()
  log.updateConfig({ messageTimestampAfterMaxMs: 1000 })
  await rejectsCode(tt, log.append(batch({ timestamp: Date.now() + 3_600_000 }), 0), ErrorCode.INVALID_TIMESTAMP, 'timestamp too far ahead')
  void clock
  tt.equal(log.logEndOffset, 2, 'log end unchanged')
  tt.equal(fs.statSync(file).size, sizeBefore, 'file unchanged')
  await log.close()
})

t.test('a large batch (written with one writeSync) is refused whole when corrupt', async (tt) => {
  const dir = tmp(tt)
  const log = await open(dir, { config: { maxMessageBytes: 4 * 1024 * 1024 } })
  const big = (): Buffer => batch({ count: 40, valueSize: 16 * 1024 })
  await log.append(big(), 0)
  const file = path.join(dir, 'topic-0', '00000000000000000000.log')
  const sizeBefore = fs.statSync(file).size
  for (const at of [70, 300_000, -1]) {
    const bad = big()
    bad[at < 0 ? bad.length + at : at]! ^= 0x01
    await rejectsCode(tt, log.append(bad, 0), ErrorCode.CORRUPT_MESSAGE, `a flipped bit at ${at} is caught`)
    tt.equal(fs.statSync(file).size, sizeBefore, 'the written bytes were cut back')
  }
  tt.equal(log.logEndOffset, 40, 'log end unchanged')
  const r = await log.append(big(), 0)
  tt.equal(r.firstOffset, 40, 'the next good batch follows straight on')
  const read = await log.read(40, 4 * 1024 * 1024, log.logEndOffset)
  tt.ok(verifyBatchCrc(read.records, 0), 'and reads back intact')
  tt.equal(readBatchHeader(read.records, 0).baseOffset, 40)
  await log.close()
})

t.test('LogAppendTime stamps the batch and recomputes the CRC', async (tt) => {
  const dir = tmp(tt)
  const clock = new ManualClock(5_000_000)
  const log = await open(dir, { clock, config: { messageTimestampType: 'LogAppendTime' } })
  const res = await log.append(batch({ count: 3, timestamp: 42 }), 0)
  tt.equal(res.logAppendTime, 5_000_000)
  const rr = await log.read(0, 1000)
  const h = readBatchHeader(rr.records)
  tt.equal(h.maxTimestamp, 5_000_000)
  tt.equal(h.attributes & 0x08, 0x08)
  tt.ok(verifyBatchCrc(rr.records), 'CRC valid')
  tt.same(decodeBatchRecordsSync(rr.records).map((r) => r.timestamp), [5_000_000, 5_000_000, 5_000_000])
  await log.close()
})

t.test('follower appends keep offsets and epochs', async (tt) => {
  const dir = tmp(tt)
  const log = await open(dir)
  const b1 = batch({ count: 3, baseOffset: 0, partitionLeaderEpoch: 2 })
  const b2 = batch({ count: 2, baseOffset: 10, partitionLeaderEpoch: 4 })
  const res = await log.appendAsFollower(Buffer.concat([b1, b2]))
  tt.same([res.firstOffset, res.lastOffset, log.logEndOffset], [0, 11, 12])
  tt.same(log.leaderEpochCache.all, [{ epoch: 2, startOffset: 0 }, { epoch: 4, startOffset: 10 }])
  await rejectsCode(tt, log.appendAsFollower(batch({ baseOffset: 5 })), ErrorCode.OFFSET_OUT_OF_RANGE, 'below the log end')
  const rr = await log.read(10, 1000)
  tt.same(batchRanges(rr.records), [[10, 11]])
  tt.equal(readBatchHeader(rr.records).partitionLeaderEpoch, 4)
  await log.close()

  // A gap between segments, then truncation into the gap.
  const dir2 = tmp(tt)
  const log2 = await open(dir2, { config: { segmentBytes: 300 } })
  await log2.appendAsFollower(batch({ count: 3, valueSize: 50, baseOffset: 0, partitionLeaderEpoch: 1 }))
  await log2.appendAsFollower(batch({ count: 3, valueSize: 50, baseOffset: 100, partitionLeaderEpoch: 2 }))
  tt.same(log2.segmentBaseOffsets, [0, 100])
  tt.ok(await log2.truncateTo(50))
  tt.same([log2.segmentBaseOffsets, log2.logEndOffset], [[0], 3], 'truncation into a gap ends the log after the last batch')
  tt.equal((await log2.appendAsFollower(batch({ count: 1, baseOffset: 3, partitionLeaderEpoch: 3 }))).firstOffset, 3)
  tt.same(batchRanges((await log2.read(0, 1 << 20)).records), [[0, 2]], 'a read returns data from one segment')
  tt.same(batchRanges((await log2.read(3, 1 << 20)).records), [[3, 3]])
  await log2.close()
})

t.test('segment roll triggers: segment.ms, index full, offset overflow; flush.messages', async (tt) => {
  const dir = tmp(tt)
  const clock = new ManualClock()
  const log = await open(dir, { clock, config: { segmentMs: 60_000, flushMessages: 1 } })
  await log.append(batch({ timestamp: clock.now() }), 0)
  tt.equal(log.recoveryPoint, 1, 'flush.messages=1 flushes every append')
  clock.advance(30_000)
  await log.append(batch({ timestamp: clock.now() }), 0)
  tt.equal(log.numberOfSegments, 1)
  clock.advance(31_000)
  await log.append(batch({ timestamp: clock.now() }), 0)
  tt.same(log.segmentBaseOffsets, [0, 2], 'rolled by segment.ms')
  tt.equal(log.recoveryPoint, 3)
  await log.close()

  const dir2 = tmp(tt)
  const log2 = await open(dir2, { config: { segmentIndexBytes: 8 * 3, indexIntervalBytes: 1 } })
  for (let i = 0; i < 12; i++) await log2.append(batch({ count: 1, valueSize: 20 }), 0)
  tt.ok(log2.numberOfSegments >= 3, `index full rolls (${log2.numberOfSegments} segments)`)
  const all = await log2.read(0, 1 << 20)
  void all
  let off = 0
  for (let i = 0; i < 12; i++) {
    const rr = await log2.read(off, 1)
    tt.same(batchRanges(rr.records), [[i, i]])
    off = rr.nextOffset
  }
  await log2.close()

  const dir3 = tmp(tt)
  const log3 = await open(dir3)
  await log3.appendAsFollower(batch({ baseOffset: 0 }))
  const far = 0x7fffffff + 10
  await log3.appendAsFollower(batch({ baseOffset: far, count: 2 }))
  tt.same(log3.segmentBaseOffsets, [0, far], 'relative offset overflow rolls at the batch')
  tt.same(batchRanges((await log3.read(far, 100)).records), [[far, far + 1]])
  await log3.close()
})

t.test('concurrent appends are serialised in call order', async (tt) => {
  const dir = tmp(tt)
  const log = await open(dir, { config: { segmentBytes: 3000 } })
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(batch({ count: 1 + (i % 3), fill: i }), 0)))
  let next = 0
  for (const r of results) {
    tt.equal(r.firstOffset, next)
    next = r.lastOffset + 1
  }
  const reads = await Promise.all(results.map((r) => log.read(r.firstOffset, 1)))
  tt.ok(reads.every((rr, i) => batchRanges(rr.records)[0]![0] === results[i]!.firstOffset))
  await log.close()
  void splitBatches
  void buildBatchSync
})

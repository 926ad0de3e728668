import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import {
  CheckpointFormatError,
  formatLeaderEpochCheckpoint,
  formatOffsetCheckpoint,
  parseLeaderEpochCheckpoint,
  parseMetaProperties,
  parseOffsetCheckpoint,
  randomKafkaUuid,
} from './checkpoint.js'
import { Log } from './log.js'
import { LogManager } from './log-manager.js'
import { batch, batchRanges, captureLogger, makeTmpDir, randInt, rmrf, rng, type CapturedLogger } from './testkit.js'

function tmp(tt: Test): string {
  const d = makeTmpDir()
  tt.teardown(() => rmrf(d))
  return d
}

const CFG = { segmentBytes: 4000, indexIntervalBytes: 200 }

interface Written {
  first: number
  last: number
  bytes: Buffer
}

/** A log with `n` batches written and left without a clean close. */
async function writeLog(dir: string, n: number, seed = 1): Promise<Written[]> {
  const r = rng(seed)
  const log = await Log.open({ dir, config: CFG, logger: captureLogger() })
  const out: Written[] = []
  for (let i = 0; i < n; i++) {
    const b = batch({ count: randInt(r, 1, 4), valueSize: randInt(r, 10, 300), timestamp: 1000 + i, fill: i })
    const res = await log.append(b, 1)
    out.push({ first: res.firstOffset, last: res.lastOffset, bytes: Buffer.from(b) })
  }
  await log.closeAbruptly()
  return out
}

async function readAll(log: Log): Promise<Buffer> {
  const parts: Buffer[] = []
  let off = log.logStartOffset
  while (off < log.logEndOffset) {
    const rr = await log.read(off, 1 << 20)
    if (rr.records.length === 0) break
    parts.push(rr.records)
    off = rr.nextOffset
  }
  return Buffer.concat(parts)
}

function segFiles(dir: string, ext: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith(ext)).sort().map((n) => path.join(dir, n))
}

/** Segment file and in-file position of batch i. */
function locate(dir: string, written: Written[], i: number): { file: string; pos: number } {
  const logs = segFiles(dir, '.log')
  const bases = logs.map((f) => Number(path.basename(f).slice(0, 20)))
  let s = 0
  while (s + 1 < bases.length && bases[s + 1]! <= written[i]!.first) s++
  let pos = 0
  for (let k = 0; k < i; k++) if (written[k]!.first >= bases[s]!) pos += written[k]!.bytes.length
  return { file: logs[s]!, pos }
}

async function expectPrefix(tt: Test, log: Log, written: Written[], keep: number, label: string): Promise<void> {
  const want = Buffer.concat(written.slice(0, keep).map((w) => w.bytes))
  const end = keep === 0 ? 0 : written[keep - 1]!.last + 1
  tt.equal(log.logEndOffset, end, `${label}: log end offset`)
  tt.ok((await readAll(log)).equals(want), `${label}: everything before the bad batch is served bit for bit`)
  const res = await log.append(batch({ count: 1 }), 2)
  tt.equal(res.firstOffset, end, `${label}: appends continue at the cut`)
}

t.test('recovery cuts the log at the first bad batch', async (tt) => {
  const cases: Array<{ name: string; damage: (dir: string, w: Written[]) => number; reason: RegExp }> = [
    {
      name: 'byte flip in the last segment',
      damage: (dir, w) => {
        const i = w.length - 4
        const { file, pos } = locate(dir, w, i)
        const fd = fs.openSync(file, 'r+')
        const b = Buffer.alloc(1)
        fs.readSync(fd, b, 0, 1, pos + 70)
        b[0]! ^= 0x5a
        fs.writeSync(fd, b, 0, 1, pos + 70)
        fs.closeSync(fd)
        return i
      },
      reason: /CRC/,
    },
    {
      name: 'file truncated inside a batch',
      damage: (dir, w) => {
        const i = w.length - 2
        const { file, pos } = locate(dir, w, i)
        fs.truncateSync(file, pos + 30)
        return i
      },
      reason: /too few|past the end|ended/,
    },
    {
      name: 'zero-filled tail',
      damage: (dir, w) => {
        const logs = segFiles(dir, '.log')
        fs.appendFileSync(logs[logs.length - 1]!, Buffer.alloc(4096))
        return w.length
      },
      reason: /zero/,
    },
    {
      name: 'bad length in a middle segment',
      damage: (dir, w) => {
        const i = Math.floor(w.length / 3)
        const { file, pos } = locate(dir, w, i)
        const fd = fs.openSync(file, 'r+')
        const b = Buffer.alloc(4)
        b.writeInt32BE(7, 0)
        fs.writeSync(fd, b, 0, 4, pos + 8)
        fs.closeSync(fd)
        return i
      },
      reason: /invalid batch length/,
    },
    {
      name: 'bad magic',
      damage: (dir, w) => {
        const i = w.length - 6
        const { file, pos } = locate(dir, w, i)
        const fd = fs.openSync(file, 'r+')
        fs.writeSync(fd, Buffer.from([9]), 0, 1, pos + 16)
        fs.closeSync(fd)
        return i
      },
      reason: /magic/,
    },
  ]
  for (const c of cases) {
    const base = tmp(tt)
    const dir = path.join(base, 'events-3')
    const written = await writeLog(dir, 60)
    const keep = c.damage(dir, written)
    const logger = captureLogger()
    const log = await Log.open({ dir, config: CFG, logger })
    tt.ok(log.loadStats.recoveryRan, `${c.name}: recovery ran`)
    if (keep < written.length || c.name.includes('zero')) {
      const line = logger.lines.find((l) => /recovery stopped/.test(l)) ?? ''
      tt.match(line, /events-3/, `${c.name}: log line names the partition`)
      tt.match(line, new RegExp(`offset ${keep < written.length ? written[keep]!.first : written[written.length - 1]!.last + 1}`), `${c.name}: and the offset`)
      tt.match(line, c.reason, `${c.name}: and the reason`)
    }
    await expectPrefix(tt, log, written, keep, c.name)
    await log.close()
    const again = await Log.open({ dir, config: CFG, logger: captureLogger(), hadCleanShutdown: true })
    tt.equal(again.logEndOffset, log.logEndOffset, `${c.name}: stable after a clean restart`)
    await again.close()
  }
})

t.test('missing and corrupt indexes are rebuilt, never trusted', async (tt) => {
  const base = tmp(tt)
  const dir = path.join(base, 't-0')
  const written = await writeLog(dir, 80, 3)
  // Make it a clean log first so indexes are written.
  const l0 = await Log.open({ dir, config: CFG, logger: captureLogger() })
  await l0.close()
  const indexes = segFiles(dir, '.index')
  tt.ok(indexes.length >= 4)
  const original = fs.readFileSync(indexes[1]!)
  const originalTime = fs.readFileSync(segFiles(dir, '.timeindex')[2]!)
  fs.unlinkSync(indexes[1]!)
  const garbage = Buffer.alloc(originalTime.length + 24, 0)
  garbage.fill(0xff, 0, 12)
  fs.writeFileSync(segFiles(dir, '.timeindex')[2]!, garbage)
  const logger = captureLogger()
  const log = await Log.open({ dir, config: CFG, logger, hadCleanShutdown: true })
  tt.ok((await readAll(log)).equals(Buffer.concat(written.map((w) => w.bytes))), 'all data served')
  tt.ok(logger.has(/offset index is missing; rebuilding/), 'missing index logged')
  tt.ok(logger.has(/corrupt index .*timeindex/), 'corrupt time index logged')
  tt.ok(fs.readFileSync(indexes[1]!).equals(original), 'rebuilt offset index is identical to the original')
  tt.ok(fs.readFileSync(segFiles(dir, '.timeindex')[2]!).equals(originalTime), 'rebuilt time index is identical')
  // Lookups through the rebuilt indexes.
  const r = rng(9)
  for (let k = 0; k < 50; k++) {
    const o = randInt(r, 0, log.logEndOffset - 1)
    const [b0, b1] = batchRanges((await log.read(o, 1)).records)[0]!
    if (!(b0 <= o && o <= b1)) tt.fail(`lookup of ${o} gave ${b0}-${b1}`)
  }
  await log.close()
})

t.test('clean restart does not scan; unclean restart scans only after the recovery point', async (tt) => {
  const base = tmp(tt)
  const dir = path.join(base, 't-0')
  const log = await Log.open({ dir, config: CFG, logger: captureLogger() })
  const pid = 9
  const now = Date.now()
  for (let i = 0; i < 100; i++) {
    await log.append(batch({ count: 2, valueSize: 100, producerId: pid, producerEpoch: 0, baseSequence: i * 2, timestamp: now }), 0)
  }
  await log.close()
  const clean = await Log.open({ dir, config: CFG, logger: captureLogger(), hadCleanShutdown: true })
  tt.same(
    [clean.loadStats.recoveryRan, clean.loadStats.recoveredBytes, clean.loadStats.producerReplayBatches],
    [false, 0, 0],
    'no recovery scan and no producer replay after a clean shutdown',
  )
  tt.equal(clean.logEndOffset, 200)
  tt.ok((await clean.append(batch({ count: 2, producerId: pid, producerEpoch: 0, baseSequence: 198, timestamp: now }), 0)).duplicate, 'producer state from the snapshot')
  for (let i = 0; i < 10; i++) await clean.append(batch({ count: 2, valueSize: 100, producerId: pid, producerEpoch: 0, baseSequence: 200 + i * 2, timestamp: now }), 0)
  await clean.flush()
  const rp = clean.recoveryPoint
  tt.equal(rp, 220)
  for (let i = 0; i < 5; i++) await clean.append(batch({ count: 2, valueSize: 100, producerId: pid, producerEpoch: 0, baseSequence: 220 + i * 2, timestamp: now }), 0)
  await clean.closeAbruptly()
  const unclean = await Log.open({ dir, config: CFG, logger: captureLogger(), recoveryPoint: rp })
  tt.ok(unclean.loadStats.recoveryRan)
  tt.ok(unclean.loadStats.recoveredBytes > 0 && unclean.loadStats.recoveredBytes < 5 * 300, `only the unflushed tail was scanned (${unclean.loadStats.recoveredBytes} bytes)`)
  tt.equal(unclean.logEndOffset, 230)
  tt.ok((await unclean.append(batch({ count: 2, producerId: pid, producerEpoch: 0, baseSequence: 228, timestamp: now }), 0)).duplicate, 'producer state rebuilt from snapshot + tail')
  tt.equal((await unclean.append(batch({ count: 2, producerId: pid, producerEpoch: 0, baseSequence: 230, timestamp: now }), 0)).firstOffset, 230)
  await unclean.close()

  // A clean marker but junk after the last batch (e.g. a disk that lied): cut, logged, appends continue.
  const logs = segFiles(dir, '.log')
  fs.appendFileSync(logs[logs.length - 1]!, Buffer.from('not a record batch, definitely not one'))
  const logger = captureLogger()
  const junk = await Log.open({ dir, config: CFG, logger, hadCleanShutdown: true })
  tt.equal(junk.logEndOffset, 232)
  tt.ok(logger.has(/unreadable bytes/), 'junk after the last batch logged')
  tt.equal((await junk.append(batch({ count: 1 }), 0)).firstOffset, 232)
  tt.same(batchRanges((await junk.read(230, 1 << 20)).records), [[230, 231], [232, 232]])
  await junk.close()
})

t.test('checkpoint files use Kafka formats', async (tt) => {
  const text = formatOffsetCheckpoint([
    { topic: 'a.b_c-d', partition: 0, offset: 100 },
    { topic: '__consumer_offsets', partition: 49, offset: 0 },
  ])
  tt.equal(text, '0\n2\na.b_c-d 0 100\n__consumer_offsets 49 0\n')
  tt.same(parseOffsetCheckpoint(text), [
    { topic: 'a.b_c-d', partition: 0, offset: 100 },
    { topic: '__consumer_offsets', partition: 49, offset: 0 },
  ])
  tt.same(parseOffsetCheckpoint('0\n0\n'), [])
  tt.throws(() => parseOffsetCheckpoint('1\n0\n'), CheckpointFormatError)
  tt.throws(() => parseOffsetCheckpoint('0\n2\na 0 1\n'), /expected 2 entries/)
  tt.throws(() => parseOffsetCheckpoint('0\n1\na 0\n'), /malformed line/)
  tt.equal(formatLeaderEpochCheckpoint([{ epoch: 0, startOffset: 0 }, { epoch: 4, startOffset: 77 }]), '0\n2\n0 0\n4 77\n')
  tt.same(parseLeaderEpochCheckpoint('0\n1\n3 10\n'), [{ epoch: 3, startOffset: 10 }])
  const meta = parseMetaProperties('#\n#Thu Jan 01 00:00:00 UTC 2025\ncluster.id=abc\ndirectory.id=xyz\nnode.id=3\nversion=1\n')
  tt.same(meta, { version: 1, clusterId: 'abc', nodeId: 3, directoryId: 'xyz' })
  const id = randomKafkaUuid()
  tt.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/)
})

t.test('LogManager: checkpoints, clean shutdown marker, restart, delete', async (tt) => {
  const base = tmp(tt)
  const dirs = [path.join(base, 'd1'), path.join(base, 'd2')]
  const logger = captureLogger()
  let m = await LogManager.start({ logDirs: dirs, logger, startTimers: false, nodeId: 1, clusterId: 'clusterA', defaultConfig: { segmentBytes: 2000, fileDeleteDelayMs: 0 } })
  const topicId = randomKafkaUuid()
  for (let p = 0; p < 4; p++) {
    const log = await m.getOrCreateLog('orders', p, { segmentBytes: 3000 }, topicId)
    for (let i = 0; i < 20 + p; i++) await log.append(batch({ count: 1, valueSize: 100 }), 0)
    log.updateHighWatermark(log.logEndOffset)
  }
  tt.equal(m.getLog('orders', 2)!.config.segmentBytes, 3000, 'per-log config')
  tt.ok(fs.existsSync(path.join(dirs[0]!, 'orders-0')) && fs.existsSync(path.join(dirs[1]!, 'orders-1')), 'logs spread over the dirs')
  tt.equal(m.topicIdOf('orders', 1), topicId)
  tt.equal(fs.readFileSync(path.join(m.getLog('orders', 1)!.dir, 'partition.metadata'), 'utf8'), `version: 0\ntopic_id: ${topicId}\n`)
  const o3 = m.getLog('orders', 3)!
  tt.equal(await o3.deleteRecordsBefore(5), 5)
  const lsCk = fs.readFileSync(path.join(o3.dir, '..', 'log-start-offset-checkpoint'), 'utf8')
  tt.match(lsCk, /^0\n\d+\n/, 'log start checkpoint written at once')
  tt.match(lsCk, /orders 3 5\n/)
  await m.shutdown()
  for (const d of dirs) {
    tt.ok(fs.existsSync(path.join(d, '.kafka_cleanshutdown')), 'clean shutdown marker')
    const meta = parseMetaProperties(fs.readFileSync(path.join(d, 'meta.properties'), 'utf8'))
    tt.same([meta.clusterId, meta.nodeId, meta.version], ['clusterA', 1, 1])
    tt.ok(meta.directoryId.length === 22)
    const rp = parseOffsetCheckpoint(fs.readFileSync(path.join(d, 'recovery-point-offset-checkpoint'), 'utf8'))
    tt.equal(rp.length, 2)
    for (const e of rp) tt.equal(e.offset, 20 + e.partition, `recovery point of ${e.topic}-${e.partition} is its log end`)
    const hw = parseOffsetCheckpoint(fs.readFileSync(path.join(d, 'replication-offset-checkpoint'), 'utf8'))
    for (const e of hw) tt.equal(e.offset, 20 + e.partition)
  }

  m = await LogManager.start({ logDirs: dirs, logger: captureLogger(), startTimers: false, nodeId: 1, clusterId: 'clusterA' })
  tt.same([m.loadSummary.logs, m.loadSummary.cleanShutdownDirs, m.loadSummary.recoveredLogs], [4, 2, 0], 'clean restart: nothing recovered')
  for (const d of dirs) tt.notOk(fs.existsSync(path.join(d, '.kafka_cleanshutdown')), 'marker removed while running')
  tt.equal(m.getLog('orders', 3)!.logStartOffset, 5, 'log start offset restored')
  tt.equal(m.getLog('orders', 2)!.highWatermark, 22, 'high watermark restored')
  tt.equal(m.topicIdOf('orders', 2), topicId, 'topic id read from partition.metadata while loading')
  const metaFile = path.join(m.getLog('orders', 2)!.dir, 'partition.metadata')
  const before = fs.statSync(metaFile).mtimeMs
  await m.getOrCreateLog('orders', 2, undefined, topicId)
  tt.equal(fs.statSync(metaFile).mtimeMs, before, 'the same topic id again: the file is left alone')
  const otherId = randomKafkaUuid()
  await m.getOrCreateLog('orders', 2, undefined, otherId)
  tt.equal(fs.readFileSync(metaFile, 'utf8'), `version: 0\ntopic_id: ${otherId}\n`, 'a new topic id is written')
  tt.equal(m.topicIdOf('orders', 2), otherId)
  await m.getLog('orders', 0)!.append(batch({ count: 3 }), 0)
  await m.checkpointAll()
  await m.crash()
  await tt.rejects(LogManager.start({ logDirs: dirs, logger: captureLogger(), startTimers: false, nodeId: 2 }), /node.id 1 does not match/)

  m = await LogManager.start({ logDirs: dirs, logger: captureLogger(), startTimers: false })
  tt.equal(m.loadSummary.cleanShutdownDirs, 0)
  tt.equal(m.loadSummary.recoveredLogs, 4, 'crash: logs recovered')
  tt.equal(m.getLog('orders', 0)!.logEndOffset, 23, 'unflushed append survived the process crash')
  tt.ok(await m.deleteLog('orders', 1))
  tt.equal(m.getLog('orders', 1), undefined)
  await m.runRetention()
  const leftovers = fs.readdirSync(dirs[1]!).filter((n) => n.startsWith('orders-1'))
  tt.ok(leftovers.every((n) => /^orders-1\.[0-9a-f]{32}-delete$/.test(n)), `deleted dir renamed (${leftovers.join(',')})`)
  await m.shutdown()
  m = await LogManager.start({ logDirs: dirs, logger: captureLogger(), startTimers: false })
  tt.equal(m.getLog('orders', 1), undefined, 'deleted log stays deleted')
  await m.shutdown()
  tt.same(fs.readdirSync(dirs[1]!).filter((n) => n.startsWith('orders-1')), [], 'deleted dir removed')
})

t.test('creating many logs at once opens them a few at a time', async (tt) => {
  const base = tmp(tt)
  const m = await LogManager.start({ logDirs: [base], logger: captureLogger(), startTimers: false, createConcurrency: 4 })
  const openFds = (): number => fs.readdirSync('/proc/self/fd').length
  const fdsBefore = openFds()
  let peakFds = 0
  const sampler = setInterval(() => (peakFds = Math.max(peakFds, openFds())), 1)
  // What the replica manager does when a 400-partition topic appears: every log asked for at once.
  const logs = await Promise.all(Array.from({ length: 400 }, (_, p) => m.getOrCreateLog('burst', p, undefined, randomKafkaUuid())))
  clearInterval(sampler)
  tt.equal(new Set(logs).size, 400)
  tt.ok(peakFds - fdsBefore < 100, `open files during the burst stayed bounded (${peakFds - fdsBefore} above the start; unbounded it was several per log)`)
  await m.shutdown()
})

t.test('many partitions share a bounded pool of open files', async (tt) => {
  const base = tmp(tt)
  const logger: CapturedLogger = captureLogger()
  const m = await LogManager.start({ logDirs: [base], logger, startTimers: false, maxOpenFiles: 32 })
  const n = 300
  for (let p = 0; p < n; p++) {
    const log = await m.getOrCreateLog('wide', p)
    for (let i = 0; i < 4; i++) await log.append(batch({ count: 1, valueSize: 200, fill: p }), 0)
  }
  tt.ok(m.allLogs().length > 32 * 4, 'far more segment files than the pool holds')
  tt.ok(m.pool.stats.open <= 32, `at most 32 files open (${m.pool.stats.open})`)
  tt.ok(m.pool.stats.evictions > 0)
  const r = rng(5)
  for (let k = 0; k < 200; k++) {
    const p = randInt(r, 0, n - 1)
    const rr = await m.getLog('wide', p)!.read(randInt(r, 0, 3), 1)
    if (rr.records.length === 0 || rr.records[rr.records.length - 2] !== (p & 0xff)) tt.fail(`read from wide-${p}`)
  }
  tt.ok(m.pool.stats.open <= 32, 'still bounded after random reads')
  await m.shutdown()
  const m2 = await LogManager.start({ logDirs: [base], logger, startTimers: false, maxOpenFiles: 32 })
  tt.equal(m2.allLogs().length, n)
  tt.ok(m2.pool.stats.open <= 32)
  await m2.shutdown()
})

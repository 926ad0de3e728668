// Appends with deferWrite: staged in memory, written with one writev at the end of the event
// loop's turn, read back correctly before that, and a failed write takes the log offline.
import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { ErrorCode, KafkaError } from '../wire/index.js'
import { releaseAtTurnEnd } from '../util/index.js'
import { Log } from './log.js'
import { batch, captureLogger, makeTmpDir, rmrf } from './testkit.js'

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

async function openLog(tt: Test): Promise<{ log: Log; file: string; logger: ReturnType<typeof captureLogger> }> {
  const dir = makeTmpDir()
  tt.teardown(() => rmrf(dir))
  const logger = captureLogger()
  const log = await Log.open({ dir: path.join(dir, 'topic-0'), logger })
  return { log, file: log.activeSegment.filePath(), logger }
}

async function storageError(tt: Test, p: Promise<unknown>, what: string): Promise<void> {
  try {
    await p
    tt.fail(`${what}: resolved`)
  } catch (e) {
    tt.ok(e instanceof KafkaError && e.code === ErrorCode.KAFKA_STORAGE_ERROR, `${what}: KAFKA_STORAGE_ERROR (${(e as Error).message})`)
  }
}

t.test('deferred appends reach the file together at the end of the turn', async (tt) => {
  const { log, file } = await openLog(tt)
  const a = batch({ count: 3 })
  const b = batch({ count: 2 })
  const ra = await log.append(a, 0, { deferWrite: true })
  const rb = await log.append(b, 0, { deferWrite: true })
  tt.same([ra.firstOffset, ra.lastOffset, rb.firstOffset, rb.lastOffset], [0, 2, 3, 4])
  tt.equal(log.logEndOffset, 5)
  tt.equal(fs.statSync(file).size, 0, 'nothing written yet')
  await nextTurn()
  tt.equal(fs.statSync(file).size, a.length + b.length, 'both written')
  tt.same(fs.readFileSync(file), Buffer.concat([a, b]))
  await log.close()
})

t.test('a read, a flush or a non-deferred append writes what is staged first', async (tt) => {
  const { log, file } = await openLog(tt)
  await log.append(batch({ count: 4 }), 0, { deferWrite: true })
  const read = await log.read(0, 1 << 20)
  tt.equal(read.nextOffset, 4, 'the read sees the staged batch')
  tt.ok(fs.statSync(file).size > 0, 'written by the read')

  await log.append(batch({ count: 1 }), 0, { deferWrite: true })
  const size = fs.statSync(file).size
  await log.append(batch({ count: 1 }), 0)
  tt.ok(fs.statSync(file).size > size, 'the plain append wrote the staged batch and itself')
  tt.equal((await log.read(4, 1 << 20)).nextOffset, 6)

  await log.append(batch({ count: 2 }), 0, { deferWrite: true })
  await log.flush()
  tt.equal(log.recoveryPoint, 8)
  const before = fs.statSync(file).size
  await nextTurn()
  tt.equal(fs.statSync(file).size, before, 'nothing left for the turn end')
  await log.close()
})

t.test('closing writes what is staged; the reopened log has every acknowledged batch', async (tt) => {
  const dir = makeTmpDir()
  tt.teardown(() => rmrf(dir))
  const log = await Log.open({ dir: path.join(dir, 'topic-0'), logger: captureLogger() })
  for (let i = 0; i < 5; i++) await log.append(batch({ count: 2 }), 0, { deferWrite: true })
  await log.close()
  const again = await Log.open({ dir: path.join(dir, 'topic-0'), logger: captureLogger() })
  tt.equal(again.logEndOffset, 10)
  tt.equal((await again.read(0, 1 << 20)).nextOffset, 10)
  await again.close()
})

t.test('a failed staged write takes the log offline and withdraws the turn\'s acknowledgements', async (tt) => {
  const { log, logger } = await openLog(tt)
  await log.append(batch({ count: 1 }), 0)
  await log.append(batch({ count: 2 }), 0, { deferWrite: true })
  const events: string[] = []
  releaseAtTurnEnd({ release: () => events.push('released'), drop: (why) => events.push(`dropped: ${why}`) })

  // Sabotage the descriptor the write will use: the kernel refuses it (EBADF).
  const seg = log.activeSegment
  const fd = log.pool.tryAcquire(seg)
  log.pool.release(seg, fd)
  fs.closeSync(fd)
  await nextTurn()

  tt.equal(events.length, 1)
  tt.match(events[0], /^dropped: /, 'the held response is dropped, not released')
  tt.ok(logger.has(/write at position \d+ failed, the log goes offline/), 'the failure is logged')
  await storageError(tt, log.append(batch({ count: 1 }), 0), 'a later append')
  await storageError(tt, log.append(batch({ count: 1 }), 0, { deferWrite: true }), 'a later deferred append')
  await storageError(tt, log.read(0, 1 << 20), 'a read')
  await storageError(tt, log.close(), 'a clean close (no clean-shutdown state is written)')
  await log.closeAbruptly()
})

t.test('appendNowOrQueued: at once when idle, behind a roll or a flush when not, always in call order', async (tt) => {
  const dir = makeTmpDir()
  tt.teardown(() => rmrf(dir))
  const one = batch({ count: 2, valueSize: 100 })
  // Two batches per segment: every third append rolls (I/O), and every fifth message count flushes.
  const log = await Log.open({ dir: path.join(dir, 'topic-0'), logger: captureLogger(), config: { segmentBytes: one.length * 2, flushMessages: 5 } })
  const results: Array<ReturnType<Log['appendNowOrQueued']>> = []
  for (let i = 0; i < 12; i++) results.push(log.appendNowOrQueued(batch({ count: 2, valueSize: 100 }), 0, { deferWrite: i % 2 === 0 }))
  tt.ok(results[0] instanceof Promise, 'the first append waits for its leader epoch to be recorded')
  tt.ok(results.every((r) => r instanceof Promise), 'and the ones behind it queue')
  const firsts = (await Promise.all(results)).map((r) => r.firstOffset)
  tt.same(firsts, Array.from({ length: 12 }, (_, i) => i * 2), 'offsets follow the call order')
  tt.ok(log.numberOfSegments >= 6, `rolled into ${log.numberOfSegments} segments`)
  const read = await log.read(0, 1 << 20)
  tt.ok(read.nextOffset >= 2, 'readable')
  let next = 0
  while (next < 24) next = (await log.read(next, 1 << 20)).nextOffset
  tt.equal(next, 24, 'every batch reads back across the segments')
  await log.close()

  // Idle, no roll, no new epoch, no flush due: done when the call returns.
  const idle = await Log.open({ dir: path.join(dir, 'other-0'), logger: captureLogger() })
  await idle.append(batch({ count: 1 }), 0)
  const now = idle.appendNowOrQueued(batch({ count: 3 }), 0, { deferWrite: true })
  tt.notOk(now instanceof Promise, 'an idle log appends at once')
  tt.equal((now as Awaited<typeof now>).firstOffset, 1)
  tt.equal(idle.logEndOffset, 4)
  await idle.close()

  // A bad batch is refused synchronously by appendNowOrQueued and as a rejection by append.
  const again = await Log.open({ dir: path.join(dir, 'topic-0'), logger: captureLogger() })
  const bad = Buffer.from(one)
  bad.writeUInt32BE((bad.readUInt32BE(17) ^ 1) >>> 0, 17) // the CRC
  tt.throws(() => again.appendNowOrQueued(bad, 0), { code: ErrorCode.CORRUPT_MESSAGE })
  await tt.rejects(again.append(bad, 0), { code: ErrorCode.CORRUPT_MESSAGE })
  tt.equal(again.logEndOffset, 24)
  await again.close()
})

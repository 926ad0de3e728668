/**
 * Child process of crash.test.ts. Waits for "go <dir> <seed> <firstSeq>" on stdin,
 * opens the log (recovering it), prints "R <logEndOffset>", then appends batches
 * derived from (seed, seq) with flush.messages=1 forever, printing
 * "A <seq> <firstOffset> <lastOffset> <sha1 of the stored bytes>" after each
 * acknowledged append. The parent kills it with SIGKILL.
 */
import crypto from 'node:crypto'
import readline from 'node:readline'
import { buildBatchSync } from '../wire/index.js'
import { silentLogger } from './config.js'
import { Log } from './log.js'
import { randInt, rng } from './testkit.js'

function crashBatch(seed: number, seq: number): Buffer {
  const r = rng(seed * 1_000_003 + seq)
  const big = r() < 0.1
  const count = randInt(r, 1, big ? 3 : 8)
  const records = []
  for (let i = 0; i < count; i++) {
    const size = big ? randInt(r, 50_000, 150_000) : randInt(r, 1, 2000)
    const value = Buffer.allocUnsafe(size)
    for (let j = 0; j < size; j += 4096) value[j] = Math.floor(r() * 256)
    value.fill(seq & 0xff, 0, Math.min(size, 16))
    records.push({ key: Buffer.from(`k${seq}-${i}`), value, timestamp: 1_700_000_000_000 + seq })
  }
  return buildBatchSync({ baseTimestamp: 1_700_000_000_000 + seq, records })
}

async function main(): Promise<void> {
  const rl = readline.createInterface({ input: process.stdin })
  const line: string = await new Promise((resolve) => rl.once('line', resolve))
  rl.close()
  const [, dir, seedText, seqText] = line.split(' ')
  const seed = Number(seedText)
  let seq = Number(seqText)
  const log = await Log.open({ dir: dir!, logger: silentLogger, config: { flushMessages: 1, segmentBytes: 1024 * 1024, indexIntervalBytes: 1024 } })
  process.stdout.write(`R ${log.logEndOffset}\n`)
  for (;;) {
    const b = crashBatch(seed, seq)
    const res = await log.append(b, 0)
    const sha = crypto.createHash('sha1').update(b).digest('hex')
    process.stdout.write(`A ${seq} ${res.firstOffset} ${res.lastOffset} ${sha}\n`)
    seq++
  }
}

main().catch((e) => {
  process.stderr.write(`crash child failed: ${(e as Error).stack ?? e}\n`)
  process.exit(1)
})

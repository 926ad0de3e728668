import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { splitBatches, verifyBatchCrc } from '../wire/index.js'
import { silentLogger } from './config.js'
import { Log } from './log.js'
import { makeTmpDir, randInt, rmrf, rng } from './testkit.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const childFile = path.join(here, 'crash-child.ts')
const repoRoot = path.resolve(here, '..', '..')

interface Ack {
  seq: number
  first: number
  last: number
  sha: string
}

interface Child {
  proc: ChildProcessWithoutNullStreams
  lines: AsyncIterator<string>
  exited: Promise<void>
}

/**
 * The child runs as `node --import tsx crash-child.ts`. When esbuild (tsx's own
 * compiler) is importable, the child is bundled once into plain JS instead, which
 * starts several times faster — this test starts over 50 processes.
 */
let childArgs: string[] = ['--import', 'tsx', childFile]

async function prepareChild(outDir: string): Promise<void> {
  try {
    const esbuild = (await import('esbuild' as string)) as {
      build(o: Record<string, unknown>): Promise<unknown>
    }
    fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(outDir, 'node_modules'))
    const outfile = path.join(outDir, 'crash-child.mjs')
    await esbuild.build({ entryPoints: [childFile], bundle: true, platform: 'node', format: 'esm', outfile, packages: 'external', logLevel: 'error' })
    childArgs = [outfile]
  } catch {
    childArgs = ['--import', 'tsx', childFile]
  }
}

function spawnChild(): Child {
  const proc = spawn(process.execPath, childArgs, { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  void exited.then(() => {
    if (stderr.trim()) console.error(stderr)
  })
  const rl = readline.createInterface({ input: proc.stdout })
  return { proc, lines: rl[Symbol.asyncIterator](), exited }
}

/** Reads everything back and checks every acknowledged batch, CRCs and offset continuity. */
async function verify(tt: Test, dir: string, acks: Map<number, Ack>, label: string): Promise<number> {
  const log = await Log.open({ dir, logger: silentLogger, config: { segmentBytes: 1024 * 1024, indexIntervalBytes: 1024 } })
  try {
    const parts: Buffer[] = []
    let off = 0
    while (off < log.logEndOffset) {
      const rr = await log.read(off, 4 << 20)
      if (rr.records.length === 0) break
      parts.push(rr.records)
      off = rr.nextOffset
    }
    const all = Buffer.concat(parts)
    const byBase = new Map<number, Buffer>()
    let expectNext = 0
    let problems = 0
    for (const s of splitBatches(all)) {
      const bytes = all.subarray(s.pos, s.pos + s.size)
      if (!verifyBatchCrc(bytes) || s.header.baseOffset !== expectNext) problems++
      expectNext = s.header.baseOffset + s.header.lastOffsetDelta + 1
      byBase.set(s.header.baseOffset, bytes)
    }
    if (expectNext !== log.logEndOffset) problems++
    let missing = 0
    for (const a of acks.values()) {
      const b = byBase.get(a.first)
      if (!b || crypto.createHash('sha1').update(b).digest('hex') !== a.sha) missing++
    }
    if (problems || missing) tt.fail(`${label}: ${problems} corrupt/discontinuous batches, ${missing} of ${acks.size} acknowledged batches missing`)
    return log.logEndOffset
  } finally {
    await log.closeAbruptly()
  }
}

async function lane(tt: Test, seed: number, cycles: number): Promise<{ kills: number; acks: number }> {
  const base = makeTmpDir('millrace-crash-')
  tt.teardown(() => rmrf(base))
  const dir = path.join(base, `crash-${seed}`)
  const r = rng(seed)
  const acks = new Map<number, Ack>()
  let seq = 0
  let next = spawnChild()
  let kills = 0
  for (let c = 0; c < cycles; c++) {
    const child = next
    child.proc.stdin.write(`go ${dir} ${seed} ${seq}\n`)
    const ready = await child.lines.next()
    if (ready.done || !String(ready.value).startsWith('R ')) {
      tt.fail(`lane ${seed} cycle ${c}: child did not start`)
      break
    }
    const maxAcked = Math.max(-1, ...[...acks.values()].map((a) => a.last))
    if (Number(String(ready.value).slice(2)) <= maxAcked) tt.fail(`lane ${seed} cycle ${c}: child recovered a log that ends before an acknowledged batch`)
    const runFor = randInt(r, 0, 40)
    // The kill lands a random time after the child's first acknowledgement in this cycle, so
    // every cycle has something to lose, however slow a loaded machine makes the child.
    let firstAck!: () => void
    const acked = new Promise<void>((resolve) => (firstAck = resolve))
    const pump = (async () => {
      for (;;) {
        const n = await child.lines.next()
        if (n.done) return
        const [kind, s, first, last, sha] = String(n.value).split(' ')
        if (kind === 'A') {
          acks.set(Number(s), { seq: Number(s), first: Number(first), last: Number(last), sha: sha! })
          seq = Number(s) + 1
          firstAck()
        }
      }
    })()
    await Promise.race([acked, new Promise((resolve) => setTimeout(resolve, 10_000))])
    await new Promise((resolve) => setTimeout(resolve, runFor))
    child.proc.kill('SIGKILL')
    kills++
    await child.exited
    await pump
    next = spawnChild()
    // Unacknowledged appends may or may not be there; numbering continues after the last ack.
    await verify(tt, dir, acks, `lane ${seed} cycle ${c}`)
  }
  next.proc.kill('SIGKILL')
  await next.exited
  return { kills, acks: acks.size }
}

t.test('SIGKILL during appends with flush.messages=1 loses no acknowledged batch', async (tt) => {
  const build = makeTmpDir('millrace-crash-child-')
  tt.teardown(() => rmrf(build))
  await prepareChild(build)
  const results = await Promise.all([lane(tt, 11, 26), lane(tt, 12, 26)])
  const kills = results.reduce((s, x) => s + x.kills, 0)
  const acks = results.reduce((s, x) => s + x.acks, 0)
  tt.ok(kills >= 50, `${kills} kills`)
  tt.ok(acks >= kills, `${acks} acknowledged batches verified bit for bit after every kill`)
})

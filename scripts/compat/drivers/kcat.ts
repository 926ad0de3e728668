// Compatibility driver for kcat (Debian package, librdkafka underneath): every operation is one
// or more kcat invocations. kcat has no admin commands, so topic admin is n/a. It takes one
// partition per producing invocation, so messages are produced one kcat per partition.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { messageAt, type ConsumedRecord, type MetadataResult, type ProduceRequest } from '../protocol.js'
import { Unsupported, log, runDriver, type Driver } from './host.js'
import { runGroupFlow } from './group-flow.js'

const bootstrap = process.argv[2]
const versionText = spawnSync('kcat', ['-V'], { encoding: 'utf8' }).stdout ?? ''
const version = /Version (\S+)/.exec(versionText)?.[1] ?? 'unknown'
const librdkafka = /librdkafka (\S+)/.exec(versionText)?.[1] ?? '?'
const features = /builtin\.features=(\S+)/.exec(versionText)?.[1]?.split(',') ?? []

/** Runs kcat to completion; rejects with its stderr when it exits non-zero or times out. */
function kcat(args: string[], input?: string, timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-b', bootstrap, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', d => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', d => {
      stderr += d
      process.stderr.write(d)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve({ stdout, stderr })
      else reject(new Error(`kcat ${args.join(' ')} exited with ${signal ?? code}: ${stderr.trim().split('\n').slice(-5).join(' / ')}`))
    })
    child.stdin.on('error', () => {})
    child.stdin.end(input ?? '')
  })
}

interface KcatJson {
  partition: number
  offset: number
  key: string | null
  payload: string | null
  headers?: string[]
}

function toRecord(j: KcatJson): ConsumedRecord {
  const headers: [string, string][] = []
  for (let i = 0; i + 1 < (j.headers?.length ?? 0); i += 2) headers.push([j.headers![i], j.headers![i + 1]])
  return [j.partition, j.offset, j.key, j.payload, headers]
}

async function produce(req: ProduceRequest): Promise<void> {
  const byPartition = new Map<number, string[]>()
  for (let i = req.start; i < req.start + req.count; i++) {
    const m = messageAt(i, req.tag, req.partitions)
    if (!byPartition.has(m.partition)) byPartition.set(m.partition, [])
    byPartition.get(m.partition)!.push(`${m.key}|${m.value}`)
  }
  for (const [p, lines] of byPartition) {
    const headers = messageAt(p, req.tag, req.partitions).headers.flatMap(([k, v]) => ['-H', `${k}=${v}`])
    const args = ['-P', '-t', req.topic, '-p', String(p), '-K', '|', ...headers, '-z', req.compression, '-X', `acks=${req.acks === -1 ? 'all' : req.acks}`, '-X', 'linger.ms=5']
    if (req.idempotent) args.push('-X', 'enable.idempotence=true')
    const { stderr } = await kcat(args, lines.join('\n') + '\n')
    if (/Delivery failed|ERROR/i.test(stderr)) throw new Error(`kcat reported errors while producing: ${stderr.trim()}`)
  }
}

const driver: Driver = {
  async hello() {
    const all = ['gzip', 'snappy', 'lz4', 'zstd'] as const
    const codecs = all.filter(c => features.includes(c))
    return { client: 'kcat', version: `${version} (librdkafka ${librdkafka})`, produceCodecs: [...codecs], consumeCodecs: [...codecs], features: ['no admin commands (topic create/describe/delete: n/a); one producer per partition'] }
  },

  async metadata(topics) {
    const { stdout } = await kcat(['-L', '-J', ...topics.flatMap(t => ['-t', t])])
    const j = JSON.parse(stdout) as {
      controllerid?: number
      brokers: { id: number; name: string }[]
      topics: { topic: string; partitions: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[] }[]
    }
    const result: MetadataResult = {
      brokers: j.brokers.map(b => {
        const i = b.name.lastIndexOf(':')
        return { id: b.id, host: b.name.slice(0, i), port: Number(b.name.slice(i + 1)) }
      }),
      controllerId: j.controllerid ?? null,
      topics: j.topics.map(t => ({
        name: t.topic,
        partitions: t.partitions.map(p => ({ id: p.partition, leader: p.leader, replicas: p.replicas.map(r => r.id), isr: p.isrs.map(r => r.id) })),
      })),
    }
    return result
  },

  async createTopic() {
    throw new Unsupported('kcat has no admin commands')
  },

  async produce(req) {
    await produce(req)
    return { count: req.count }
  },

  async transactions() {
    throw new Unsupported('kcat -P -X transactional.id=… puts one invocation\'s whole input in one transaction, committed at end of input or aborted on a signal; it cannot send consumer offsets to a transaction')
  },

  async consume(req) {
    const { stdout } = await kcat(['-C', '-t', req.topic, '-o', 'beginning', '-e', '-J', '-c', String(req.expect), '-X', 'check.crcs=true'], undefined, req.timeoutMs)
    const records = stdout
      .split('\n')
      .filter(l => l.startsWith('{'))
      .map(l => toRecord(JSON.parse(l) as KcatJson))
    return { records }
  },

  async group(req) {
    return runGroupFlow(req, {
      startMember: async (name, onMessage) => {
        let owned: number[] = []
        const child: ChildProcess = spawn(
          'kcat',
          ['-b', bootstrap, '-G', req.groupId, req.topic, '-J', '-u', '-X', 'auto.offset.reset=earliest', '-X', 'auto.commit.interval.ms=100', '-X', 'session.timeout.ms=10000', '-X', 'heartbeat.interval.ms=500', '-X', 'fetch.wait.max.ms=100'],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        )
        createInterface({ input: child.stdout! }).on('line', line => {
          if (!line.startsWith('{')) return
          const j = JSON.parse(line) as KcatJson
          onMessage(j.partition, j.offset, j.key)
        })
        createInterface({ input: child.stderr! }).on('line', line => {
          process.stderr.write(`[member ${name}] ${line}\n`)
          // "% Group g rebalanced (memberid …): assigned: t [0], t [2]" / "…: revoked: …"
          const m = /rebalanced \(memberid [^)]*\): (assigned|revoked): (.*)$/.exec(line)
          if (!m) return
          if (m[1] === 'revoked') owned = []
          else owned = [...m[2].matchAll(/\[(\d+)\]/g)].map(x => Number(x[1])).sort((a, b) => a - b)
        })
        const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
        return {
          assignment: () => owned,
          stop: async () => {
            if (child.exitCode === null) child.kill('SIGTERM') // kcat closes the consumer (commits, leaves) on SIGTERM
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
            await exited
            clearTimeout(timer)
          },
        }
      },
      produce: (start, count) =>
        produce({ topic: req.topic, partitions: req.partitions, start, count, tag: req.tag, compression: 'none', idempotent: false, acks: -1 }),
      committed: async () => null,
    })
  },

  async offsets(req) {
    const query = async (ts: number): Promise<number[]> => {
      const { stdout } = await kcat(['-Q', ...Array.from({ length: req.partitions }, (_, p) => ['-t', `${req.topic}:${p}:${ts}`]).flat()])
      const out: number[] = []
      for (const m of stdout.matchAll(/\[(\d+)\] offset (-?\d+)/g)) out[Number(m[1])] = Number(m[2])
      return out
    }
    const earliest = await query(-2)
    const latest = await query(-1)
    const byTime: number[][] = Array.from({ length: req.partitions }, () => [])
    for (const ts of req.timestamps) {
      const row = await query(ts)
      for (let p = 0; p < req.partitions; p++) byTime[p].push(row[p])
    }
    log(`kcat -Q answers: earliest ${earliest}, latest ${latest}, by time ${JSON.stringify(byTime)}`)
    return { earliest, latest, byTime }
  },
}

runDriver(driver)

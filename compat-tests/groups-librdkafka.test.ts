// Consumer groups driven by librdkafka (Debian's python3-confluent-kafka): a group with the
// cooperative-sticky assignor (incremental rebalances) and one with range; two members, a
// rebalance when the second joins and another when it leaves, each message consumed once.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { kafkaClient, runCommand, startTempBroker, type CommandRun, type TempBroker } from './helpers.js'
import { setLogLevel } from '../src/util/index.js'

const PYTHON = '/usr/bin/python3'
const probe = spawnSync(PYTHON, ['-c', 'import confluent_kafka'], { encoding: 'utf8' })
const skip =
  probe.status === 0 ? false : `confluent-kafka for ${PYTHON} is not installed (apt install python3-confluent-kafka): ${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}`
setLogLevel('warn')

// Two consumers polled in turn from one thread; prints a JSON summary on stdout.
const SCRIPT = String.raw`
import json, sys, time
from confluent_kafka import Consumer, Producer

bootstrap, topic, group, strategy, partitions = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
events, errors = [], []

def producer_send(prefix, n):
    p = Producer({'bootstrap.servers': bootstrap})
    for i in range(n):
        p.produce(topic, value=('%s%d' % (prefix, i)).encode(), partition=i % partitions)
    p.flush(15)

class Member:
    def __init__(self, name):
        self.name, self.assigned, self.got = name, set(), []
        self.c = Consumer({
            'bootstrap.servers': bootstrap, 'group.id': group, 'client.id': name,
            'partition.assignment.strategy': strategy, 'auto.offset.reset': 'earliest',
            'session.timeout.ms': 6000, 'heartbeat.interval.ms': 250, 'fetch.wait.max.ms': 100,
            'enable.auto.commit': True, 'auto.commit.interval.ms': 200,
        })
        self.c.subscribe([topic], on_assign=self.on_assign, on_revoke=self.on_revoke)
    def on_assign(self, c, parts):
        events.append([self.name, 'assign', sorted(p.partition for p in parts)])
        if strategy != 'cooperative-sticky':
            self.assigned = set()
        self.assigned |= set(p.partition for p in parts)
    def on_revoke(self, c, parts):
        events.append([self.name, 'revoke', sorted(p.partition for p in parts)])
        self.assigned -= set(p.partition for p in parts)
    def poll(self):
        m = self.c.poll(0.05)
        if m is None:
            return
        if m.error():
            errors.append('%s: %s' % (self.name, m.error()))
            return
        self.got.append([m.partition(), m.offset(), m.value().decode()])

def until(what, cond, members, timeout=30):
    deadline = time.time() + timeout
    while not cond():
        if time.time() > deadline:
            raise SystemExit(json.dumps({'timeout': what, 'events': events, 'errors': errors,
                'assigned': {m.name: sorted(m.assigned) for m in members}, 'got': {m.name: len(m.got) for m in members}}))
        for m in members:
            m.poll()

count = lambda ms, prefix: sum(1 for m in ms for g in m.got if g[2].startswith(prefix))
a = Member('a')
producer_send('x', 20)
until('a to read the first 20', lambda: count([a], 'x') >= 20, [a])
b = Member('b')
both = [a, b]
until('a and b to share the partitions',
      lambda: len(a.assigned) > 0 and len(b.assigned) > 0 and len(a.assigned | b.assigned) == partitions and not (a.assigned & b.assigned), both)
shared = {'a': sorted(a.assigned), 'b': sorted(b.assigned)}
producer_send('y', 40)
until('the 40 messages after the rebalance', lambda: count(both, 'y') >= 40, both)
for _ in range(10):
    for m in both:
        m.poll()
b.c.close()
until('a to get every partition back', lambda: len(a.assigned) == partitions, [a])
producer_send('z', 20)
until('the 20 messages after b left', lambda: count([a], 'z') >= 20, [a])
a.c.close()
print(json.dumps({'events': events, 'errors': errors, 'shared': shared,
    'y': {m.name: [g for g in m.got if g[2].startswith('y')] for m in both},
    'z': [g for g in a.got if g[2].startswith('z')], 'x': len([g for g in a.got if g[2].startswith('x')])}))
`

let broker: TempBroker
let dir: string
t.before(async () => {
  if (skip) return
  broker = await startTempBroker({ 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '2' })
  dir = mkdtempSync(join(tmpdir(), 'millrace-rdkafka-'))
  writeFileSync(join(dir, 'group.py'), SCRIPT)
})
t.teardown(async () => {
  await broker?.destroy()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function runPython(args: string[], timeoutMs = 90_000): Promise<CommandRun> {
  return runCommand(PYTHON, [join(dir, 'group.py'), ...args], { timeoutMs })
}

interface Summary {
  events: Array<[string, string, number[]]>
  errors: string[]
  shared: { a: number[]; b: number[] }
  y: { a: Array<[number, number, string]>; b: Array<[number, number, string]> }
  z: Array<[number, number, string]>
  x: number
}

for (const strategy of ['cooperative-sticky', 'range']) {
  t.test(`librdkafka group with ${strategy}`, { skip }, async t => {
    const topic = `rd-${strategy}`
    const admin = kafkaClient(broker.bootstrap).admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] })
    await admin.disconnect()

    const res = await runPython([broker.bootstrap, topic, `g-${strategy}`, strategy, '4'])
    t.equal(res.code, 0, `python exited cleanly: ${res.stdout.slice(0, 2000)} ${res.stderr.slice(-2000)}`)
    if (res.code !== 0) return
    const s = JSON.parse(res.stdout.trim().split('\n').pop()!) as Summary
    t.same(s.errors, [], 'no consumer errors')
    t.equal(s.x, 20, 'the first member read everything before the second joined')
    t.ok(s.shared.a.length > 0 && s.shared.b.length > 0, `both members got partitions (${JSON.stringify(s.shared)})`)
    const y = [...s.y.a, ...s.y.b].map(g => g[2])
    t.equal(y.length, 40, 'no duplicates after the rebalance')
    t.equal(new Set(y).size, 40, 'every message once')
    for (const [p] of s.y.a) t.ok(s.shared.a.includes(p), 'a reads only its partitions')
    for (const [p] of s.y.b) t.ok(s.shared.b.includes(p), 'b reads only its partitions')
    t.equal(new Set(s.z.map(g => g[2])).size, 20, 'after b left, a consumes everything')
    if (strategy === 'cooperative-sticky') {
      // Incremental: when b joined, a gave up only some partitions (no revoke-everything).
      const firstRevoke = s.events.find(e => e[0] === 'a' && e[1] === 'revoke')
      t.ok(firstRevoke && firstRevoke[2].length > 0 && firstRevoke[2].length < 4, `a's revocation was incremental: ${JSON.stringify(s.events)}`)
    }
  })
}

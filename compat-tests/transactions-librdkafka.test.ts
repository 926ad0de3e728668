// Kafka transactions driven by librdkafka (Debian's python3-confluent-kafka 1.7.0 on librdkafka
// 2.0.2) against a real Millrace over TCP: init_transactions, commit and abort read back by
// read_committed and read_uncommitted consumers; send_offsets_to_transaction with the consumer's
// group metadata (TxnOffsetCommit v3: generation and member id) committed with the transaction
// and not on abort; the last stable offset (EOF and watermarks of a read_committed consumer); and a
// producer fenced by a newer one with the same transactional id.
//
// librdkafka 2.0.2 sends FindCoordinator v2 (key type 1), InitProducerId v4, AddPartitionsToTxn v0,
// AddOffsetsToTxn v0, TxnOffsetCommit v3, EndTxn v1, Produce v7, Fetch v11 and ListOffsets v2 (at
// the consumer's isolation level), and OffsetFetch v7 (with requireStable) for committed().
import t, { type Test } from 'tap'
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

// One scenario per run (argv: scenario, bootstrap, topic names...). Prints one JSON line: the
// scenario's observations, or {"error", "step"} when a client call failed.
const SCRIPT = String.raw`
import json, sys, time
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition, OFFSET_BEGINNING

scenario, bootstrap = sys.argv[1], sys.argv[2]
args = sys.argv[3:]
result = {'steps': []}

def step(name, fn, *a):
    result['steps'].append(name)
    try:
        return fn(*a)
    except KafkaException as e:
        err = e.args[0]
        result.update(error=str(err), name=err.name(), code=err.code(), fatal=err.fatal(), step=name)
        print(json.dumps(result))
        sys.exit(1)

def tx_producer(tid):
    return Producer({'bootstrap.servers': bootstrap, 'transactional.id': tid, 'transaction.timeout.ms': 20000, 'linger.ms': 5})

def read(topic, partitions, isolation, timeout=10):
    """Every record of topic from the beginning, until end of partition (the last stable offset for read_committed)."""
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'rd-reader-%s-%s' % (topic, isolation),
                  'isolation.level': isolation, 'enable.partition.eof': True, 'enable.auto.commit': False,
                  'fetch.wait.max.ms': 100})
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    got, eof, errors = [], set(), []
    deadline = time.time() + timeout
    while len(eof) < partitions and time.time() < deadline:
        m = c.poll(0.1)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                eof.add(m.partition())
            else:
                errors.append(str(m.error()))
            continue
        eof.discard(m.partition())
        got.append([m.partition(), m.offset(), m.value().decode()])
    c.close()
    return {'got': got, 'eof': sorted(eof), 'errors': errors}

def committed(consumer, topic, timeout=10):
    return [tp.offset for tp in consumer.committed([TopicPartition(topic, 0)], timeout=timeout)]

if scenario == 'commit-abort':
    topic = args[0]
    p = tx_producer('rd-tx-commit-abort')
    step('init_transactions', p.init_transactions, 10)
    step('begin 1', p.begin_transaction)
    for v in ['c0-0', 'c0-1']:
        p.produce(topic, value=v.encode(), partition=0)
    p.produce(topic, value=b'c1-0', partition=1)
    step('commit 1', p.commit_transaction, 10)
    step('begin 2', p.begin_transaction)
    p.produce(topic, value=b'a0-0', partition=0)
    p.produce(topic, value=b'a1-0', partition=1)
    # abort_transaction purges what is not yet sent: flush first, so the aborted records are in the log.
    result['unflushed'] = p.flush(10)
    step('abort 2', p.abort_transaction, 10)
    step('begin 3', p.begin_transaction)
    p.produce(topic, value=b'c0-2', partition=0)
    step('commit 3', p.commit_transaction, 10)
    result['read_committed'] = read(topic, 2, 'read_committed')
    result['read_uncommitted'] = read(topic, 2, 'read_uncommitted')

elif scenario == 'send-offsets':
    src, dst = args[0], args[1]
    group = 'rd-ctp'
    plain = Producer({'bootstrap.servers': bootstrap})
    for i in range(5):
        plain.produce(src, value=('in-%d' % i).encode(), partition=0)
    result['unflushed'] = plain.flush(10)
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'isolation.level': 'read_committed',
                  'enable.auto.commit': False, 'auto.offset.reset': 'earliest', 'fetch.wait.max.ms': 100,
                  'session.timeout.ms': 6000, 'heartbeat.interval.ms': 300})
    c.subscribe([src])
    # read_uncommitted: committed() without require_stable, so pending transactional offsets do not block it.
    checker = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'isolation.level': 'read_uncommitted',
                        'enable.auto.commit': False})
    consumed = []
    def consume_until(n, timeout=15):
        deadline = time.time() + timeout
        while len(consumed) < n and time.time() < deadline:
            m = c.poll(0.1)
            if m is not None and not m.error():
                consumed.append(m)
        if len(consumed) < n:
            result.update(error='consumed %d of %d records' % (len(consumed), n), step='consume')
            print(json.dumps(result))
            sys.exit(1)
    consume_until(3)
    p = tx_producer('rd-tx-ctp')
    step('init_transactions', p.init_transactions, 10)
    result['before'] = step('committed before', committed, checker, src)

    step('begin 1', p.begin_transaction)
    for m in consumed[:3]:
        p.produce(dst, value=('out-' + m.value().decode()).encode(), partition=0)
    offsets = [TopicPartition(src, 0, consumed[2].offset() + 1)]
    step('send_offsets_to_transaction 1', p.send_offsets_to_transaction, offsets, c.consumer_group_metadata(), 10)
    result['pending'] = step('committed while pending', committed, checker, src)
    step('commit 1', p.commit_transaction, 10)
    result['after_commit'] = step('committed after commit', committed, c, src)

    consume_until(5)
    step('begin 2', p.begin_transaction)
    for m in consumed[3:5]:
        p.produce(dst, value=('out-' + m.value().decode()).encode(), partition=0)
    offsets = [TopicPartition(src, 0, consumed[4].offset() + 1)]
    step('send_offsets_to_transaction 2', p.send_offsets_to_transaction, offsets, c.consumer_group_metadata(), 10)
    step('abort 2', p.abort_transaction, 10)
    result['after_abort'] = step('committed after abort', committed, c, src)
    result['consumed'] = [[m.offset(), m.value().decode()] for m in consumed]
    c.close()
    checker.close()
    result['output'] = read(dst, 1, 'read_committed')

elif scenario == 'open':
    topic = args[0]
    plain = Producer({'bootstrap.servers': bootstrap})
    p = tx_producer('rd-tx-open')
    step('init_transactions', p.init_transactions, 10)
    plain.produce(topic, value=b'before', partition=0)
    plain.flush(10)
    step('begin', p.begin_transaction)
    p.produce(topic, value=b't1', partition=0)
    p.produce(topic, value=b't2', partition=0)
    result['unflushed'] = p.flush(10)
    plain.produce(topic, value=b'after', partition=0)
    result['unflushed'] += plain.flush(10)
    def watermarks(isolation):
        c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'rd-watermarks', 'isolation.level': isolation})
        try:
            return list(c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10))
        finally:
            c.close()
    result['open'] = {'read_committed': read(topic, 1, 'read_committed'),
                      'watermarks_committed': step('watermarks', watermarks, 'read_committed'),
                      'watermarks_uncommitted': step('watermarks', watermarks, 'read_uncommitted')}
    step('commit', p.commit_transaction, 10)
    result['committed'] = {'read_committed': read(topic, 1, 'read_committed'),
                           'watermarks_committed': step('watermarks', watermarks, 'read_committed')}

elif scenario == 'fencing':
    topic = args[0]
    old = tx_producer('rd-tx-fence')
    step('old init_transactions', old.init_transactions, 10)
    step('old begin', old.begin_transaction)
    old.produce(topic, value=b'old-1', partition=0)
    result['unflushed'] = old.flush(10)
    new = tx_producer('rd-tx-fence')
    step('new init_transactions', new.init_transactions, 10)
    try:
        old.commit_transaction(10)
        result['old_commit'] = 'committed'
    except KafkaException as e:
        err = e.args[0]
        result['old_commit'] = {'error': str(err), 'name': err.name(), 'code': err.code(), 'fatal': err.fatal()}
    step('new begin', new.begin_transaction)
    new.produce(topic, value=b'new-1', partition=0)
    step('new commit', new.commit_transaction, 10)
    result['read_committed'] = read(topic, 1, 'read_committed')
    result['read_uncommitted'] = read(topic, 1, 'read_uncommitted')

print(json.dumps(result))
`

let broker: TempBroker
let dir: string
t.before(async () => {
  if (skip) return
  broker = await startTempBroker({
    'transaction.state.log.num.partitions': '4',
    'offsets.topic.num.partitions': '4',
    'group.initial.rebalance.delay.ms': '0',
  })
  dir = mkdtempSync(join(tmpdir(), 'millrace-rdkafka-txn-'))
  writeFileSync(join(dir, 'txn.py'), SCRIPT)
})
t.teardown(async () => {
  await broker?.destroy()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function runPython(args: string[], timeoutMs = 35_000): Promise<CommandRun> {
  return runCommand(PYTHON, [join(dir, 'txn.py'), ...args], { timeoutMs })
}

type Record3 = [number, number, string]
interface ReadResult {
  got: Record3[]
  eof: number[]
  errors: string[]
}

/** Runs a scenario; the parsed JSON when the script ran to its end, else a failed assertion and null. */
async function scenario<T>(t: Test, name: string, args: string[]): Promise<(T & { unflushed?: number }) | null> {
  const res = await runPython([name, broker.bootstrap, ...args])
  const last = res.stdout.trim().split('\n').pop() ?? ''
  let parsed: (T & { error?: string; step?: string; unflushed?: number }) | null = null
  try {
    parsed = JSON.parse(last)
  } catch {
    // reported below
  }
  if (res.code !== 0 || !parsed || parsed.error !== undefined) {
    const why = parsed?.error !== undefined ? `step '${parsed.step}' failed: ${parsed.error}` : `exit ${res.code}: ${res.stdout.slice(-2000)} ${res.stderr.slice(-2000)}`
    t.fail(`librdkafka ${name}: ${why}`, { result: parsed ?? undefined })
    return null
  }
  t.equal(parsed.unflushed ?? 0, 0, 'every produced record was delivered')
  return parsed
}

const byPartition = (r: ReadResult, p: number): Array<[number, string]> => r.got.filter(g => g[0] === p).map(g => [g[1], g[2]])

async function createTopics(topics: Array<[string, number]>): Promise<void> {
  const admin = kafkaClient(broker.bootstrap).admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: topics.map(([topic, numPartitions]) => ({ topic, numPartitions })), waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
}

t.test('librdkafka: commit is read by read_committed, abort is not', { skip }, async t => {
  await createTopics([['rd-commit-abort', 2]])
  const s = await scenario<{ read_committed: ReadResult; read_uncommitted: ReadResult }>(t, 'commit-abort', ['rd-commit-abort'])
  if (!s) return
  // Partition 0: c0-0 0, c0-1 1, COMMIT 2, a0-0 3, ABORT 4, c0-2 5, COMMIT 6.
  // Partition 1: c1-0 0, COMMIT 1, a1-0 2, ABORT 3.
  const rc = s.read_committed
  t.same(rc.errors, [], 'read_committed: no consumer errors')
  t.same(rc.eof, [0, 1], 'read_committed: reached the end of both partitions')
  t.same(byPartition(rc, 0), [[0, 'c0-0'], [1, 'c0-1'], [5, 'c0-2']], 'read_committed, partition 0: the committed records, in order')
  t.same(byPartition(rc, 1), [[0, 'c1-0']], 'read_committed, partition 1: the committed record only')
  const ru = s.read_uncommitted
  t.same(ru.errors, [], 'read_uncommitted: no consumer errors')
  t.same(byPartition(ru, 0), [[0, 'c0-0'], [1, 'c0-1'], [3, 'a0-0'], [5, 'c0-2']], 'read_uncommitted, partition 0: aborted records too, never the markers')
  t.same(byPartition(ru, 1), [[0, 'c1-0'], [2, 'a1-0']], 'read_uncommitted, partition 1')
})

t.test('librdkafka: send_offsets_to_transaction commits the group\'s offsets with the transaction', { skip }, async t => {
  await createTopics([['rd-ctp-in', 1], ['rd-ctp-out', 1]])
  const s = await scenario<{ before: number[]; pending: number[]; after_commit: number[]; after_abort: number[]; consumed: Array<[number, string]>; output: ReadResult }>(t, 'send-offsets', ['rd-ctp-in', 'rd-ctp-out'])
  if (!s) return
  t.same(s.consumed.map(c => c[0]), [0, 1, 2, 3, 4], 'the group member consumed the input in order')
  const INVALID = -1001 // librdkafka's OFFSET_INVALID: nothing committed
  t.same(s.before, [INVALID], 'nothing committed before the transaction')
  t.same(s.pending, [INVALID], 'offsets sent to an open transaction are not committed yet')
  t.same(s.after_commit, [3], 'committed() shows the offset once the transaction commits')
  t.same(s.after_abort, [3], 'an aborted transaction leaves it unchanged')
  t.same(s.output.got.map(g => g[2]), ['out-in-0', 'out-in-1', 'out-in-2'], 'only the committed transaction\'s output is read committed')
  t.same(s.output.eof, [0], 'the output partition is read to its end')
})

t.test('librdkafka: an open transaction holds read_committed consumers at the last stable offset', { skip }, async t => {
  await createTopics([['rd-open', 1]])
  interface Phase {
    read_committed: ReadResult
    watermarks_committed: [number, number]
    watermarks_uncommitted?: [number, number]
  }
  const s = await scenario<{ open: Phase; committed: Phase }>(t, 'open', ['rd-open'])
  if (!s) return
  // before 0, t1 1, t2 2 (open transaction), after 3 (plain, behind it); COMMIT 4 once committed.
  // librdkafka ends a read_committed partition (EOF) at the Fetch answer's last stable offset.
  t.same(s.open.read_committed.eof, [0], 'read_committed reaches the end of the partition: the last stable offset')
  t.same(byPartition(s.open.read_committed, 0), [[0, 'before']], 'and reads nothing from the open transaction on')
  t.same(s.open.watermarks_uncommitted, [0, 4], 'read_uncommitted watermarks: the high watermark')
  t.same(s.open.watermarks_committed, [0, 1], 'read_committed watermarks (ListOffsets at isolation level 1): the last stable offset')
  t.same(byPartition(s.committed.read_committed, 0), [[0, 'before'], [1, 't1'], [2, 't2'], [3, 'after']], 'after the commit everything is read')
  t.same(s.committed.read_committed.eof, [0])
  t.same(s.committed.watermarks_committed, [0, 5], 'and the stable offset is past the marker')
})

t.test('librdkafka: a newer producer with the same transactional id fences the older', { skip }, async t => {
  await createTopics([['rd-fence', 1]])
  const s = await scenario<{ old_commit: string | { error: string; name: string; code: number; fatal: boolean }; read_committed: ReadResult; read_uncommitted: ReadResult }>(t, 'fencing', ['rd-fence'])
  if (!s) return
  t.not(s.old_commit, 'committed', 'the fenced producer cannot commit')
  if (typeof s.old_commit === 'object') {
    t.match(`${s.old_commit.name} ${s.old_commit.error}`, /fenc|epoch/i, `it is told it was fenced: ${JSON.stringify(s.old_commit)}`)
    t.ok(s.old_commit.fatal, 'librdkafka treats fencing as fatal')
  }
  // old-1 0, ABORT 1 (written when the new producer's InitProducerId fenced the old one), new-1 2, COMMIT 3.
  t.same(byPartition(s.read_committed, 0), [[2, 'new-1']], 'read_committed: only the new producer\'s record')
  t.same(byPartition(s.read_uncommitted, 0), [[0, 'old-1'], [2, 'new-1']], 'read_uncommitted: the fenced record was written, then aborted')
})

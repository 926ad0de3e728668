// librdkafka through kcat against a real Millrace: metadata, every codec, idempotent produce.
import t from 'tap'
import { hasKcat, kcat, startTempBroker, type TempBroker } from './helpers.js'

if (!hasKcat) {
  t.comment('kcat is not installed (apt-get install kcat): skipping')
} else {
  let broker: TempBroker
  t.before(async () => {
    broker = await startTempBroker({ 'num.partitions': '2' })
  })
  t.teardown(() => broker?.destroy())

  t.test('metadata listing (-L)', async t => {
    await kcat(['-b', broker.bootstrap, '-P', '-t', 'listed', '-k', 'k'], 'hello\n')
    const { stdout } = await kcat(['-b', broker.bootstrap, '-L'])
    t.match(stdout, /1 brokers:\s+broker 1 at localhost:\d+ \(controller\)/, 'one broker, which is the controller')
    t.match(stdout, /topic "listed" with 2 partitions:/)
    t.match(stdout, /partition 0, leader 1, replicas: 1, isrs: 1/)
  })

  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    t.test(`produce and consume with ${codec}`, async t => {
      const topic = `codec-${codec}`
      const lines = Array.from({ length: 200 }, (_, i) => `key${i % 7}:${codec} value ${i} ${'x'.repeat(i % 50)}`)
      await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-z', codec, '-K', ':', '-H', `codec=${codec}`, '-X', 'linger.ms=5'], lines.join('\n') + '\n')
      const { stdout } = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k:%s|%h\n'])
      const got = stdout.split('\n').filter(Boolean)
      t.equal(got.length, lines.length, 'every message comes back')
      t.same(got.map(l => l.split('|')[0]).sort(), [...lines].sort(), 'keys and values match')
      t.ok(got.every(l => l.endsWith(`|codec=${codec}`)), 'headers match')
    })
  }

  t.test('idempotent produce', async t => {
    const lines = Array.from({ length: 500 }, (_, i) => `idem ${i}`)
    await kcat(['-b', broker.bootstrap, '-P', '-t', 'idempotent', '-X', 'enable.idempotence=true', '-X', 'acks=all'], lines.join('\n') + '\n')
    const { stdout } = await kcat(['-b', broker.bootstrap, '-C', '-t', 'idempotent', '-o', 'beginning', '-e', '-q'])
    t.same(stdout.split('\n').filter(Boolean).sort(), [...lines].sort(), 'exactly the 500 messages, no duplicates')
  })

  t.test('offsets by timestamp, beginning and end', async t => {
    const now = Date.now()
    // kcat's -P with a fixed key per line; consume from a relative offset.
    await kcat(['-b', broker.bootstrap, '-P', '-t', 'offsets', '-p', '0'], Array.from({ length: 10 }, (_, i) => `m${i}`).join('\n') + '\n')
    const tail = await kcat(['-b', broker.bootstrap, '-C', '-t', 'offsets', '-p', '0', '-o', '-3', '-e', '-q'])
    t.same(tail.stdout.split('\n').filter(Boolean), ['m7', 'm8', 'm9'], 'the last three')
    const fromTime = await kcat(['-b', broker.bootstrap, '-C', '-t', 'offsets', '-p', '0', '-o', `s@${now - 60_000}`, '-e', '-q'])
    t.equal(fromTime.stdout.split('\n').filter(Boolean).length, 10, 'from a timestamp a minute ago: everything')
  })
}

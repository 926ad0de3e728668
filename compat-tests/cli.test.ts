// The command line as a user runs it: `tsx src/main.ts` with Kafka-named configuration.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type AddressInfo } from 'node:net'
import { kafkaClient, runBrokerProcess as run } from './helpers.js'

t.test('starts, serves, shuts down cleanly on SIGTERM, restarts with its data', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const props = join(dir, 'server.properties')
  writeFileSync(props, `# a Kafka-style file\nlog.dirs=${join(dir, 'data')}\nnum.partitions=3\n`)
  const args = ['--config', props, '--override', 'listeners=PLAINTEXT://localhost:0']

  const first = run(args)
  const [, port] = await first.waitFor(/ready on PLAINTEXT:\/\/localhost:(\d+)/)
  t.ok(existsSync(join(dir, 'data', 'meta.properties')), 'meta.properties written on first start')
  t.match(readFileSync(join(dir, 'data', 'meta.properties'), 'utf8'), /cluster\.id=/)

  const kafka = kafkaClient(`localhost:${port}`)
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: 'cli-topic', acks: -1, messages: [{ value: 'one' }, { value: 'two' }] })
  await producer.disconnect()

  first.child.kill('SIGTERM')
  t.equal(await first.exited, 0, 'exit code 0 after SIGTERM')
  t.match(first.output(), /stopped cleanly/)

  const second = run(args)
  const [, port2] = await second.waitFor(/ready on PLAINTEXT:\/\/localhost:(\d+)/)
  const admin = kafkaClient(`localhost:${port2}`).admin()
  await admin.connect()
  const meta = await admin.fetchTopicMetadata({ topics: ['cli-topic'] })
  t.equal(meta.topics[0].partitions.length, 3, 'num.partitions from the file applied to the auto-created topic')
  const offsets = await admin.fetchTopicOffsets('cli-topic')
  t.equal(offsets.reduce((n, o) => n + Number(o.high), 0), 2, 'both messages survived the restart')
  await admin.disconnect()
  second.child.kill('SIGINT')
  t.equal(await second.exited, 0, 'exit code 0 after SIGINT')
})

t.test('creates and restarts with more partitions than half its open-file limit', async t => {
  // The broker keeps segment files in a pool of half the limit; opening hundreds of partitions at
  // once (a new topic, or every partition at start-up) must not run past the rest of it.
  const dir = mkdtempSync(join(tmpdir(), 'millrace-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const args = ['--override', `log.dirs=${join(dir, 'data')}`, '--override', 'listeners=PLAINTEXT://localhost:0']
  const partitions = 600
  const first = run(args, {}, 512)
  const [, port] = await first.waitFor(/ready on PLAINTEXT:\/\/localhost:(\d+)/)
  const admin = kafkaClient(`localhost:${port}`).admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'many', numPartitions: partitions }], timeout: 60_000 })
  const producer = kafkaClient(`localhost:${port}`).producer()
  await producer.connect()
  await producer.send({ topic: 'many', acks: -1, messages: Array.from({ length: partitions }, (_, i) => ({ partition: i, value: `m${i}` })) })
  await producer.disconnect()
  await admin.disconnect()
  first.child.kill('SIGTERM')
  t.equal(await first.exited, 0, 'first run stopped cleanly')
  t.notMatch(first.output(), /EMFILE/, 'no open-file errors while creating')

  const second = run(args, {}, 512)
  const [, port2] = await second.waitFor(/ready on PLAINTEXT:\/\/localhost:(\d+)/, 60_000)
  const admin2 = kafkaClient(`localhost:${port2}`).admin()
  await admin2.connect()
  const offsets = await admin2.fetchTopicOffsets('many')
  t.equal(offsets.length, partitions)
  t.ok(offsets.every(o => o.high === '1'), 'every partition is back with its message')
  await admin2.disconnect()
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0, 'second run stopped cleanly')
  t.notMatch(second.output(), /EMFILE|cannot open the log/, 'no open-file errors at start-up')
})

t.test('--help prints the usage and exits 0 without starting a broker; a misspelt flag is pointed at it', async t => {
  const r = run(['--help'])
  t.equal(await r.exited, 0)
  t.match(r.output(), /Usage: npx tsx src\/main\.ts \[--config server\.properties\] \[--override key=value \.\.\.\]/)
  t.notMatch(r.output(), /ready on/)
  const typo = run(['--hepl'])
  t.equal(await typo.exited, 2)
  t.match(typo.output(), /unknown argument '--hepl' — did you mean '--help'\?/)
})

t.test('a listener port that is taken gets a one-line reason and exit code 1', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-cli-'))
  const blocker = createServer()
  await new Promise<void>(resolve => blocker.listen(0, 'localhost', resolve))
  t.teardown(() => {
    blocker.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const port = (blocker.address() as AddressInfo).port
  const r = run(['--override', `log.dirs=${dir}`, '--override', `listeners=PLAINTEXT://localhost:${port}`])
  t.equal(await r.exited, 1)
  t.match(r.output(), new RegExp(`cannot listen on [^ ]+:${port}: the address is already in use`))
  t.notMatch(r.output(), /at Server\.setupListenHandle/, 'no stack trace')
})

t.test('an unknown config key names the closest known one', async t => {
  const r = run(['--override', 'log.retension.ms=1000'])
  t.equal(await r.exited, 2)
  t.match(r.output(), /unknown config 'log\.retension\.ms' — did you mean 'log\.retention\.ms'\?/)
})

t.test('a bad value names the key, the value and what is allowed', async t => {
  const r = run([], { MILLRACE_NUM_PARTITIONS: 'abc' })
  t.equal(await r.exited, 2)
  t.match(r.output(), /invalid value 'abc' for config 'num\.partitions'/)
})

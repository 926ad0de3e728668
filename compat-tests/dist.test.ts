// The production build (`npm run build`): dist/main.js starts a working broker, writes V8's code
// cache on its first start and uses it on the next (src/main-cached.ts), and the bundle finds the
// native packages and the CRC addon beside it.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { buildDist, MAIN_BUNDLE } from '../scripts/build.js'
import { kafkaClient, runBrokerProcess } from './helpers.js'

const root = fileURLToPath(new URL('..', import.meta.url))

t.test('node dist/main.js: code cache written on the first start, used on the next; data survives', async t => {
  // A checkout's layout in a temp dir: dist/ beside node_modules/ and build/ (the addon).
  const base = mkdtempSync(join(tmpdir(), 'millrace-dist-'))
  t.teardown(() => rmSync(base, { recursive: true, force: true }))
  writeFileSync(join(base, 'package.json'), JSON.stringify({ type: 'module' }))
  symlinkSync(join(root, 'node_modules'), join(base, 'node_modules'))
  if (existsSync(join(root, 'build'))) symlinkSync(join(root, 'build'), join(base, 'build'))
  const [mainJs] = await buildDist(join(base, 'dist'))
  const cache = join(base, 'dist', `${MAIN_BUNDLE}.cache`)
  const data = join(base, 'data')
  mkdirSync(data)
  const args = ['--override', `log.dirs=${data}`, '--override', 'listeners=PLAINTEXT://localhost:0']

  const start = async (): Promise<{ stop: () => Promise<void>; bootstrap: string }> => {
    const b = runBrokerProcess(args, {}, undefined, [mainJs!])
    const m = await b.waitFor(/is ready on PLAINTEXT:\/\/[^:]+:(\d+)/)
    return {
      bootstrap: `localhost:${m[1]}`,
      stop: async () => {
        b.child.kill('SIGTERM')
        t.equal(await b.exited, 0, 'stops cleanly on SIGTERM')
        t.notMatch(b.output(), /ERROR/, 'no error logged')
      },
    }
  }

  t.notOk(existsSync(cache), 'no cache before the first start')
  const first = await start()
  const kafka = kafkaClient(first.bootstrap)
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'dist-t', numPartitions: 1 }] })
  const producer = kafka.producer()
  await producer.connect()
  // The broker checks each batch's CRC-32C: the bundle must have loaded an implementation.
  await producer.send({ topic: 'dist-t', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] })
  await producer.disconnect()
  await admin.disconnect()
  await first.stop()
  t.ok(existsSync(cache), 'the first start wrote the code cache')
  const written = statSync(cache).mtimeMs

  const second = await start()
  const admin2 = kafkaClient(second.bootstrap).admin()
  await admin2.connect()
  const offsets = await admin2.fetchTopicOffsets('dist-t')
  t.same(offsets.map(o => o.high), ['3'], 'the records are there after the restart')
  await admin2.disconnect()
  await second.stop()
  t.equal(statSync(cache).mtimeMs, written, 'the second start used the cache (a rejected one is rewritten)')

  // A damaged cache (one byte flipped in V8's data) is not run: the start compiles and replaces it.
  const damaged = readFileSync(cache)
  damaged[damaged.length >> 1] ^= 0xff
  writeFileSync(cache, damaged)
  const third = await start()
  const admin3 = kafkaClient(third.bootstrap).admin()
  await admin3.connect()
  t.same((await admin3.fetchTopicOffsets('dist-t')).map(o => o.high), ['3'], 'a start with a damaged cache serves')
  await admin3.disconnect()
  await third.stop()
  t.notOk(readFileSync(cache).equals(damaged), 'the damaged cache was replaced')
})

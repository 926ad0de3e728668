import t from 'tap'
import { ConcurrencyLimit } from './concurrency-limit.js'

const tick = (): Promise<void> => new Promise(resolve => setImmediate(resolve))

t.test('never runs more than max at once, and starts the waiting ones in call order', async t => {
  const limit = new ConcurrencyLimit(3)
  let running = 0
  let peak = 0
  const started: number[] = []
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      limit.run(async () => {
        started.push(i)
        running++
        peak = Math.max(peak, running)
        for (let k = 0; k < (i % 4) + 1; k++) await tick()
        running--
        return i * 2
      }),
    ),
  )
  t.same(results, Array.from({ length: 20 }, (_, i) => i * 2), 'each call gets its own result')
  t.equal(peak, 3)
  t.same(started, Array.from({ length: 20 }, (_, i) => i), 'started in call order')
  t.equal(limit.running, 0, 'every place is given back')
})

t.test('a failed operation gives its place back and its caller gets the error', async t => {
  const limit = new ConcurrencyLimit(1)
  await t.rejects(limit.run(async () => { throw new Error('boom') }), /boom/)
  t.equal(await limit.run(async () => 'next'), 'next')
  t.equal(limit.running, 0)
  t.throws(() => new ConcurrencyLimit(0), RangeError)
})

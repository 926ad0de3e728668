import { spawnSync } from 'node:child_process'
import v8 from 'node:v8'
import t from 'tap'
import { growHeapInLargeSteps, HEAP_GROWTH_FLAG } from './heap-growth.js'

// V8 has no getter for its flags, but the tag it stamps on code caches hashes them: after the
// call this process must carry exactly the tag of a Node started with the flag.
t.test('growHeapInLargeSteps() puts the process in the state of a node started with the flag', async t => {
  const fresh = (flags: string[]): number => {
    const r = spawnSync(process.execPath, [...flags, '-p', "require('node:v8').cachedDataVersionTag()"], { encoding: 'utf8' })
    t.equal(r.status, 0, r.stderr)
    return Number(r.stdout.trim())
  }
  const withFlag = fresh([HEAP_GROWTH_FLAG])
  t.not(fresh([]), withFlag, 'the flag changes the tag (else this test could not tell)')
  growHeapInLargeSteps()
  t.equal(v8.cachedDataVersionTag(), withFlag, 'the same tag as a node started with the flag')
  growHeapInLargeSteps()
  t.equal(v8.cachedDataVersionTag(), withFlag, 'applying it twice changes nothing')
})

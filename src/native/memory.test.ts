import fs from 'node:fs'
import t from 'tap'
import { nativeAddon } from './addon.js'
import { keepFreedMemory } from './memory.js'

// `npm install` builds the addon wherever there is a compiler (every CI machine); with glibc
// (Debian, Ubuntu; not Alpine's musl) the C library must take the thresholds.
const built = fs.existsSync(new URL('../../build/Release/millrace_native.node', import.meta.url))
const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header
const glibc = header?.glibcVersionRuntime !== undefined

t.test('the heap policy is applied where the addon is built and the C library is glibc', async (t) => {
  t.equal(nativeAddon() !== null, built, 'the addon loads exactly when it was built')
  t.equal(keepFreedMemory(), built && glibc, 'keepFreedMemory() reports whether the thresholds were taken')
  // Applying it twice is harmless (main.ts and a bench host may both call it).
  t.equal(keepFreedMemory(), built && glibc)
})

t.test('the addon function rejects what is not a positive int32 byte count', { skip: !built && 'the addon is not built here' }, async (t) => {
  const keep = nativeAddon()!.keepFreedMemory!
  for (const args of [[0, 1 << 20], [1 << 20, -1], [2 ** 31, 1 << 20], [1 << 20]] as number[][]) {
    t.throws(() => (keep as (...a: number[]) => boolean)(...args), TypeError, `keepFreedMemory(${args.join(', ')}) throws`)
  }
  t.throws(() => (keep as unknown as (a: string, b: number) => boolean)('32', 1 << 20), TypeError, 'a string is not a byte count')
})

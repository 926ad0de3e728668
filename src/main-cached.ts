// The production entry point, dist/main.js (made by `npm run build`; it does not run from src/).
// It runs dist/millrace-main.cjs, the command line of src/main.ts bundled as one CommonJS script,
// through V8's code cache: compiling the 0.9 MB bundle is a sixth of a start, and a start that
// finds the cache (dist/millrace-main.cjs.cache) skips it, and the compiling of every function
// the previous start ran. The first start after a build, or after a Node.js upgrade (V8 then
// rejects the cache), compiles as usual and writes the cache for the next one.

import { createHash } from 'node:crypto'
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Script } from 'node:vm'
import { growHeapInLargeSteps } from './util/heap-growth.js'

/** The bundle beside this entry point (scripts/build.ts names it the same). */
const MAIN_BUNDLE = 'millrace-main.cjs'
/** Written this long after start, once start-up has compiled what it runs (or at exit, if sooner). */
const CACHE_WRITE_DELAY_MS = 1000

// The cache file is the SHA-1 of V8's data, then the data. V8 checks that the data belongs to this
// source and this V8, but in release builds not that its bytes are intact, and damaged data would
// be run: the digest catches that, and a damaged cache is then simply replaced.
const DIGEST_BYTES = 20

function digest(data: Buffer): Buffer {
  return createHash('sha1').update(data).digest()
}

// V8 accepts a code cache only under the flags it was made with, and the broker's heap policy sets
// one: set here, before the cache is read, and so also before it is written (main.ts sets it again).
growHeapInLargeSteps()

const dir = dirname(fileURLToPath(import.meta.url))
const bundlePath = join(dir, MAIN_BUNDLE)
const cachePath = `${bundlePath}.cache`

// esbuild writes ASCII only (its default charset), so latin1 is exact and cheaper than UTF-8.
const source = readFileSync(bundlePath, 'latin1')
const cachedData = readCache()
// The wrapper Node's own CommonJS loader puts around a module.
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundlePath, cachedData })
const run = script.runInThisContext() as (exports: object, require: NodeRequire, module: { exports: object }, filename: string, dirname: string) => void
const mod = { exports: {} }
run(mod.exports, createRequire(bundlePath), mod, bundlePath, dir)

let cacheWritten = false
if (cachedData === undefined || script.cachedDataRejected) {
  setTimeout(writeCache, CACHE_WRITE_DELAY_MS).unref()
  process.once('exit', writeCache)
}

function readCache(): Buffer | undefined {
  let file: Buffer
  try {
    file = readFileSync(cachePath)
  } catch {
    return undefined // none yet
  }
  const data = file.subarray(DIGEST_BYTES)
  return file.length > DIGEST_BYTES && digest(data).equals(file.subarray(0, DIGEST_BYTES)) ? data : undefined
}

/** Writes the cache beside the bundle (atomically: another start may be reading it); a read-only dist/ just goes without. */
function writeCache(): void {
  if (cacheWritten) return
  cacheWritten = true
  const tmp = `${cachePath}.${process.pid}.tmp`
  try {
    const data = script.createCachedData()
    writeFileSync(tmp, Buffer.concat([digest(data), data]))
    renameSync(tmp, cachePath)
  } catch {
    try {
      unlinkSync(tmp)
    } catch {
      // nothing was written
    }
  }
}

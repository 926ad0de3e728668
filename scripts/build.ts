// Production build: bundles the broker with esbuild so that start-up loads one module instead of
// ~300 (most of them generated wire codecs).
//   npm run build          → dist/main.js (the command line: src/main-cached.ts, which runs
//                            dist/millrace-main.cjs through V8's code cache), dist/millrace.js (the library)
//   node dist/main.js [--config server.properties] [--override key=value ...]
// Native and optional packages stay external: src/wire/records/{compression,crc}.ts load them
// lazily with createRequire(import.meta.url), which resolves from dist/ to node_modules/.

import { build, type BuildOptions } from 'esbuild'
import { readFileSync, rmSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
export const DIST = join(ROOT, 'dist')

/** The esbuild options of the production build (scripts/bench/lib/startup-core.ts bundles with them too). */
export const BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: ['snappy', 'lz4-napi', '@mongodb-js/zstd', '@node-rs/crc32', 'crc-32'],
  logLevel: 'warning',
}

/** The command line bundled as CommonJS, which src/main-cached.ts (dist/main.js) runs through V8's code cache. */
export const MAIN_BUNDLE = 'millrace-main.cjs'

/**
 * Bundles the command line and src/index.ts into outDir (emptied first); returns dist/main.js
 * and the library bundle. The bundles find the external packages through node_modules above outDir.
 */
export async function buildDist(outDir = DIST): Promise<string[]> {
  rmSync(outDir, { recursive: true, force: true })
  // Self-contained bundles rather than shared chunks: a process loads one or the other.
  const outputs = [join(outDir, 'main.js'), join(outDir, 'millrace.js')]
  const mainBundle = join(outDir, MAIN_BUNDLE)
  await Promise.all([
    // CommonJS because V8's code cache is open to scripts (node:vm) but not to ES modules on
    // Node 20. import.meta.url, which crc.ts and compression.ts give createRequire, becomes the
    // bundle's own file URL.
    build({
      ...BUNDLE_OPTIONS,
      format: 'cjs',
      // Without comments and indentation: less to read and scan at each start (and no non-ASCII
      // left from comments). Names stay, for stack traces; the source map has the lines.
      minifyWhitespace: true,
      entryPoints: [join(ROOT, 'src/main.ts')],
      outfile: mainBundle,
      define: { 'import.meta.url': '__millrace_import_meta_url' },
      banner: { js: 'var __millrace_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    }),
    build({ ...BUNDLE_OPTIONS, sourcemap: false, entryPoints: [join(ROOT, 'src/main-cached.ts')], outfile: outputs[0] }),
    build({ ...BUNDLE_OPTIONS, entryPoints: [join(ROOT, 'src/index.ts')], outfile: outputs[1] }),
  ])
  // main-cached.ts reads the bundle as latin1, exact only for ASCII (esbuild's default charset).
  const text = readFileSync(mainBundle)
  const wide = text.findIndex(b => b > 0x7f)
  if (wide >= 0) throw new Error(`${mainBundle} has a non-ASCII byte at ${wide}; main-cached.ts reads it as latin1`)
  return outputs
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now()
  const outputs = await buildDist()
  for (const f of [...outputs, join(DIST, MAIN_BUNDLE)]) console.log(`${relative(ROOT, f)}  ${(statSync(f).size / 1024).toFixed(0)} KiB`)
  console.log(`built in ${(performance.now() - t0).toFixed(0)} ms`)
}

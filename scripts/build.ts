// Production build: bundles the broker with esbuild so that start-up loads one module instead of
// ~300 (most of them generated wire codecs).
//   npm run build          → dist/main.js (the command line), dist/millrace.js (the library)
//   node dist/main.js [--config server.properties] [--override key=value ...]
// Native and optional packages stay external: src/wire/records/{compression,crc}.ts load them
// lazily with createRequire(import.meta.url), which resolves from dist/ to node_modules/.

import { build, type BuildOptions } from 'esbuild'
import { rmSync, statSync } from 'node:fs'
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

/**
 * Bundles src/main.ts and src/index.ts into outDir (emptied first); returns the output files. The
 * bundles find the external packages through node_modules above outDir.
 */
export async function buildDist(outDir = DIST): Promise<string[]> {
  rmSync(outDir, { recursive: true, force: true })
  // Two self-contained bundles rather than shared chunks: a process loads one or the other.
  const outputs = [join(outDir, 'main.js'), join(outDir, 'millrace.js')]
  await Promise.all([
    build({ ...BUNDLE_OPTIONS, entryPoints: [join(ROOT, 'src/main.ts')], outfile: outputs[0] }),
    build({ ...BUNDLE_OPTIONS, entryPoints: [join(ROOT, 'src/index.ts')], outfile: outputs[1] }),
  ])
  return outputs
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now()
  const outputs = await buildDist()
  for (const f of outputs) console.log(`${relative(ROOT, f)}  ${(statSync(f).size / 1024).toFixed(0)} KiB`)
  console.log(`built in ${(performance.now() - t0).toFixed(0)} ms`)
}

// Start-up time: from spawning a broker process to its first ApiVersions answer, for
// `npx tsx src/main.ts`, for the compiled JavaScript (the production esbuild bundle of
// scripts/build.ts, built into a temp dir; tsc's file-per-module output as a second row), and for
// startBroker() in a fresh process (import time reported apart); plus idle RSS after start.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { RawConnection } from './raw-connection.js'
import { apiVersions, sleep } from './kafka.js'
import { median } from './stats.js'

export const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)))

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer()
    s.once('error', rej)
    s.listen(0, 'localhost', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => res(port))
    })
  })
}

/** Every descendant of pid (Linux /proc), with RSS in bytes. */
export function processTree(pid: number): { pid: number; rss: number; cmd: string }[] {
  const children = new Map<number, number[]>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const list = children.get(ppid) ?? []
      list.push(Number(d))
      children.set(ppid, list)
    } catch {
      /* gone */
    }
  }
  const out: { pid: number; rss: number; cmd: string }[] = []
  const walk = (p: number): void => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8')
      const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()
      out.push({ pid: p, rss, cmd })
    } catch {
      return
    }
    for (const c of children.get(p) ?? []) walk(c)
  }
  walk(pid)
  return out
}

export interface StartupSample {
  firstAnswerMs: number
  /** RSS of the process running the broker (the deepest node process), after idling. */
  brokerRss: number
  /** RSS of the whole process tree (npx and tsx add their own node processes). */
  treeRss: number
}

/** Spawns `cmd args` (with the port and data dir filled in), times its first ApiVersions answer. */
export async function timeSpawn(cmd: string, args: (port: number, dir: string) => string[], idleMs = 1000, timeoutMs = 30_000): Promise<StartupSample> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'millrace-startup-'))
  const t0 = performance.now()
  const child: ChildProcess = spawn(cmd, args(port, dir), {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MILLRACE_LOG_LEVEL: 'warn' },
    detached: true,
  })
  let stderr = ''
  child.stderr!.on('data', d => (stderr += d))
  let exited = false
  child.once('exit', () => (exited = true))
  try {
    let answered = -1
    while (answered < 0) {
      if (exited) throw new Error(`${cmd} exited before answering: ${stderr.slice(-2000)}`)
      if (performance.now() - t0 > timeoutMs) throw new Error(`${cmd} did not answer within ${timeoutMs} ms: ${stderr.slice(-2000)}`)
      let conn: RawConnection
      try {
        conn = await RawConnection.open('localhost', port)
      } catch {
        await sleep(2)
        continue
      }
      try {
        await apiVersions(conn)
        answered = performance.now() - t0
      } catch {
        await sleep(2)
      } finally {
        conn.close()
      }
    }
    await sleep(idleMs)
    const tree = processTree(child.pid!)
    const nodes = tree.filter(p => /(^|\/)node(\s|$)/.test(p.cmd.split(' ')[0]!) || p.cmd.startsWith('node '))
    const broker = nodes[nodes.length - 1] ?? tree[tree.length - 1]
    return { firstAnswerMs: answered, brokerRss: broker?.rss ?? NaN, treeRss: tree.reduce((a, p) => a + p.rss, 0) }
  } finally {
    const pids = processTree(child.pid!).map(p => p.pid)
    const alive = (): boolean =>
      pids.some(p => {
        try {
          process.kill(p, 0)
          return true
        } catch {
          return false
        }
      })
    try {
      process.kill(-child.pid!, 'SIGTERM')
    } catch {
      /* already gone */
    }
    const t = Date.now()
    while (alive() && Date.now() - t < 10_000) await sleep(10)
    if (alive()) {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {
        /* gone */
      }
      await sleep(100)
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 })
  }
}

export interface CompileResult {
  outDir: string
  mainJs: string
  /** The in-process start-up probe, compiled along (absent with the esbuild fallback). */
  inprocJs: string | null
  tool: 'tsc' | 'esbuild'
  ms: number
  note?: string
}

/**
 * Compiles src/ to JavaScript in a temp dir: `npx tsc` with a small tsconfig that emits (and
 * source maps, for profiles); if tsc emits nothing usable, esbuild (which tsx ships), file by file.
 */
export function compileBroker(log: (line: string) => void = () => {}): CompileResult {
  const base = mkdtempSync(join(tmpdir(), 'millrace-js-'))
  const outDir = join(base, 'out')
  mkdirSync(outDir, { recursive: true })
  writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type: 'module' }))
  symlinkSync(join(ROOT, 'node_modules'), join(outDir, 'node_modules'))
  const tsconfig = join(base, 'tsconfig.json')
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.json'),
      // typeRoots: `types: ["node"]` would otherwise be looked up beside this temp tsconfig.
      compilerOptions: { noEmit: false, outDir, rootDir: ROOT, typeRoots: [join(ROOT, 'node_modules/@types')], sourceMap: true, noEmitOnError: false, incremental: false, declaration: false },
      include: [join(ROOT, 'src'), join(ROOT, 'scripts/bench/lib/startup-inproc.ts')],
      exclude: [join(ROOT, 'src/**/*.test.ts')],
    }),
  )
  const t0 = performance.now()
  const r = spawnSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', tsconfig], { cwd: ROOT, encoding: 'utf8' })
  const ms = performance.now() - t0
  const mainJs = join(outDir, 'src/main.js')
  if (existsSync(mainJs)) {
    const errors = (r.stdout.match(/error TS/g) ?? []).length
    const inprocJs = join(outDir, 'scripts/bench/lib/startup-inproc.js')
    return { outDir, mainJs, inprocJs: existsSync(inprocJs) ? inprocJs : null, tool: 'tsc', ms, note: errors ? `tsc reported ${errors} type errors (emitted anyway)` : undefined }
  }
  log(`# tsc emitted no src/main.js (${r.stdout.slice(0, 500)}); falling back to esbuild`)
  const t1 = performance.now()
  const files: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) files.push(p)
    }
  }
  walk(join(ROOT, 'src'))
  const esb = spawnSync(join(ROOT, 'node_modules/.bin/esbuild'), [...files, `--outdir=${join(outDir, 'src')}`, `--outbase=${join(ROOT, 'src')}`, '--format=esm', '--platform=node', '--sourcemap'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
  if (esb.status !== 0) throw new Error(`esbuild failed: ${esb.stderr.slice(0, 2000)}`)
  return { outDir, mainJs, inprocJs: null, tool: 'esbuild', ms: performance.now() - t1 }
}

export interface BundleResult {
  outDir: string
  /** The command line, as `npm run build` makes dist/main.js. */
  mainJs: string
  /** The in-process probe, bundled with the broker imported from the library bundle (millrace.js). */
  inprocJs: string
  ms: number
}

/** The production build (scripts/build.ts) into a temp dir, which links node_modules for the external packages. */
export async function bundleBroker(): Promise<BundleResult> {
  const base = mkdtempSync(join(tmpdir(), 'millrace-bundle-'))
  writeFileSync(join(base, 'package.json'), JSON.stringify({ type: 'module' }))
  symlinkSync(join(ROOT, 'node_modules'), join(base, 'node_modules'))
  const outDir = join(base, 'dist')
  const { BUNDLE_OPTIONS, buildDist } = await import('../../build.js')
  const { build } = await import('esbuild')
  const t0 = performance.now()
  const [mainJs] = await buildDist(outDir)
  const ms = performance.now() - t0
  const inprocJs = join(outDir, 'startup-inproc.js')
  await build({
    ...BUNDLE_OPTIONS,
    entryPoints: [fileURLToPath(new URL('./startup-inproc.ts', import.meta.url))],
    outfile: inprocJs,
    plugins: [
      {
        name: 'broker-from-library-bundle',
        setup: b => b.onResolve({ filter: /\/src\/broker\/index\.js$/ }, () => ({ path: './millrace.js', external: true })),
      },
    ],
  })
  return { outDir, mainJs: mainJs!, inprocJs, ms }
}

export interface InProcessSample {
  importMs: number
  startToFirstAnswerMs: number
  processStartToFirstAnswerMs: number
  idleRss: number
}

export interface StartupResult {
  /** The production bundle (esbuild, scripts/build.ts). */
  compile: { tool: string; ms: number; note?: string }
  /** tsc's file-per-module output. */
  compileTsc: { tool: string; ms: number; note?: string }
  nodeBaselineMs: number
  npxTsx: StartupSample
  tsxDirect: StartupSample
  /** node main.js of the production bundle (what `npm run build` makes). */
  compiled: StartupSample
  /** The same, the first start after the build (before V8's code cache exists). */
  compiledFirstStart: number
  /** node out/src/main.js of the tsc output (one module per source file). */
  compiledTsc: StartupSample
  /** startBroker() in a fresh process run under tsx (how tests embed it). */
  inProcess: InProcessSample
  /** The same probe importing the library bundle (no tsx in the process). */
  inProcessCompiled: InProcessSample
  /** The probe compiled by tsc, when tsc emitted it. */
  inProcessTsc: InProcessSample | null
  repeats: number
}

export async function runStartup(opts: { repeats: number; idleMs: number; profileDir?: string; log?: (l: string) => void }): Promise<StartupResult> {
  const log = opts.log ?? (l => process.stdout.write(l + '\n'))
  const overrides = (port: number, dir: string): string[] => ['--override', `log.dirs=${dir}`, '--override', `listeners=PLAINTEXT://localhost:${port}`]
  const med = async (label: string, f: () => Promise<StartupSample>): Promise<StartupSample> => {
    const samples: StartupSample[] = []
    for (let i = 0; i < opts.repeats; i++) samples.push(await f())
    const s = { firstAnswerMs: median(samples.map(x => x.firstAnswerMs)), brokerRss: samples.at(-1)!.brokerRss, treeRss: samples.at(-1)!.treeRss }
    log(`${label}: ${samples.map(x => x.firstAnswerMs.toFixed(0)).join(', ')} ms (median ${s.firstAnswerMs.toFixed(0)}), broker RSS ${(s.brokerRss / 2 ** 20).toFixed(0)} MiB, tree RSS ${(s.treeRss / 2 ** 20).toFixed(0)} MiB`)
    return s
  }
  const baseline: number[] = []
  for (let i = 0; i < opts.repeats; i++) {
    const t = performance.now()
    spawnSync(process.execPath, ['-e', '0'])
    baseline.push(performance.now() - t)
  }
  log(`node -e 0 (process start and exit, for scale): median ${median(baseline).toFixed(0)} ms`)
  const bundle = await bundleBroker()
  log(`bundled src/ with esbuild (scripts/build.ts) in ${(bundle.ms / 1000).toFixed(1)} s → ${bundle.outDir}`)
  const compile = compileBroker(log)
  log(`compiled src/ with ${compile.tool} in ${(compile.ms / 1000).toFixed(1)} s${compile.note ? ` (${compile.note})` : ''} → ${compile.outDir}`)
  try {
    const npxTsx = await med('npx tsx src/main.ts', () => timeSpawn('npx', (p, d) => ['tsx', 'src/main.ts', ...overrides(p, d)], opts.idleMs))
    const tsxLoader = import.meta.resolve('tsx')
    const tsxDirect = await med('node --import tsx src/main.ts', () => timeSpawn(process.execPath, (p, d) => ['--import', tsxLoader, 'src/main.ts', ...overrides(p, d)], opts.idleMs))
    // The first start after a build compiles the bundle and writes V8's code cache for the next
    // starts (src/main-cached.ts): timed on its own, the median below is of starts that find it.
    const startBundle = (): Promise<StartupSample> => timeSpawn(process.execPath, (p, d) => [bundle.mainJs, ...overrides(p, d)], opts.idleMs)
    const bundleLabel = `node ${bundle.mainJs.replace(tmpdir(), '$TMP')}`
    const compiledFirstStart = (await startBundle()).firstAnswerMs
    log(`${bundleLabel}, first start after the build (no code cache yet): ${compiledFirstStart.toFixed(0)} ms`)
    const compiled = await med(`${bundleLabel} (esbuild bundle, code cache)`, startBundle)
    const compiledTsc = await med(`node ${compile.mainJs.replace(tmpdir(), '$TMP')} (${compile.tool}, a module per file)`, () => timeSpawn(process.execPath, (p, d) => [compile.mainJs, ...overrides(p, d)], opts.idleMs))
    if (opts.profileDir) {
      // One more start of the compiled form under --cpu-prof (written when SIGTERM makes it exit).
      mkdirSync(opts.profileDir, { recursive: true })
      const before = new Set(readdirSync(opts.profileDir))
      const s = await timeSpawn(process.execPath, (p, d) => ['--cpu-prof', '--cpu-prof-dir', opts.profileDir!, '--cpu-prof-interval', '100', bundle.mainJs, ...overrides(p, d)], 200)
      await sleep(500)
      const prof = readdirSync(opts.profileDir).filter(f => !before.has(f) && f.endsWith('.cpuprofile'))
      log(`profiled start (${s.firstAnswerMs.toFixed(0)} ms with the profiler on): ${prof.map(f => join(opts.profileDir!, f)).join(', ') || 'no profile written'}`)
      for (const f of prof) {
        const { analyseProfile, formatProfile, loadProfile } = await import('./profile.js')
        log(formatProfile(analyseProfile(loadProfile(join(opts.profileDir, f)), 15)))
      }
    }
    const inprocRuns = (label: string, args: string[]): InProcessSample => {
      const runs: InProcessSample[] = []
      for (let i = 0; i < opts.repeats; i++) {
        const r = spawnSync(process.execPath, [...args, String(opts.idleMs)], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MILLRACE_LOG_LEVEL: 'warn' } })
        const line = r.stdout.trim().split('\n').pop() ?? ''
        if (r.status !== 0 || !line.startsWith('{')) throw new Error(`in-process start-up run failed: ${r.stderr.slice(-2000)}`)
        runs.push(JSON.parse(line))
      }
      const s: InProcessSample = {
        importMs: median(runs.map(x => x.importMs)),
        startToFirstAnswerMs: median(runs.map(x => x.startToFirstAnswerMs)),
        processStartToFirstAnswerMs: median(runs.map(x => x.processStartToFirstAnswerMs)),
        idleRss: runs.at(-1)!.idleRss,
      }
      log(
        `in-process startBroker() ${label}: ${runs.map(x => x.startToFirstAnswerMs.toFixed(0)).join(', ')} ms to first answer (median ${s.startToFirstAnswerMs.toFixed(0)}); ` +
          `importing the broker took ${s.importMs.toFixed(0)} ms before that; idle process RSS ${(s.idleRss / 2 ** 20).toFixed(0)} MiB`,
      )
      return s
    }
    const inProcess = inprocRuns('under tsx', ['--import', tsxLoader, fileURLToPath(new URL('./startup-inproc.ts', import.meta.url))])
    const inProcessCompiled = inprocRuns('bundled', [bundle.inprocJs])
    const inProcessTsc = compile.inprocJs ? inprocRuns(`compiled by ${compile.tool}`, [compile.inprocJs]) : null
    return {
      compile: { tool: 'esbuild bundle', ms: bundle.ms },
      compileTsc: { tool: compile.tool, ms: compile.ms, note: compile.note },
      nodeBaselineMs: median(baseline),
      npxTsx,
      tsxDirect,
      compiled,
      compiledFirstStart,
      compiledTsc,
      inProcess,
      inProcessCompiled,
      inProcessTsc,
      repeats: opts.repeats,
    }
  } finally {
    rmSync(resolve(compile.outDir, '..'), { recursive: true, force: true })
    rmSync(resolve(bundle.outDir, '..'), { recursive: true, force: true })
  }
}

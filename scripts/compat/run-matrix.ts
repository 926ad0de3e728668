// Runs the client compatibility matrix and records it.
//
//   npx tsx scripts/compat/run-matrix.ts [--bootstrap host:port] [--ci] [--clients a,b] [--scenarios x,y]
//                                        [--no-write | --write] [--json file] [--strict]
//
// Without --bootstrap it starts a Millrace in this process (temporary data directory, free port).
// A full run (all clients and scenarios) rewrites README.md's "Compatibility" section and
// scripts/compat/last-run.json; a filtered run writes nothing unless --write is given.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { flatten, runMatrix, type MatrixOptions, type MatrixResult } from './runner.js'
import { renderSection, updateReadme } from './report.js'

const here = dirname(fileURLToPath(import.meta.url))
export const LAST_RUN = join(here, 'last-run.json')
export const README = resolve(here, '../../README.md')

/** Broker settings for the in-process run: quick first rebalances, as a development broker has. */
export const IN_PROCESS_OVERRIDES = { 'num.partitions': '3', 'group.initial.rebalance.delay.ms': '0' }

/** Runs the matrix against `bootstrap`, or against a Millrace started here for the run. */
export async function runAgainst(opts: Omit<MatrixOptions, 'bootstrap'> & { bootstrap?: string }): Promise<MatrixResult> {
  if (opts.bootstrap) return runMatrix({ ...opts, bootstrap: opts.bootstrap })
  const { startTempBroker } = await import('../../src/testing/temp-broker.js')
  const dir = mkdtempSync(join(tmpdir(), 'millrace-compat-'))
  const broker = await startTempBroker(IN_PROCESS_OVERRIDES, dir)
  try {
    const result = await runMatrix({ ...opts, bootstrap: broker.bootstrap })
    result.broker = 'in-process Millrace'
    return result
  } finally {
    await broker.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

function parseArgs(argv: string[]) {
  const opts: { bootstrap?: string; ci: boolean; clients?: string[]; scenarios?: string[]; write?: boolean; json?: string; strict: boolean } = { ci: false, strict: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => argv[++i] ?? usage(`${a} needs a value`)
    if (a === '--bootstrap') opts.bootstrap = value()
    else if (a === '--ci') opts.ci = true
    else if (a === '--clients') opts.clients = value().split(',')
    else if (a === '--scenarios') opts.scenarios = value().split(',')
    else if (a === '--no-write') opts.write = false
    else if (a === '--write') opts.write = true
    else if (a === '--json') opts.json = value()
    else if (a === '--strict') opts.strict = true
    else usage(`unknown argument ${a}`)
  }
  return opts
}

function usage(msg: string): never {
  console.error(`${msg}\nusage: run-matrix.ts [--bootstrap host:port] [--ci] [--clients a,b] [--scenarios x,y] [--no-write|--write] [--json file] [--strict]`)
  process.exit(2)
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const result = await runAgainst({
    bootstrap: args.bootstrap,
    mode: args.ci ? 'ci' : 'full',
    clients: args.clients,
    scenarios: args.scenarios,
    log: line => console.error(line),
  })
  const statuses = [...flatten(result).values()]
  const count = (s: string) => statuses.filter(x => x === s).length
  const section = renderSection(result)
  console.log(section)
  const write = args.write ?? (!args.clients && !args.scenarios)
  if (args.json) writeFileSync(args.json, JSON.stringify(result, null, 2) + '\n')
  if (write) {
    writeFileSync(LAST_RUN, JSON.stringify(result, null, 2) + '\n')
    updateReadme(README, section)
    console.error(`wrote ${LAST_RUN} and the Compatibility section of ${README}`)
  }
  console.error(`${count('pass')} passed, ${count('fail')} failed, ${count('n/a')} n/a, ${count('skip')} skipped in ${Math.round(result.durationMs / 1000)} s`)
  process.exit(args.strict && count('fail') ? 1 : 0)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch(err => {
    console.error(err)
    process.exit(1)
  })
}

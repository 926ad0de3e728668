// The client compatibility matrix (scripts/compat) in CI sizes, against an in-process Millrace.
// A cell that passes in scripts/compat/last-run.json must still pass; a cell that failed there
// and still fails is reported, not failed; a client that is not installed is skipped with the reason.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { LAST_RUN, runAgainst } from '../scripts/compat/run-matrix.js'
import { flatten, type MatrixResult } from '../scripts/compat/runner.js'

t.setTimeout(300_000)

const baseline: MatrixResult | null = existsSync(LAST_RUN) ? (JSON.parse(readFileSync(LAST_RUN, 'utf8')) as MatrixResult) : null
const before = baseline ? flatten(baseline) : new Map<string, string>()
if (!baseline) t.comment(`no ${LAST_RUN}: every cell must pass`)

const started = Date.now()
const result = await runAgainst({ mode: 'ci', log: line => (line.startsWith('pass ') ? undefined : t.comment(line)) })
t.comment(`matrix ran in ${Math.round((Date.now() - started) / 1000)} s`)

/** The error recorded for a flattened key ("client/scenario[/codec]" or "cross/producer/consumer"). */
function errorOf(key: string): string {
  const [a, b, c] = key.split('/')
  if (a === 'cross') return result.cross[b]?.[c]?.error ?? ''
  const cell = result.scenarios[a]?.[b as keyof MatrixResult['scenarios'][string]]
  return (c ? cell?.parts?.[c]?.error : cell?.error) ?? ''
}

for (const [client, info] of Object.entries(result.clients)) {
  if (!info.installed) t.pass(`${client}: not installed`, { skip: info.reason })
}

for (const [key, status] of flatten(result)) {
  const was = before.get(key)
  if (status === 'pass') t.pass(key)
  else if (status === 'n/a') t.pass(`${key}: n/a${was === 'pass' ? ' (passed in last-run.json!)' : ''}`)
  else if (status === 'skip') continue // reported once per client above
  else if (was === 'pass' || !baseline) t.fail(`${key}: fails, passed in last-run.json: ${errorOf(key)}`)
  else t.pass(`${key}: still fails as in last-run.json (${errorOf(key).split('\n')[0]})`, { todo: 'known failure' })
}

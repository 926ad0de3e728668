// Turns a matrix result into the README's "Compatibility" section.

import { readFileSync, writeFileSync } from 'node:fs'
import { CODECS } from './protocol.js'
import { ADMIN_CONFIGS, SCENARIOS, TXN_COMMITTED_OFFSETS, sizes, type Cell, type MatrixResult } from './runner.js'

const mark = (c: Cell | undefined): string => {
  if (!c) return ''
  switch (c.status) {
    case 'pass':
      return 'pass'
    case 'fail':
      return '**fail**'
    case 'n/a':
      return 'n/a'
    case 'skip':
      return 'not installed'
  }
}

function compressionCell(c: Cell | undefined): string {
  if (!c?.parts) return mark(c)
  const by = (s: string) => CODECS.filter(k => c.parts![k]?.status === s)
  const out: string[] = []
  if (by('pass').length) out.push(`pass: ${by('pass').join(', ')}`)
  if (by('fail').length) out.push(`**fail: ${by('fail').join(', ')}**`)
  if (by('n/a').length) out.push(`n/a: ${by('n/a').join(', ')}`)
  return out.join('; ') || mark(c)
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|').slice(0, 300)

export function renderSection(r: MatrixResult): string {
  const names = Object.keys(r.clients)
  const txn = { committed: sizes(r.mode).txnCommitted, aborted: sizes(r.mode).txnAborted }
  const lines: string[] = []
  lines.push('## Compatibility', '')
  lines.push(
    'Every Kafka client that installs on this project\'s machines is run, unmocked, against one Millrace',
    'by `npx tsx scripts/compat/run-matrix.ts`, which writes this section and `scripts/compat/last-run.json`.',
    'CI runs the same matrix with fewer messages (`compat-tests/matrix.test.ts`) and fails when a cell that',
    'passes in `last-run.json` fails. "n/a": the client cannot do it; "not installed": the run skipped it.',
    '',
  )
  lines.push(`Last run: ${r.startedAt.slice(0, 10)}, ${r.mode === 'full' ? `${r.messages.toLocaleString('en-US')} messages in scenario 3` : `CI sizes (${r.messages} messages in scenario 3)`}, ${Math.round(r.durationMs / 1000)} s.`, '')
  lines.push('| client | version | installed by | ' + SCENARIOS.map(s => s.title).join(' | ') + ' |')
  lines.push('|---|---|---|' + SCENARIOS.map(() => '---').join('|') + '|')
  for (const name of names) {
    const info = r.clients[name]
    const cells = SCENARIOS.map(s => (s.id === 'compression' ? compressionCell(r.scenarios[name]?.[s.id]) : mark(r.scenarios[name]?.[s.id])))
    const version = info.version ? `${info.version}${info.basedOn && !info.version.includes(info.basedOn) ? ` (${info.basedOn})` : ''}` : '-'
    lines.push(`| ${name} | ${version} | ${info.install} | ${cells.join(' | ')} |`)
  }
  lines.push('')
  lines.push(
    'What each scenario checks (sizes are those of the README run; CI uses smaller ones):',
    '',
    '1. The client\'s metadata: brokers, controller, and for a 3-partition topic each partition\'s leader, replicas and ISR, compared with the broker\'s own Metadata answer.',
    `2. The client creates a topic with 3 partitions and ${Object.entries(ADMIN_CONFIGS).map(([k, v]) => `\`${k}=${v}\``).join(', ')}, describes it (partitions and configs), deletes it; the runner confirms each step on the broker.`,
    `3. ${r.messages.toLocaleString('en-US')} keyed messages with two headers each, acks=all, spread over 3 partitions; read back from the beginning by the same client: keys, values, headers, partitions, offsets and order per partition must match exactly.`,
    '4. For each codec the client can write, the runner checks that the stored batches really are compressed with it, then a different client (rotating) reads them back and compares every message.',
    '5. Members A and B share 4 partitions and consume; C joins; after the rebalance more messages are produced. Every message must be processed exactly once, C must get partitions, and the committed offsets must equal the log ends.',
    '6. With idempotence on, the stored batches of each partition carry one producer id and sequences from 0 without gaps, and every message is read back once.',
    '7. Earliest offset (after DeleteRecords moved it), latest offset, and the offsets for four timestamps (before, between, at and after the records).',
    `8. One transactional producer runs three transactions over 3 partitions: ${txn.committed / 2} messages committed; ${txn.aborted} more, with offsets sent for a consumer group, aborted; ${txn.committed / 2} more, with the offsets ${Object.entries(TXN_COMMITTED_OFFSETS).map(([p, o]) => `${p}→${o}`).join(', ')} sent for the group, committed. The stored batches must all be transactional with one producer id, each transaction followed by its COMMIT or ABORT marker in every partition; a read_committed fetch (the broker's last stable offset and aborted-transaction list, filtered as Kafka's consumer does) and the client's own read_committed consumer must get exactly the committed messages, in order; the group's committed offsets must be those of the committed transaction and none of the aborted one's.`,
    '',
  )
  lines.push('Data written by each client (rows) and read back by each client (columns), every key, value, header,', 'partition and offset compared:', '')
  lines.push('| producer \\ consumer | ' + names.join(' | ') + ' |')
  lines.push('|---|' + names.map(() => '---').join('|') + '|')
  for (const p of names) lines.push(`| ${p} | ` + names.map(c => mark(r.cross[p]?.[c])).join(' | ') + ' |')
  lines.push('')

  const notes: string[] = []
  for (const name of names) {
    const info = r.clients[name]
    if (!info.installed) notes.push(`- ${name}: ${oneLine(info.reason ?? 'not installed')}`)
    for (const n of info.notes ?? []) notes.push(`- ${name}: ${oneLine(n)}`)
    for (const s of SCENARIOS) {
      const c = r.scenarios[name]?.[s.id]
      if (!c) continue
      if (c.status === 'fail' && !c.parts) notes.push(`- ${name}, ${s.title}: **fail**: ${oneLine(c.error ?? '')}`)
      if (c.status === 'n/a') notes.push(`- ${name}, ${s.title}: n/a (${oneLine(c.detail ?? '')})`)
      for (const [codec, sub] of Object.entries(c.parts ?? {})) {
        if (sub.status === 'fail') notes.push(`- ${name}, ${codec}: **fail**: ${oneLine(sub.error ?? '')}`)
        if (sub.status === 'n/a') notes.push(`- ${name}, ${codec}: n/a (${oneLine(sub.detail ?? '')})`)
      }
    }
  }
  for (const [p, row] of Object.entries(r.cross))
    for (const [c, cell] of Object.entries(row)) if (cell.status === 'fail') notes.push(`- ${p} → ${c}: **fail**: ${oneLine(cell.error ?? '')}`)
  if (notes.length) lines.push('Notes and failures:', '', ...notes, '')
  lines.push(
    'Run it yourself (the clients that are missing are skipped with the reason):',
    '',
    '```sh',
    'npx tsx scripts/compat/run-matrix.ts                       # in-process Millrace, 10,000 messages; rewrites this section',
    'npx tsx scripts/compat/run-matrix.ts --bootstrap host:9092 # any running broker',
    'npx tsx scripts/compat/run-matrix.ts --ci --no-write --clients kcat,kafkajs',
    '```',
    '',
  )
  return lines.join('\n')
}

/** Replaces the README's "## Compatibility" section (up to the next "## "), or adds it before "## Layout". */
export function updateReadme(path: string, section: string): void {
  const text = readFileSync(path, 'utf8')
  const body = section.trimEnd() + '\n'
  const start = text.search(/^## Compatibility[ \t]*$/m)
  let out: string
  if (start >= 0) {
    const rest = text.slice(start + 3)
    const next = rest.search(/^## /m)
    out = text.slice(0, start) + body + (next >= 0 ? '\n' + rest.slice(next) : '')
  } else {
    const layout = text.search(/^## Layout[ \t]*$/m)
    out = layout >= 0 ? text.slice(0, layout) + body + '\n' + text.slice(layout) : text.trimEnd() + '\n\n' + body
  }
  writeFileSync(path, out)
}

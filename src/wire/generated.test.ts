// The generated codecs must be what the generator makes from the specs today: a hand edit or a
// stale generation fails here. Skips where ../shared (the specs) is absent, as in a user's clone.
import t from 'tap'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generate } from '../../scripts/generate-wire.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const specs = join(root, '..', 'shared', 'kafka-protocol')
const out = join(root, 'src', 'wire', 'generated')

t.test('generated codecs match the specs', { skip: existsSync(join(specs, 'messages')) ? false : 'no ../shared/kafka-protocol here' }, async t => {
  const { files } = generate(specs)
  const onDisk = new Set<string>()
  for (const dir of ['', 'messages', 'data', 'metadata', 'internal']) {
    for (const f of readdirSync(join(out, dir))) if (f.endsWith('.ts')) onDisk.add(dir ? `${dir}/${f}` : f)
  }
  t.same([...onDisk].sort(), [...files.keys()].sort(), 'the same set of files')
  const stale = [...files].filter(([rel, text]) => !existsSync(join(out, rel)) || readFileSync(join(out, rel), 'utf8') !== text)
  t.same(stale.map(([rel]) => rel), [], 'every file is current (run `npm run generate`)')
})

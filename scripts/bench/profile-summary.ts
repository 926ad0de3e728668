// Summarises a .cpuprofile: self time, inclusive time of project functions, hot lines, with
// TypeScript file:line locations.
//   npx tsx scripts/bench/profile-summary.ts <file.cpuprofile> [--top 25]

import { parseArgs } from './lib/args.js'
import { analyseProfile, formatProfile, loadProfile } from './lib/profile.js'

const files = process.argv.slice(2).filter(a => !a.startsWith('--') && !/^\d+$/.test(a))
const opts = parseArgs('profile-summary.ts', 'Summarise CPU profiles (pass the .cpuprofile paths first).', {
  top: { type: 'number', default: 20, help: 'rows per section' },
}, process.argv.slice(2).filter(a => !files.includes(a)))
if (files.length === 0) {
  console.error('usage: npx tsx scripts/bench/profile-summary.ts <file.cpuprofile>... [--top N]')
  process.exit(2)
}
for (const f of files) {
  console.log(`# ${f}`)
  console.log(formatProfile(analyseProfile(loadProfile(f), opts.top)))
}

// Start-up time to the first ApiVersions answer and idle RSS, for `npx tsx src/main.ts`, the
// compiled JavaScript (the esbuild bundle of `npm run build`; tsc's unbundled output too), and
// startBroker() in-process.
//   npx tsx scripts/bench/startup.ts --repeats 3

import { parseArgs } from './lib/args.js'
import { runStartup } from './lib/startup-core.js'

const opts = parseArgs('startup.ts', 'Time from spawn to first ApiVersions answer; idle RSS.', {
  repeats: { type: 'number', default: 3, help: 'runs per form (median reported)' },
  'idle-ms': { type: 'number', default: 1000, help: 'idle time after start before reading RSS' },
  json: { type: 'boolean', default: false, help: 'print the result as JSON too' },
  'profile-dir': { type: 'string', help: 'also CPU-profile one start of the bundled form (node --cpu-prof) and summarise it' },
})
const r = await runStartup({ repeats: opts.repeats, idleMs: opts['idle-ms'], profileDir: opts['profile-dir'] })
if (opts.json) console.log(JSON.stringify(r))

// Many partitions: creation time, Metadata for all, scenario 3 spread over 1,000 partitions, RSS.
//   npx tsx scripts/bench/partitions.ts            (broker in its own process, for RSS)
//   npx tsx scripts/bench/partitions.ts --sizes 1000,10000 --duration-ms 5000

import { parseArgs } from './lib/args.js'
import { runPartitions } from './lib/partitions-core.js'
import { TARGET_OPTIONS, withTarget } from './lib/target.js'

const opts = parseArgs('partitions.ts', 'Create 1,000 and 10,000 partitions; Metadata latency, spread produce throughput, RSS.', {
  ...TARGET_OPTIONS,
  'host-mode': { ...TARGET_OPTIONS['host-mode'], default: 'child' },
  sizes: { type: 'string', default: '1000,10000', help: 'partition counts of the topics to create' },
  'spread-partitions': { type: 'number', default: 1000, help: 'partitions to spread scenario 3 over' },
  'duration-ms': { type: 'number', default: 5000, help: 'length of each produce run' },
  repeats: { type: 'number', default: 5, help: 'Metadata requests per measurement' },
  'profile-phase': { type: 'string', default: 'all', help: 'with --profile-dir: all (the whole run), idle (from the idle pause after the largest topic on) or stop (the shutdown)' },
})

await withTarget({ ...opts, stopTimeoutMs: 180_000, profileStop: opts['profile-phase'] === 'stop' }, t =>
  runPartitions({
    host: t.host,
    port: t.port,
    hosted: t.hosted,
    sizes: opts.sizes.split(',').map(Number),
    spreadPartitions: opts['spread-partitions'],
    durationMs: opts['duration-ms'],
    repeats: opts.repeats,
    profileIdleAfter: opts['profile-phase'] === 'idle' ? Math.max(...opts.sizes.split(',').map(Number)) : undefined,
  }),
)

// Like Kafka's EndToEndLatency: produce one record, see it through a consumer's long-poll fetch;
// at a fixed rate (default 1,000 records/s) or synchronously (--rate 0).
//   npx tsx scripts/bench/e2e-latency.ts --num-records 10000 --rate 1000

import { parseArgs } from './lib/args.js'
import { runE2e } from './lib/e2e-core.js'
import { latencyLine } from './lib/stats.js'
import { TARGET_OPTIONS, withTarget } from './lib/target.js'

const opts = parseArgs('e2e-latency.ts', 'End-to-end latency from Produce to a long-poll Fetch seeing the record.', {
  ...TARGET_OPTIONS,
  topic: { type: 'string', default: 'e2e-latency', help: 'topic (one partition; reading starts at its end)' },
  'num-records': { type: 'number', default: 10_000, help: 'records to send' },
  rate: { type: 'number', default: 1000, help: 'records per second; 0 = one at a time' },
  acks: { type: 'number', default: 1, help: 'producer acks' },
  'record-size': { type: 'number', default: 100, help: 'value bytes per record' },
  'warmup-ms': { type: 'number', default: 2000, help: 'records sent in the first N ms are left out of the figures (JIT warm-up)' },
  'max-wait-ms': { type: 'number', default: 1000, help: 'fetch long-poll wait' },
  'timeout-ms': { type: 'number', default: 120_000, help: 'give up after this long' },
})

const r = await withTarget(opts, t =>
  runE2e({
    host: t.host,
    port: t.port,
    topic: opts.topic,
    numRecords: opts['num-records'],
    rate: opts.rate,
    acks: opts.acks,
    recordSize: opts['record-size'],
    warmupMs: opts['warmup-ms'],
    maxWaitMs: opts['max-wait-ms'],
    timeoutMs: opts['timeout-ms'],
  }),
)
console.log(`${r.records} records at ${r.achievedRate.toFixed(1)} records/s over ${r.seconds.toFixed(2)} s (${r.measured} measured: those sent in the first ${r.warmupMs} ms left out)`)
console.log(`end-to-end: ${latencyLine(r.latency)}`)
console.log(`end-to-end, every record (warm-up included): ${latencyLine(r.latencyAll)}`)
console.log(`produce round trip: ${latencyLine(r.produceLatency)}`)

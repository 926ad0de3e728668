// Produce and consume throughput through the stock kafkajs client.
//   npx tsx scripts/bench/kafkajs-perf.ts --duration-ms 5000

import { parseArgs } from './lib/args.js'
import { runKafkajs } from './lib/kafkajs-core.js'
import { fmt } from './lib/stats.js'
import { TARGET_OPTIONS, withTarget } from './lib/target.js'

const opts = parseArgs('kafkajs-perf.ts', 'kafkajs producer and consumer throughput.', {
  ...TARGET_OPTIONS,
  topic: { type: 'string', default: `kafkajs-perf`, help: 'topic' },
  'num-records': { type: 'number', default: 2_000_000, help: 'records to produce at most' },
  'duration-ms': { type: 'number', default: 5000, help: 'stop producing after this long' },
  'record-size': { type: 'number', default: 100, help: 'value bytes per record' },
  'batch-records': { type: 'number', default: 1000, help: 'messages per producer.send()' },
  'in-flight': { type: 'number', default: 5, help: 'producer.send() calls at once' },
  acks: { type: 'number', default: 1, help: 'acks' },
  'consume-records': { type: 'number', default: 1_000_000, help: 'records to consume (at most what was produced)' },
  'consume-timeout-ms': { type: 'number', default: 60_000, help: 'give up consuming after this long' },
})

const r = await withTarget(opts, t =>
  runKafkajs({
    bootstrap: t.bootstrap,
    host: t.host,
    port: t.port,
    topic: opts.topic,
    numRecords: opts['num-records'],
    durationMs: opts['duration-ms'],
    recordSize: opts['record-size'],
    batchRecords: opts['batch-records'],
    inFlight: opts['in-flight'],
    acks: opts.acks,
    consumeRecords: opts['consume-records'],
    consumeTimeoutMs: opts['consume-timeout-ms'],
  }),
)
console.log(`kafkajs producer: ${fmt(r.produce.records)} records in ${r.produce.seconds.toFixed(2)} s, ${fmt(r.produce.recordsPerSec, 1)} records/sec (${r.produce.mibPerSec.toFixed(2)} MB/sec)`)
if (r.consume.mode === 'n/a') console.log(`kafkajs consumer: ${r.consume.note}`)
else {
  console.log(
    `kafkajs consumer (${r.consume.mode}): ${fmt(r.consume.records)} records in ${r.consume.seconds.toFixed(2)} s, ${fmt(r.consume.recordsPerSec, 1)} records/sec (${r.consume.mibPerSec.toFixed(2)} MB/sec)` +
      (r.consume.note ? ` — ${r.consume.note}` : ''),
  )
  if (r.consume.firstBatchMs !== undefined)
    console.log(`  first batch ${r.consume.firstBatchMs.toFixed(0)} ms after run() (joining the group); ${fmt(r.consume.steadyRecordsPerSec ?? NaN, 1)} records/sec from then on`)
}

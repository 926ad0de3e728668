// Like kafka-consumer-perf-test: reads N records from the beginning of a topic with pipelined
// Fetch requests and reports records/s and MB/s (producing the records first when missing).
//   npx tsx scripts/bench/consumer-perf.ts --num-records 10m
//   npx tsx scripts/bench/consumer-perf.ts --bootstrap localhost:9092 --topic t --num-records 1m --produce false

import { parseArgs } from './lib/args.js'
import { consumeSummary, runConsumer } from './lib/consume-core.js'
import { TARGET_OPTIONS, withTarget } from './lib/target.js'

const opts = parseArgs('consumer-perf.ts', 'Fetch N records from the beginning of a topic; records/s and MB/s.', {
  ...TARGET_OPTIONS,
  topic: { type: 'string', default: 'perf-test', help: 'topic to read' },
  'num-records': { type: 'number', default: 1_000_000, help: 'records to read' },
  'fetch-size': { type: 'number', default: 1048576, help: 'bytes per partition per fetch (max.partition.fetch.bytes)' },
  'max-bytes': { type: 'number', default: 52428800, help: 'bytes per fetch response (fetch.max.bytes)' },
  'max-in-flight': { type: 'number', default: 4, help: 'fetches in flight' },
  verify: { type: 'boolean', default: true, help: 'check every batch CRC' },
  produce: { type: 'boolean', default: true, help: 'produce the missing records first (untimed)' },
  'record-size': { type: 'number', default: 100, help: 'record size when producing' },
  partitions: { type: 'number', default: 1, help: 'partitions when the topic is created' },
  'api-version': { type: 'number', help: 'Fetch version (default: highest of v4-v12 offered)' },
  'timeout-ms': { type: 'number', default: 300_000, help: 'give up after this long' },
  json: { type: 'boolean', default: false, help: 'print the result as JSON too' },
})

const r = await withTarget(opts, t =>
  runConsumer({
    host: t.host,
    port: t.port,
    topic: opts.topic,
    numRecords: opts['num-records'],
    fetchSize: opts['fetch-size'],
    maxBytes: opts['max-bytes'],
    maxInFlight: opts['max-in-flight'],
    verify: opts.verify,
    apiVersion: opts['api-version'],
    produceIfNeeded: opts.produce,
    recordSize: opts['record-size'],
    partitions: opts.partitions,
    timeoutMs: opts['timeout-ms'],
    // A profile of the started broker covers the timed reads only, not the producing before.
    beforeTimed: t.hosted ? async () => t.hosted!.restartProfile() : undefined,
  }),
)
const end = Date.now()
const start = end - r.seconds * 1000
const mb = r.mibPerSec * r.seconds
console.log('start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec')
console.log(
  [new Date(start).toISOString(), new Date(end).toISOString(), mb.toFixed(4), r.mibPerSec.toFixed(4), r.records, r.recordsPerSec.toFixed(4), 0, Math.round(r.seconds * 1000), r.mibPerSec.toFixed(4), r.recordsPerSec.toFixed(4)].join(', '),
)
console.log(consumeSummary(r))
if (opts.json) console.log(JSON.stringify(r))

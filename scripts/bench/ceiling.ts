// What this machine can do at all with a producer's byte stream: the same stream producer-perf
// sends, to a sink that only frames and acknowledges (TCP ceiling) and to one that also appends
// each frame to a file (TCP + file ceiling); then, unless --broker false, to the broker, with
// the broker's figures as a ratio of the sinks' in the same run.
//   npx tsx scripts/bench/ceiling.ts --duration-ms 5000 --batch-bytes 1MiB

import { parseArgs } from './lib/args.js'
import { runAgainstSink } from './lib/ceiling.js'
import type { HostMode } from './lib/host.js'
import { produceSummary, runProducer, type ProduceResult } from './lib/produce-core.js'
import { TARGET_OPTIONS, formatHostStats, withTarget } from './lib/target.js'

const opts = parseArgs('ceiling.ts', 'Producer stream against a bare TCP sink, a TCP + file-append sink, and the broker.', {
  ...TARGET_OPTIONS,
  broker: { type: 'boolean', default: true, help: 'also run the stream against the broker (hosted or --bootstrap)' },
  topic: { type: 'string', default: 'ceiling-test', help: 'topic used on the broker' },
  'num-records': { type: 'number', default: 0, help: 'records per run (0 = until --duration-ms)' },
  'duration-ms': { type: 'number', default: 5000, help: 'length of each run' },
  'record-size': { type: 'number', default: 100, help: 'value bytes per record' },
  throughput: { type: 'number', default: -1, help: 'records per second, -1 = unthrottled (a throttled run compares latency at that rate)' },
  acks: { type: 'number', default: 1, help: 'acks' },
  'batch-bytes': { type: 'number', default: 1048576, help: 'batch size in bytes' },
  'max-in-flight': { type: 'number', default: 5, help: 'requests in flight' },
  compression: { type: 'string', default: 'none', help: 'codec' },
  'reporting-interval': { type: 'number', default: 5000, help: 'ms between progress lines' },
  'warmup-ms': { type: 'number', default: 0, help: 'leave the records of the first N ms out of the latency figures' },
})

const produce = {
  topic: opts.topic,
  partitions: 1,
  numRecords: opts['num-records'],
  durationMs: opts['duration-ms'],
  recordSize: opts['record-size'],
  throughput: opts.throughput,
  acks: opts.acks,
  batchBytes: opts['batch-bytes'],
  lingerMs: 0,
  maxInFlight: opts['max-in-flight'],
  compression: opts.compression,
  reportingIntervalMs: opts['reporting-interval'],
  warmupMs: opts['warmup-ms'],
}
const mode = (opts['host-mode'] ?? 'worker') as HostMode
const results: Record<string, ProduceResult> = {}
for (const kind of ['sink-ack', 'sink-file', 'sink-file-sync', 'sink-file-roll'] as const) {
  console.log(`## ${kind}`)
  const r = await runAgainstSink(kind, produce, mode)
  console.log(produceSummary(r, produce.recordSize))
  console.log(`  ${kind}: ${formatHostStats(r.hostStats)}`)
  results[kind] = r
}
if (opts.broker) {
  console.log('## broker')
  const r = await withTarget(opts, t => runProducer({ ...produce, host: t.host, port: t.port }))
  console.log(produceSummary(r, produce.recordSize))
  results.broker = r
  const ack = results['sink-ack']!
  const file = results['sink-file']!
  console.log(`\nbroker / TCP sink:        ${((r.mibPerSec / ack.mibPerSec) * 100).toFixed(0)}% of ${ack.mibPerSec.toFixed(1)} MB/s`)
  console.log(`broker / TCP + file sink: ${((r.mibPerSec / file.mibPerSec) * 100).toFixed(0)}% of ${file.mibPerSec.toFixed(1)} MB/s`)
}

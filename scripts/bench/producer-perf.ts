// Like kafka-producer-perf-test: pipelined Produce requests of prebuilt record batches.
//   npx tsx scripts/bench/producer-perf.ts --num-records 5m --record-size 100 --batch-bytes 1MiB --acks 1
//   npx tsx scripts/bench/producer-perf.ts --bootstrap localhost:9092 --topic t --throughput 100k

import { parseArgs } from './lib/args.js'
import { produceSummary, runProducer } from './lib/produce-core.js'
import { TARGET_OPTIONS, withTarget } from './lib/target.js'

const opts = parseArgs(
  'producer-perf.ts',
  'Produce records as fast as possible (or at --throughput) and report records/s, MB/s and latency percentiles.',
  {
    ...TARGET_OPTIONS,
    topic: { type: 'string', default: 'perf-test', help: 'topic (created when missing)' },
    'num-records': { type: 'number', default: 1_000_000, help: 'records to send (0 = until --duration-ms)' },
    'duration-ms': { type: 'number', default: 0, help: 'stop sending after this long (0 = no limit)' },
    'record-size': { type: 'number', default: 100, help: 'value bytes per record (no key)' },
    throughput: { type: 'number', default: -1, help: 'records per second, -1 = unthrottled' },
    acks: { type: 'number', default: 1, help: '0, 1 or -1' },
    'batch-bytes': { type: 'number', default: 16384, help: 'batch size in bytes (Kafka batch.size)' },
    'linger-ms': { type: 'number', default: 0, help: 'how long a partial batch may wait for more records (throttled runs)' },
    'max-in-flight': { type: 'number', default: 5, help: 'requests in flight on the connection' },
    partitions: { type: 'number', default: 1, help: 'partitions to spread batches over (round-robin, one batch per request)' },
    compression: { type: 'string', default: 'none', help: 'none, gzip, snappy, lz4 or zstd' },
    'api-version': { type: 'number', help: 'Produce version (default: highest of v7-v9 offered)' },
    'reporting-interval': { type: 'number', default: 5000, help: 'ms between progress lines' },
    'warmup-ms': { type: 'number', default: 0, help: 'leave the records of the first N ms out of the latency figures' },
    json: { type: 'boolean', default: false, help: 'print the result as JSON too' },
  },
)

const result = await withTarget(opts, t =>
  runProducer({
    host: t.host,
    port: t.port,
    topic: opts.topic,
    partitions: opts.partitions,
    numRecords: opts['num-records'],
    durationMs: opts['duration-ms'],
    recordSize: opts['record-size'],
    throughput: opts.throughput,
    acks: opts.acks,
    batchBytes: opts['batch-bytes'],
    lingerMs: opts['linger-ms'],
    maxInFlight: opts['max-in-flight'],
    compression: opts.compression,
    apiVersion: opts['api-version'],
    reportingIntervalMs: opts['reporting-interval'],
    warmupMs: opts['warmup-ms'],
  }),
)
console.log(produceSummary(result, opts['record-size']))
if (opts.json) console.log(JSON.stringify(result))

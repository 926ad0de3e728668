// The bench tools' own correctness (no timings asserted): the hand-encoded Produce requests
// decode with the generic codec for every version the tools speak, derived shorter batches are
// valid batches, the latency histogram's quantiles, the sinks' answers, and the profile reader.
import t from 'tap'
import { ApiKey, decodeBatchRecordsSync, decodeRequest, decodeResponse, verifyBatchCrc, Compression } from '../../../src/wire/index.js'
import { BatchSource, ProduceEncoder, combineProduceRuns, runProducer } from './produce-core.js'
import { LatencyHistogram } from './stats.js'
import { startSink } from './sinks.js'
import { RawConnection } from './raw-connection.js'
import { parseNumber } from './args.js'
import { analyseProfile } from './profile.js'
import { SourceMap } from './sourcemap.js'
import { runRelayLatency, startRelay } from './relay.js'
import { runE2e } from './e2e-core.js'
import { startTempBroker } from '../../../src/testing/temp-broker.js'
import { parseBrokerConfig, withTarget } from './target.js'
import { Kafka, logLevel } from 'kafkajs'

t.test('Produce requests decode with the generic codec (v3-v11)', async t => {
  const source = await BatchSource.create({ recordSize: 100, batchBytes: 16384, compression: Compression.None })
  t.ok(source.full.length <= 16384 && source.full.length > 16384 - 120, `full batch ${source.full.length} bytes`)
  for (const version of [3, 7, 8, 9, 11]) {
    for (const acks of [0, 1, -1]) {
      const enc = new ProduceEncoder(version, 'topic-a', 3, acks)
      for (const n of [1, 2, 63, 64, 65, source.batchRecords]) {
        const batch = await source.batch(n)
        enc.selfCheck(source, n, batch)
        const frame = Buffer.concat(enc.chunks(2, 77, batch))
        const req = decodeRequest(frame.subarray(4))
        t.equal(req.header.correlationId, 77)
        const body = req.body as { topicData: { partitionData: { index: number; records: Buffer }[] }[] }
        t.equal(body.topicData[0]!.partitionData[0]!.index, 2)
        const records = body.topicData[0]!.partitionData[0]!.records
        t.ok(verifyBatchCrc(records, 0))
        const decoded = decodeBatchRecordsSync(records)
        t.equal(decoded.length, n)
        t.equal(decoded[n - 1]!.offset, n - 1)
        t.equal(decoded[0]!.value!.length, 100)
      }
    }
  }
})

t.test('compressed batches', async t => {
  for (const codec of [Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
    const source = await BatchSource.create({ recordSize: 200, batchBytes: 8192, compression: codec })
    for (const n of [1, 5, source.batchRecords]) {
      const batch = Buffer.concat(await source.batch(n))
      t.ok(verifyBatchCrc(batch, 0), `codec ${codec}, ${n} records`)
      t.equal(batch.readInt32BE(57), n)
    }
  }
})

t.test('latency histogram', async t => {
  const h = new LatencyHistogram()
  for (let i = 1; i <= 10_000; i++) h.record(i) // 1 µs .. 10 ms
  const s = h.summaryMs()
  t.equal(s.count, 10_000)
  t.ok(Math.abs(s.p50 - 5) < 0.02, `p50 ${s.p50}`)
  t.ok(Math.abs(s.p99 - 9.9) < 0.02, `p99 ${s.p99}`)
  t.equal(s.max, 10)
  h.record(1_000_000, 10_000) // weighted
  t.ok(Math.abs(h.summaryMs().p99 - 1000) < 2)
})

t.test('latency histogram: a series recorded at once equals its samples recorded one by one', async t => {
  // Batches as a throttled producer sees them: n records stepUs apart, acknowledged together,
  // in the 1 µs region, across the 2 ms boundary, and in the logarithmic region.
  const cases: Array<[number, number, number]> = [
    [150.7, 0.26, 140], [2100, 0.55, 500], [2049.5, 1, 3], [40_000, 3.3, 9520], [5_000_000, 777, 1000], [12, 0, 7], [3, 1, 1],
  ]
  const one = new LatencyHistogram()
  const series = new LatencyHistogram()
  for (const [hi, step, n] of cases) {
    for (let i = 0; i < n; i++) one.record(hi - i * step)
    series.recordSeries(hi, step, n)
  }
  t.equal(series.count, one.count, 'count')
  t.ok(Math.abs(series.sumUs - one.sumUs) < 1e-6 * one.sumUs, 'sum')
  t.equal(series.maxUs, one.maxUs, 'max')
  t.equal(series.minUs, one.minUs, 'min')
  for (const q of [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1]) t.equal(series.quantileUs(q), one.quantileUs(q), `quantile ${q}`)
})

t.test('argument numbers', async t => {
  t.equal(parseNumber('10m'), 10_000_000)
  t.equal(parseNumber('1MiB'), 1048576)
  t.equal(parseNumber('16KiB'), 16384)
  t.equal(parseNumber('-1'), -1)
  t.equal(parseNumber('2_000'), 2000)
})

t.test('sinks answer Produce requests in order', async t => {
  // file-roll with 2.5 MiB segments: two 1 MiB requests per file, so 20 requests fill 10 files.
  const files = { ack: 0, file: 1, 'file-sync': 1, 'file-roll': 10 }
  for (const kind of ['ack', 'file', 'file-sync', 'file-roll'] as const) {
    const sink = await startSink(kind, 'localhost', 5 << 19)
    const conn = await RawConnection.open('localhost', sink.port)
    const source = await BatchSource.create({ recordSize: 100, batchBytes: 1 << 20, compression: Compression.None })
    const enc = new ProduceEncoder(9, 't', 1, 1)
    const ids: number[] = []
    await Promise.all(
      Array.from({ length: 20 }, () => {
        const id = conn.correlationId()
        return conn.request(enc.chunks(0, id, [source.full]), id).then(frame => {
          ids.push(frame.readInt32BE(0))
          t.same(decodeResponse(ApiKey.Produce, 9, frame).body.responses, [])
        })
      }),
    )
    t.same(ids, [...ids].sort((a, b) => a - b), `${kind} sink answers in order`)
    t.same(sink.stats().frames, 20)
    t.equal(sink.stats().files, files[kind], `${kind}: ${files[kind]} files`)
    conn.close()
    await sink.close()
  }
})

t.test('profile reader maps through source maps', async t => {
  // One generated line, two functions, mapped to lines 10 and 20 of a.ts.
  const map = { version: 3, sources: ['file:///x/src/a.ts'], names: [], mappings: 'AASA,UAUA' }
  const sm = new SourceMap(map)
  t.same(sm.lookup(0, 12), { source: 'file:///x/src/a.ts', line: 19, col: 0 })
  const url = 'file:///x/src/a.js'
  const profile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 }, children: [2] },
      { id: 2, callFrame: { functionName: 'outer', url, lineNumber: 0, columnNumber: 0 }, children: [3] },
      { id: 3, callFrame: { functionName: 'inner', url, lineNumber: 0, columnNumber: 10 } },
    ],
    startTime: 0,
    endTime: 4000,
    samples: [3, 3, 2, 3],
    timeDeltas: [1000, 1000, 1000, 1000],
    $sourceMaps: { [url]: `data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}` },
  }
  const r = analyseProfile(profile, 5)
  t.equal(r.topSelf[0]!.name, 'inner')
  t.match(r.topSelf[0]!.where, /a\.ts:20$/)
  const outer = r.topTotal.find(e => e.name === 'outer')
  t.equal(outer, undefined, 'paths outside src/ and scripts/ are not project code')
})

t.test('a throttled run leaves the warm-up records out of the latency figures', async t => {
  const sink = await startSink('ack')
  const base = { host: 'localhost', port: sink.port, topic: 't', partitions: 1, numRecords: 0, durationMs: 600, recordSize: 100, throughput: 10_000, acks: 1, batchBytes: 16384, lingerMs: 0, maxInFlight: 5, compression: 'none', skipSetup: true, apiVersion: 9, log: () => {} }
  const all = await runProducer(base)
  const measured = await runProducer({ ...base, warmupMs: 300 })
  await sink.close()
  t.equal(all.latency.count, all.records, 'without warm-up every acknowledged record is measured')
  t.equal(measured.warmupMs, 300)
  t.ok(measured.records >= 5000, `records are still sent and counted (${measured.records})`)
  // Records arrive every 100 us: the first 300 ms hold 3,000 of them.
  t.ok(Math.abs(measured.latency.count - (measured.records - 3000)) <= 5, `latency counts the records after 300 ms (${measured.latency.count} of ${measured.records})`)
})

t.test('runs taken in pieces combine into one result', async t => {
  const piece = (records: number, seconds: number, p99: number, errors: Record<string, number> = {}) => ({
    records,
    seconds,
    recordsPerSec: records / seconds,
    mibPerSec: (records * 100) / 2 ** 20 / seconds,
    wireMibPerSec: 1,
    requests: records / 10,
    requestsPerSec: records / 10 / seconds,
    batchRecords: 10,
    batchBytes: 1000,
    requestBytes: 1100,
    apiVersion: 9,
    latency: { count: records, avg: p99 / 2, p50: p99 / 4, p95: p99 / 2, p99, p999: p99 * 2, max: p99 * 3 },
    warmupMs: 0,
    errors,
  })
  const c = combineProduceRuns([piece(1000, 1, 2, { NOT_LEADER_OR_FOLLOWER: 3 }), piece(3000, 2, 1, { NOT_LEADER_OR_FOLLOWER: 1 })])
  t.equal(c.records, 4000)
  t.equal(c.seconds, 3)
  t.equal(c.recordsPerSec, 4000 / 3, 'records/s over the pieces together, not an average of rates')
  t.equal(c.requestsPerSec, 400 / 3)
  t.equal(c.latency.count, 4000)
  t.equal(c.latency.avg, 0.625, 'average weighted by records')
  t.equal(c.latency.p99, 2, 'the highest piece percentile')
  t.same(c.errors, { NOT_LEADER_OR_FOLLOWER: 4 })
  t.throws(() => combineProduceRuns([]))
})

t.test('the relay forwards every record from the source to the destination connection', async t => {
  const relay = await startRelay()
  // 300 records at 2,000/s take 150 ms; those sent in the first 50 ms (about 100) are warm-up.
  const r = await runRelayLatency({ host: 'localhost', port: relay.port, numRecords: 300, rate: 2000, warmupMs: 50 })
  t.equal(r.records, 300, 'all records arrive')
  t.ok(r.latency.count > 0 && r.latency.count < 300 - 50, `the warm-up records are not measured (${r.latency.count} measured)`)
  t.ok(r.latency.p50 > 0 && r.latency.p50 < 1000, `a plausible latency (${r.latency.p50} ms)`)
  t.equal(relay.stats().bytes, 300 * 8)
  await relay.close()
})

t.test('end-to-end latency sees every record through a long-poll fetch and leaves the warm-up out', async t => {
  const broker = await startTempBroker()
  t.teardown(() => broker.destroy())
  const o = { host: 'localhost', port: broker.port, topic: 'e2e', numRecords: 300, rate: 2000, acks: 1, recordSize: 100, maxWaitMs: 500, timeoutMs: 20_000 }
  const all = await runE2e({ ...o, warmupMs: 0 })
  t.equal(all.records, 300, 'every record is seen')
  t.equal(all.latency.count, 300, 'without warm-up every record is measured')
  t.equal(all.produceLatency.count, 300)
  // 300 records at 2,000/s take 150 ms; those sent in the first 50 ms (about 100) are warm-up.
  const r = await runE2e({ ...o, warmupMs: 50 })
  t.equal(r.records, 300, 'the second run starts at the log end and sees its own 300 records')
  t.equal(r.measured, r.latency.count)
  t.ok(r.measured > 0 && r.measured < 250, `the warm-up records are not measured (${r.measured} measured)`)
  t.equal(r.latencyAll.count, 300, 'the every-record figures keep the warm-up')
  t.ok(r.latencyAll.max >= r.latency.max, 'and so reach at least as high')
  t.ok(r.latency.p99 > 0 && r.latency.p99 < 1000, `a plausible latency (${r.latency.p99} ms)`)
})

t.test('--broker-config reaches the broker a tool starts', async t => {
  t.same(parseBrokerConfig('log.segment.bytes=2147483647, num.partitions=3,'), { 'log.segment.bytes': '2147483647', 'num.partitions': '3' })
  t.same(parseBrokerConfig(undefined), {})
  t.throws(() => parseBrokerConfig('num.partitions'), /expected key=value/)
  const partitions = await withTarget({ 'broker-config': 'num.partitions=3', 'host-mode': 'inline' }, async target => {
    const admin = new Kafka({ brokers: [target.bootstrap], logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    try {
      await admin.createTopics({ topics: [{ topic: 'defaults' }], waitForLeaders: true })
      const md = await admin.fetchTopicMetadata({ topics: ['defaults'] })
      return md.topics[0]!.partitions.length
    } finally {
      await admin.disconnect()
    }
  }, () => {})
  t.equal(partitions, 3, 'a topic created without a count has num.partitions partitions')
  await t.rejects(withTarget({ bootstrap: 'localhost:1', 'broker-config': 'num.partitions=3' }, async () => 0), /not one given with --bootstrap/)
})

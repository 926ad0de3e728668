// Build/decode round trips for every codec, codec edge cases, xerial snappy, and
// interop with kafkajs's own record-batch encoder and decoder.
import t, { type Test } from 'tap'
import { createRequire } from 'node:module'
import snappy from 'snappy'
import {
  BATCH_HEADER_SIZE,
  BatchField,
  Compression,
  ControlRecordType,
  RecordBatchError,
  RecordErrorCode,
  XERIAL_SNAPPY_MAGIC,
  buildBatch,
  buildBatchSync,
  buildEndTxnMarkerBatch,
  compress,
  compressSync,
  decodeBatchRecords,
  decodeBatchRecordsSync,
  decodeControlRecordKey,
  decodeEndTxnMarkerValue,
  decompress,
  decompressSync,
  isControlBatch,
  isTransactional,
  readBatchHeader,
  splitBatches,
  updateBatchCrc,
  validateBatchForAppend,
  verifyBatchCrc,
  type BuildRecord,
  type Record as BatchRecord,
} from './index.js'

const require = createRequire(import.meta.url)

function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
function randomBytes(r: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256)
  return b
}
/** Compressible but not trivial: words from a small alphabet. */
function wordy(r: () => number, n: number): Buffer {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'ümlaut', '🚀', 'x']
  const parts: string[] = []
  let len = 0
  while (len < n) {
    const w = words[Math.floor(r() * words.length)] + ' '
    parts.push(w)
    len += Buffer.byteLength(w)
  }
  return Buffer.from(parts.join('')).subarray(0, n)
}

async function errCode(p: Promise<unknown> | (() => unknown)): Promise<number | string> {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (err) {
    return err instanceof RecordBatchError ? err.errorCode : `not a RecordBatchError: ${String(err)}`
  }
  return 'no error'
}

const CODECS = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]
const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

function makeRecords(r: () => number, n: number, baseTs: number): BuildRecord[] {
  const out: BuildRecord[] = []
  for (let i = 0; i < n; i++) {
    const headers = []
    const hc = Math.floor(r() * 4)
    for (let h = 0; h < hc; h++) {
      headers.push({ key: h === 2 ? 'ключ-🔑' : `h${h}`, value: r() < 0.2 ? null : randomBytes(r, Math.floor(r() * 20)) })
    }
    out.push({
      key: r() < 0.2 ? null : wordy(r, 1 + Math.floor(r() * 30)),
      value: r() < 0.1 ? null : r() < 0.5 ? wordy(r, Math.floor(r() * 500)) : randomBytes(r, Math.floor(r() * 200)),
      headers,
      // Deltas can be negative (out-of-order timestamps) and large.
      timestamp: baseTs + Math.floor((r() - 0.3) * 2 ** 36),
    })
  }
  return out
}

function expectRecords(t: Test, got: BatchRecord[], want: BuildRecord[], baseOffset: number, baseTs: number, what: string): void {
  t.equal(got.length, want.length, `${what}: count`)
  let bad = 0
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!
    const w = want[i]!
    const ok =
      g.offset === baseOffset + (w.offsetDelta ?? i) &&
      g.offsetDelta === (w.offsetDelta ?? i) &&
      g.timestamp === (w.timestamp ?? baseTs) &&
      g.timestampDelta === (w.timestamp ?? baseTs) - baseTs &&
      g.attributes === 0 &&
      sameBytes(g.key, w.key ?? null) &&
      sameBytes(g.value, w.value ?? null) &&
      g.headers.length === (w.headers ?? []).length &&
      g.headers.every((h, j) => h.key === w.headers![j]!.key && sameBytes(h.value, w.headers![j]!.value))
    if (!ok) {
      bad++
      if (bad < 3) t.fail(`${what}: record ${i} differs`, { got: g, want: w })
    }
  }
  t.equal(bad, 0, `${what}: every record matches`)
}
function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b)
}

t.test('compress/decompress every codec', async (t) => {
  const r = rng(10)
  for (const codec of CODECS) {
    for (const data of [Buffer.alloc(0), Buffer.from('x'), wordy(r, 100_000), randomBytes(r, 70_000)]) {
      const c = await compress(codec, data)
      t.ok((await decompress(codec, c)).equals(data), `${NAMES[codec]} async ${data.length}`)
      if (codec !== Compression.Zstd) {
        const cs = compressSync(codec, data)
        t.ok(decompressSync(codec, cs).equals(data), `${NAMES[codec]} sync ${data.length}`)
        t.ok(decompressSync(codec, c).equals(data), `${NAMES[codec]} async-compressed read sync`)
      }
    }
    if (codec !== Compression.None) {
      const junk = Buffer.from('definitely not compressed data, definitely not')
      t.equal(await errCode(decompress(codec, junk)), RecordErrorCode.CorruptMessage, `${NAMES[codec]} junk async`)
      if (codec !== Compression.Zstd) {
        t.equal(await errCode(() => decompressSync(codec, junk)), RecordErrorCode.CorruptMessage, `${NAMES[codec]} junk sync`)
      }
    }
  }
  t.equal(compressSync(Compression.Snappy, Buffer.from('abc')).subarray(0, 8).equals(XERIAL_SNAPPY_MAGIC), false, 'snappy writes raw blocks')
  t.equal(await errCode(compress(7, Buffer.from('a'))), RecordErrorCode.CorruptMessage, 'unknown codec')
  t.equal(await errCode(decompress(5, Buffer.from('a'))), RecordErrorCode.CorruptMessage, 'unknown codec')
  t.throws(() => compressSync(Compression.Zstd, Buffer.from('a')), /zstd/)
  t.throws(() => decompressSync(Compression.Zstd, Buffer.from('a')), /zstd/)
  t.equal((await compress(Compression.Gzip, wordy(r, 5000), 1)).length > 0, true, 'gzip level')
})

t.test('xerial-framed snappy is read', async (t) => {
  const r = rng(11)
  const data = wordy(r, 200_000)
  const xerial = (chunks: Buffer[]): Buffer => {
    const head = Buffer.alloc(16)
    XERIAL_SNAPPY_MAGIC.copy(head)
    head.writeInt32BE(1, 8)
    head.writeInt32BE(1, 12)
    const parts: Buffer[] = [head]
    for (const c of chunks) {
      const block = snappy.compressSync(c)
      const len = Buffer.alloc(4)
      len.writeInt32BE(block.length)
      parts.push(len, block)
    }
    return Buffer.concat(parts)
  }
  const framed = xerial([data.subarray(0, 32768), data.subarray(32768, 65536), data.subarray(65536)])
  t.ok((await decompress(Compression.Snappy, framed)).equals(data), 'async, three blocks')
  t.ok(decompressSync(Compression.Snappy, framed).equals(data), 'sync, three blocks')
  t.equal((await decompress(Compression.Snappy, xerial([]))).length, 0, 'no blocks')
  t.equal(await errCode(decompress(Compression.Snappy, framed.subarray(0, framed.length - 5))), RecordErrorCode.CorruptMessage, 'cut short')

  // A whole batch whose records section is xerial-framed (as the Java client sends).
  const records = makeRecords(r, 50, 1_700_000_000_000)
  records[0]!.timestamp = 1_700_000_000_000
  const plain = buildBatchSync({ baseOffset: 40, records })
  const section = plain.subarray(BATCH_HEADER_SIZE)
  const body = xerial([section.subarray(0, 1000), section.subarray(1000)])
  const batch = Buffer.concat([plain.subarray(0, BATCH_HEADER_SIZE), body])
  batch.writeInt32BE(batch.length - 12, BatchField.BatchLength)
  batch.writeInt16BE(Compression.Snappy, BatchField.Attributes)
  updateBatchCrc(batch)
  t.ok(verifyBatchCrc(batch))
  expectRecords(t, await decodeBatchRecords(batch), records, 40, 1_700_000_000_000, 'xerial batch async')
  expectRecords(t, decodeBatchRecordsSync(batch), records, 40, 1_700_000_000_000, 'xerial batch sync')
})

t.test('build → split → header → decode, every codec', async (t) => {
  const r = rng(12)
  const baseTs = 1_700_000_000_000
  const built: Buffer[] = []
  const wants: BuildRecord[][] = []
  for (const codec of CODECS) {
    const records = makeRecords(r, 300, baseTs)
    records[0]!.timestamp = baseTs // the first record's timestamp is the batch's baseTimestamp
    const opts = {
      baseOffset: 1000 * codec,
      partitionLeaderEpoch: 4,
      compression: codec,
      producerId: 77,
      producerEpoch: 2,
      baseSequence: 1000 * codec,
      records,
    }
    const batch = await buildBatch(opts)
    if (codec !== Compression.Zstd) {
      t.ok(buildBatchSync(opts).equals(batch), `${NAMES[codec]}: sync and async builds agree`)
    } else {
      t.throws(() => buildBatchSync(opts), /zstd/)
    }
    t.ok(verifyBatchCrc(batch), `${NAMES[codec]}: CRC`)
    const h = readBatchHeader(batch)
    t.equal(h.attributes & 7, codec)
    t.equal(h.recordCount, 300)
    t.equal(h.lastOffsetDelta, 299)
    t.equal(h.baseTimestamp, baseTs)
    t.equal(h.maxTimestamp, Math.max(...records.map((x) => x.timestamp!)))
    t.equal(h.batchLength, batch.length - 12)
    t.equal(await errCode(() => validateBatchForAppend(batch, splitBatches(batch)[0]!, { maxBatchBytes: 1e7, fromClient: true })), 'no error')
    expectRecords(t, await decodeBatchRecords(batch), records, 1000 * codec, baseTs, `${NAMES[codec]} async`)
    if (codec !== Compression.Zstd) {
      expectRecords(t, decodeBatchRecordsSync(batch), records, 1000 * codec, baseTs, `${NAMES[codec]} sync`)
    } else {
      t.throws(() => decodeBatchRecordsSync(batch), /zstd/)
    }
    built.push(batch)
    wants.push(records)
  }
  // All five in one blob, as a produce request or a segment holds them.
  const all = Buffer.concat(built)
  const slices = splitBatches(all)
  t.equal(slices.length, 5)
  for (let i = 0; i < 5; i++) {
    t.equal(slices[i]!.size, built[i]!.length)
    expectRecords(t, await decodeBatchRecords(all, slices[i]), wants[i]!, 1000 * i, baseTs, `slice ${i}`)
  }
})

t.test('record edge cases', async (t) => {
  // Empty batch (what compaction can leave behind).
  for (const codec of [Compression.None, Compression.Gzip, Compression.Zstd]) {
    const empty = await buildBatch({ baseOffset: 5, compression: codec, records: [], lastOffsetDelta: 3 })
    const h = readBatchHeader(empty)
    t.equal(h.recordCount, 0)
    t.equal(h.lastOffsetDelta, 3)
    t.equal(h.baseTimestamp, -1)
    t.same(await decodeBatchRecords(empty), [])
  }
  // Offset gaps, defaults, extreme values.
  const recs: BuildRecord[] = [
    { value: Buffer.from('a'), offsetDelta: 0 },
    { key: Buffer.alloc(0), value: Buffer.alloc(0), offsetDelta: 7 },
    { key: Buffer.alloc(70_000, 1), value: null, offsetDelta: 2 ** 31 - 1, headers: [{ key: '', value: Buffer.alloc(0) }] },
  ]
  const b = buildBatchSync({ baseOffset: 2 ** 50, baseTimestamp: 2 ** 52, records: recs })
  const h = readBatchHeader(b)
  t.equal(h.lastOffsetDelta, 2 ** 31 - 1)
  t.equal(h.maxTimestamp, 2 ** 52)
  const d = decodeBatchRecordsSync(b)
  expectRecords(t, d, recs, 2 ** 50, 2 ** 52, 'gaps')
  t.equal(d[2]!.offset, 2 ** 50 + 2 ** 31 - 1)

  // Decoded records do not alias the input unless asked to.
  const src = buildBatchSync({ baseTimestamp: 1, records: [{ value: Buffer.from('hello') }] })
  const copy = decodeBatchRecordsSync(src)
  const view = decodeBatchRecordsSync(src, undefined, { zeroCopy: true })
  src.fill(0x21, BATCH_HEADER_SIZE + 4)
  t.equal(copy[0]!.value!.toString(), 'hello', 'default copies')
  t.not(view[0]!.value!.toString(), 'hello', 'zeroCopy aliases')

  // Malformed record sections (CRC fixed up so only the records are wrong).
  const good = buildBatchSync({ baseTimestamp: 1, records: [{ value: Buffer.from('abc') }, { value: Buffer.from('def') }] })
  const mutate = (f: (x: Buffer) => Buffer): Buffer => {
    const x = f(Buffer.from(good))
    x.writeInt32BE(x.length - 12, BatchField.BatchLength)
    updateBatchCrc(x)
    return x
  }
  t.equal(await errCode(() => decodeBatchRecordsSync(mutate((x) => { x[61] = 0x7e; return x }))), RecordErrorCode.InvalidRecord, 'record length too long')
  t.equal(await errCode(() => decodeBatchRecordsSync(mutate((x) => { x[61] = 0x02; return x }))), RecordErrorCode.InvalidRecord, 'record length too short')
  t.equal(await errCode(() => decodeBatchRecordsSync(mutate((x) => Buffer.concat([x, Buffer.from([0])])))), RecordErrorCode.InvalidRecord, 'trailing bytes')
  t.equal(await errCode(() => decodeBatchRecordsSync(mutate((x) => { x.writeInt32BE(3, BatchField.RecordCount); return x }))), RecordErrorCode.InvalidRecord, 'count too high')
  t.equal(await errCode(() => decodeBatchRecordsSync(mutate((x) => x.subarray(0, x.length - 1)))), RecordErrorCode.InvalidRecord, 'cut')
  const gz = await buildBatch({ compression: Compression.Gzip, baseTimestamp: 1, records: [{ value: Buffer.from('abc') }] })
  gz[gz.length - 10]! ^= 0xff
  t.equal(await errCode(decodeBatchRecords(gz)), RecordErrorCode.CorruptMessage, 'corrupt gzip')
  t.equal(await errCode(decodeBatchRecords(good.subarray(0, 50))), RecordErrorCode.CorruptMessage, 'short header')
  const legacyMagic = Buffer.from(good)
  legacyMagic[16] = 1
  t.equal(await errCode(decodeBatchRecords(legacyMagic)), RecordErrorCode.UnsupportedForMessageFormat)
})

t.test('transaction markers', async (t) => {
  const m = buildEndTxnMarkerBatch({ producerId: 12, producerEpoch: 3, commit: true, coordinatorEpoch: 9, timestamp: 1234, baseOffset: 88 })
  const h = readBatchHeader(m)
  t.ok(isControlBatch(h.attributes))
  t.ok(isTransactional(h.attributes))
  t.equal(h.producerId, 12)
  t.equal(h.producerEpoch, 3)
  const [rec] = decodeBatchRecordsSync(m)
  t.same(decodeControlRecordKey(rec!.key), { version: 0, type: ControlRecordType.Commit })
  t.same(decodeEndTxnMarkerValue(rec!.value), { version: 0, coordinatorEpoch: 9 })
  t.equal(rec!.offset, 88)
  t.equal(rec!.timestamp, 1234)
  const abort = buildEndTxnMarkerBatch({ producerId: 12, producerEpoch: 3, commit: false, coordinatorEpoch: 9, timestamp: 1 })
  t.equal(decodeControlRecordKey(decodeBatchRecordsSync(abort)[0]!.key).type, ControlRecordType.Abort)
  t.equal(await errCode(() => decodeControlRecordKey(Buffer.alloc(2))), RecordErrorCode.InvalidRecord)
})

t.test('kafkajs interop', async (t) => {
  const Long = require('kafkajs/src/utils/long.js')
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js')
  const KRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js')
  const RecordBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder.js')
  const KDecoder = require('kafkajs/src/protocol/decoder.js')
  const { Codecs, Types } = require('kafkajs/src/protocol/message/compression/index.js')
  const saved = { ...Codecs }
  t.teardown(() => Object.assign(Codecs, saved))
  // kafkajs's plug-in codec shape, built on our compress/decompress.
  const plugin = (codec: number) => () => ({
    compress: async (encoder: { buffer: Buffer }) => compress(codec, encoder.buffer),
    decompress: async (buffer: Buffer) => decompress(codec, buffer),
  })
  Codecs[Types.Snappy] = plugin(Compression.Snappy)
  Codecs[Types.LZ4] = plugin(Compression.Lz4)
  Codecs[Types.ZSTD] = plugin(Compression.Zstd)

  const r = rng(13)
  const baseTs = 1_650_000_000_000
  for (const codec of CODECS) {
    // kafkajs headers are an object of string/Buffer values (no nulls), one value or an array.
    const msgs = Array.from({ length: 120 }, (_, i) => ({
      key: i % 7 === 0 ? null : Buffer.from(`key-${i}`),
      value: i % 11 === 0 ? null : wordy(r, Math.floor(r() * 300)),
      headers: i % 3 === 0 ? {} : { trace: Buffer.from(`t${i}`), multi: [Buffer.from('x'), Buffer.from('y')] },
      timestamp: baseTs + i * 3 - (i % 5),
    }))
    const krecords = msgs.map((m, i) => KRecord({ offsetDelta: i, timestampDelta: m.timestamp - baseTs, key: m.key, value: m.value, headers: m.headers }))
    const encoder = await RecordBatch({
      compression: codec,
      firstOffset: Long.fromNumber(0),
      firstTimestamp: baseTs,
      maxTimestamp: baseTs + 400,
      partitionLeaderEpoch: 0,
      lastOffsetDelta: msgs.length - 1,
      producerId: Long.fromNumber(4242),
      producerEpoch: 1,
      firstSequence: 17,
      records: krecords,
    })
    const batch: Buffer = encoder.buffer
    const slices = splitBatches(batch)
    t.equal(slices.length, 1, `${NAMES[codec]}: one batch`)
    t.ok(verifyBatchCrc(batch), `${NAMES[codec]}: kafkajs CRC verifies`)
    t.equal(await errCode(() => validateBatchForAppend(batch, slices[0]!, { maxBatchBytes: 1e7, fromClient: true })), 'no error')
    const h = slices[0]!.header
    t.same([h.attributes & 7, h.producerId, h.producerEpoch, h.baseSequence, h.recordCount, h.baseTimestamp], [codec, 4242, 1, 17, 120, baseTs])
    const want: BuildRecord[] = msgs.map((m) => ({
      key: m.key,
      value: m.value,
      timestamp: m.timestamp,
      headers: Object.entries(m.headers).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((value) => ({ key: k, value }))),
    }))
    expectRecords(t, await decodeBatchRecords(batch), want, 0, baseTs, `kafkajs ${NAMES[codec]} → ours`)

    // And the other way: our batch through kafkajs's decoder.
    const ours = await buildBatch({ baseOffset: 500, compression: codec, records: want, producerId: 4242, producerEpoch: 1, baseSequence: 17 })
    const decoded = await RecordBatchDecoder(new KDecoder(ours))
    t.equal(decoded.records.length, 120)
    let bad = 0
    decoded.records.forEach((k: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: object }, i: number) => {
      const m = msgs[i]!
      const ok =
        k.offset === String(500 + i) &&
        k.timestamp === String(m.timestamp) &&
        sameBytes(k.key, m.key) &&
        sameBytes(k.value, m.value) &&
        JSON.stringify(k.headers) === JSON.stringify(m.headers)
      if (!ok) bad++
    })
    t.equal(bad, 0, `ours ${NAMES[codec]} → kafkajs`)
  }
})

// Checksums, varints, batch headers, in-place edits, split/scan/validate and legacy message sets.
import fs from 'node:fs'
import t from 'tap'
import zlib from 'node:zlib'
import snappy from 'snappy'
import CRC32 from 'crc-32'
import {
  BATCH_HEADER_SIZE,
  BatchField,
  Compression,
  RecordBatchError,
  RecordErrorCode,
  RecordsCursor,
  TimestampType,
  XERIAL_SNAPPY_MAGIC,
  batchCompression,
  batchSizeAt,
  batchTimestampType,
  buildBatchSync,
  computeBatchCrc,
  crc32,
  crc32Js,
  nativeCrc32,
  crc32c,
  crc32cJs,
  nativeCrc32c,
  crc32cAddon,
  crcImplementation,
  decodeBatchRecordsSync,
  decodeLegacyMessageSet,
  hasDeleteHorizon,
  isControlBatch,
  isTransactional,
  readBatchHeader,
  scanBatches,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  sizeOfZigzagVarint,
  sizeOfZigzagVarlong,
  splitBatches,
  updateBatchCrc,
  validateBatchForAppend,
  verifyBatchCrc,
  writeZigzagVarint,
  writeZigzagVarlong,
  type BuildBatchOptions,
} from './index.js'

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

function code(fn: () => unknown): number | string {
  try {
    fn()
  } catch (err) {
    return err instanceof RecordBatchError ? err.errorCode : `not a RecordBatchError: ${String(err)}`
  }
  return 'no error'
}

function smallBatch(extra: Partial<BuildBatchOptions> = {}, n = 3): Buffer {
  const records = Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`k${i}`),
    value: i === 1 ? null : Buffer.from(`value-${i}`),
    timestamp: 1_700_000_000_000 + i * 10,
    headers: [{ key: 'h', value: Buffer.from([i]) }],
  }))
  return buildBatchSync({ baseOffset: 0, records, ...extra })
}

t.test('CRC-32C and CRC-32: vectors, cross-check, incremental', async (t) => {
  const nine = Buffer.from('123456789')
  // `npm install` builds the addon; on an x86-64 CPU with SSE4.2 (every CI machine) it must load.
  const addonExpected = fs.existsSync(new URL('../../../build/Release/millrace_native.node', import.meta.url)) && process.arch === 'x64'
  t.equal(crcImplementation, addonExpected ? 'addon' : 'native', 'the fastest implementation built here is the one in use')
  const crc32cNative = nativeCrc32c()
  const crc32Native = nativeCrc32()
  t.ok(crc32cNative, 'native crc32c available')
  const impls: Array<[string, (b: Uint8Array, i?: number) => number]> = [['js', crc32cJs], ['default', crc32c]]
  if (crc32cNative) impls.push(['native', crc32cNative])
  if (crc32cAddon) impls.push(['addon', crc32cAddon])
  for (const [name, f] of impls) {
    t.equal(f(nine), 0xe3069283, `${name} crc32c("123456789")`)
    t.equal(f(Buffer.alloc(0)), 0, `${name} crc32c of nothing`)
    t.equal(f(Buffer.alloc(32)), 0x8a9136aa, `${name} crc32c of 32 zero bytes`)
    t.equal(f(Buffer.alloc(32, 0xff)), 0x62a8ab43, `${name} crc32c of 32 0xff bytes`)
    t.equal(f(Buffer.from('56789'), f(Buffer.from('1234'))), 0xe3069283, `${name} incremental`)
  }
  t.equal(crc32Js(nine), 0xcbf43926, 'js crc32 ieee')
  t.equal(crc32(nine), 0xcbf43926, 'default crc32 ieee')
  if (crc32Native) t.equal(crc32Native(nine), 0xcbf43926, 'native crc32 ieee')

  const r = rng(1)
  for (let i = 0; i < 60; i++) {
    const buf = randomBytes(r, Math.floor(r() * 5000))
    const js = crc32cJs(buf)
    if (crc32cNative) t.equal(crc32cNative(buf), js, `random buffer ${i} (${buf.length} bytes) native == js`)
    t.ok(js >= 0 && js <= 0xffffffff, 'unsigned')
    // Incremental over three random cut points, both implementations.
    const a = Math.floor(r() * buf.length)
    const b = a + Math.floor(r() * (buf.length - a))
    for (const [, f] of impls) {
      t.equal(f(buf.subarray(b), f(buf.subarray(a, b), f(buf.subarray(0, a)))), js, 'pieces give the whole')
    }
    if (crc32Native) t.equal(crc32Native(buf), crc32Js(buf), 'crc32 native == js')
  }

  // The addon joins three interleaved streams in blocks of 3 x 8 KiB and 3 x 256 bytes after
  // aligning to 8 bytes: every length around those edges, at every alignment, from any start value.
  if (crc32cAddon) {
    const addon = crc32cAddon
    const big = randomBytes(r, 3 * 8192 * 2 + 3 * 256 + 64)
    let mismatches = 0
    let checked = 0
    const lengths = [0, 1, 7, 8, 9, 767, 768, 769, 775, 776, 24575, 24576, 24577, 24576 + 768, 24576 + 775, 49152, 49152 + 769]
    for (const len of lengths) {
      for (let off = 0; off < 9; off++) {
        const buf = big.subarray(off, off + len)
        const seed = Math.floor(r() * 0x100000000)
        checked++
        if (addon(buf, seed) !== crc32cJs(buf, seed)) mismatches++
      }
    }
    t.equal(mismatches, 0, `addon == js for ${checked} lengths x alignments x start values`)
    t.equal(addon(Buffer.alloc(1 << 20, 0x5a)), crc32cJs(Buffer.alloc(1 << 20, 0x5a)), 'addon == js on 1 MiB')
    t.throws(() => (addon as (x: unknown) => number)('not bytes'), TypeError, 'addon refuses a non-Uint8Array')
  }
})

t.test('zig-zag varints and varlongs', async (t) => {
  const ref = (v: bigint): Buffer => {
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n))
    const out: number[] = []
    while (u >= 0x80n) {
      out.push(Number(u & 0x7fn) | 0x80)
      u >>= 7n
    }
    out.push(Number(u))
    return Buffer.from(out)
  }
  const buf = Buffer.alloc(16)
  t.same([...buf.subarray(0, writeZigzagVarint(buf, 0, 300))], [0xd8, 0x04], '300')
  t.same([...buf.subarray(0, writeZigzagVarint(buf, 0, -1))], [0x01], '-1')
  const ints = [0, 1, -1, 63, -64, 64, -65, 8191, -8192, 8192, 2 ** 31 - 1, -(2 ** 31)]
  const r = rng(2)
  for (let i = 0; i < 200; i++) ints.push(Math.floor((r() - 0.5) * 2 ** 32) | 0)
  for (const v of ints) {
    const end = writeZigzagVarint(buf, 0, v)
    t.equal(end, sizeOfZigzagVarint(v))
    t.same(buf.subarray(0, end), ref(BigInt(v)))
    const c = new RecordsCursor(buf, 0, end)
    t.equal(c.varint(), v)
    t.equal(c.pos, end)
  }
  const longs = [0, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 40 + 7, -(2 ** 40) - 7, 1_700_000_000_123, -1_700_000_000_123,
    Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53, -(2 ** 53)]
  for (let i = 0; i < 300; i++) longs.push(Math.round((r() - 0.5) * 2 ** Math.floor(r() * 54)))
  for (const v of longs) {
    const end = writeZigzagVarlong(buf, 0, v)
    t.equal(end, sizeOfZigzagVarlong(v), `size of ${v}`)
    t.same(buf.subarray(0, end), ref(BigInt(v)), `bytes of ${v}`)
    t.equal(new RecordsCursor(buf, 0, end).varlong(), v, `read ${v}`)
  }
  // Bounds and over-long encodings.
  t.equal(code(() => new RecordsCursor(Buffer.from([0x80, 0x80])).varint()), RecordErrorCode.InvalidRecord)
  t.equal(code(() => new RecordsCursor(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).varint()), RecordErrorCode.InvalidRecord)
  t.equal(code(() => new RecordsCursor(Buffer.alloc(11, 0x80)).varlong()), RecordErrorCode.InvalidRecord)
  t.equal(code(() => new RecordsCursor(Buffer.from([0x08, 1, 2])).varintBytes()), RecordErrorCode.InvalidRecord)
  t.equal(code(() => new RecordsCursor(Buffer.from([0x03])).varintBytes()), RecordErrorCode.InvalidRecord, 'length -2')
  t.equal(new RecordsCursor(Buffer.from([0x01])).varintBytes(), null, 'length -1 is null')
})

t.test('header fields, attributes and CRC', async (t) => {
  const batch = smallBatch({
    baseOffset: 2 ** 45 + 17,
    partitionLeaderEpoch: 7,
    producerId: 2 ** 40 + 5,
    producerEpoch: 3,
    baseSequence: 99,
    transactional: true,
    compression: Compression.Gzip,
  })
  const h = readBatchHeader(batch)
  t.same(h, {
    baseOffset: 2 ** 45 + 17,
    batchLength: batch.length - 12,
    partitionLeaderEpoch: 7,
    magic: 2,
    crc: batch.readUInt32BE(17),
    attributes: Compression.Gzip | 0x10,
    lastOffsetDelta: 2,
    baseTimestamp: 1_700_000_000_000,
    maxTimestamp: 1_700_000_000_020,
    producerId: 2 ** 40 + 5,
    producerEpoch: 3,
    baseSequence: 99,
    recordCount: 3,
  })
  t.equal(batchCompression(h.attributes), Compression.Gzip)
  t.ok(isTransactional(h.attributes))
  t.notOk(isControlBatch(h.attributes))
  t.notOk(hasDeleteHorizon(h.attributes))
  t.equal(batchTimestampType(h.attributes), TimestampType.CreateTime)
  t.equal(computeBatchCrc(batch, 0, batch.length), h.crc)

  const plain = readBatchHeader(smallBatch())
  t.equal(plain.producerId, -1, 'defaults: producerId -1')
  t.equal(plain.producerEpoch, -1)
  t.equal(plain.baseSequence, -1)
  t.equal(plain.partitionLeaderEpoch, -1)
  const ctl = readBatchHeader(smallBatch({ control: true, timestampType: TimestampType.LogAppendTime, deleteHorizon: true }))
  t.ok(isControlBatch(ctl.attributes))
  t.ok(hasDeleteHorizon(ctl.attributes))
  t.equal(batchTimestampType(ctl.attributes), TimestampType.LogAppendTime)

  t.equal(code(() => readBatchHeader(batch.subarray(0, 60))), RecordErrorCode.CorruptMessage, 'short header')
  t.equal(code(() => readBatchHeader(batch, batch.length - 60)), RecordErrorCode.CorruptMessage, 'short header at pos')
  t.equal(batchSizeAt(batch.subarray(0, 11), 0), -1)
  t.equal(batchSizeAt(batch.subarray(0, 12), 0), batch.length)
  t.equal(batchSizeAt(Buffer.concat([Buffer.alloc(5), batch]), 5), batch.length)

  // Any flipped byte covered by the CRC is detected.
  t.ok(verifyBatchCrc(batch))
  let undetected = 0
  for (let i = BatchField.Attributes; i < batch.length; i++) {
    for (const mask of [0x01, 0x80]) {
      batch[i]! ^= mask
      if (verifyBatchCrc(batch)) undetected++
      batch[i]! ^= mask
    }
  }
  t.equal(undetected, 0, 'every flip after the CRC field is detected')
  // The stored CRC itself.
  batch[BatchField.Crc + 2]! ^= 0x10
  t.notOk(verifyBatchCrc(batch))
  batch[BatchField.Crc + 2]! ^= 0x10
  t.notOk(verifyBatchCrc(batch.subarray(0, batch.length - 1)), 'incomplete batch')
  t.ok(verifyBatchCrc(Buffer.concat([Buffer.from('xyz'), batch]), 3), 'at an offset')

  // In-place edits outside the CRC.
  setBaseOffset(batch, 0, 2 ** 52 + 3)
  setPartitionLeaderEpoch(batch, 0, 123456)
  t.ok(verifyBatchCrc(batch), 'still valid after setBaseOffset/setPartitionLeaderEpoch')
  t.equal(readBatchHeader(batch).baseOffset, 2 ** 52 + 3)
  t.equal(readBatchHeader(batch).partitionLeaderEpoch, 123456)
  setBaseOffset(batch, 0, 0)
  t.equal(readBatchHeader(batch).baseOffset, 0)
  setBaseOffset(batch, 0, -1)
  t.equal(readBatchHeader(batch).baseOffset, -1)
})

t.test('setLogAppendTime', async (t) => {
  const batch = smallBatch({ baseOffset: 50 })
  const before = readBatchHeader(batch)
  setLogAppendTime(batch, 0, 1_800_000_000_000)
  t.ok(verifyBatchCrc(batch), 'CRC recomputed')
  const h = readBatchHeader(batch)
  t.equal(batchTimestampType(h.attributes), TimestampType.LogAppendTime)
  t.equal(h.maxTimestamp, 1_800_000_000_000)
  t.equal(h.baseTimestamp, before.baseTimestamp, 'baseTimestamp untouched')
  t.equal(h.attributes & ~0x08, before.attributes, 'other attributes untouched')
  const recs = decodeBatchRecordsSync(batch)
  t.same(recs.map((r) => r.timestamp), [1_800_000_000_000, 1_800_000_000_000, 1_800_000_000_000])
  t.same(recs.map((r) => r.offset), [50, 51, 52])
  t.equal(code(() => setLogAppendTime(batch.subarray(0, 70), 0, 1)), RecordErrorCode.CorruptMessage)
})

t.test('splitBatches is strict', async (t) => {
  const a = smallBatch({ baseOffset: 0 })
  const b = smallBatch({ baseOffset: 3, compression: Compression.Snappy }, 5)
  const c = smallBatch({ baseOffset: 8, compression: Compression.Lz4 }, 1)
  const all = Buffer.concat([a, b, c])
  const slices = splitBatches(all)
  t.same(slices.map((s) => [s.pos, s.size]), [[0, a.length], [a.length, b.length], [a.length + b.length, c.length]])
  t.same(slices.map((s) => s.header.recordCount), [3, 5, 1])
  t.same(slices.map((s) => s.header.baseOffset), [0, 3, 8])
  t.same(splitBatches(Buffer.alloc(0)), [])

  // Every truncation is refused, except at a batch boundary.
  const two = Buffer.concat([a, b])
  for (let cut = 1; cut < two.length; cut++) {
    if (cut === a.length) {
      t.equal(splitBatches(two.subarray(0, cut)).length, 1)
      continue
    }
    const c2 = code(() => splitBatches(two.subarray(0, cut)))
    if (c2 !== RecordErrorCode.CorruptMessage) t.fail(`cut at ${cut}: ${c2}`)
  }
  t.pass('all truncations refused')
  const r = rng(3)
  t.equal(code(() => splitBatches(Buffer.concat([a, randomBytes(r, 20)]))), RecordErrorCode.CorruptMessage, 'garbage tail')
  t.equal(code(() => splitBatches(Buffer.concat([a, Buffer.alloc(100)]))), RecordErrorCode.CorruptMessage, 'zero tail')
  const badMagic = Buffer.from(a)
  badMagic[16] = 3
  t.equal(code(() => splitBatches(badMagic)), RecordErrorCode.CorruptMessage, 'magic 3')
  const shortLen = Buffer.from(a)
  shortLen.writeInt32BE(48, 8)
  t.equal(code(() => splitBatches(shortLen)), RecordErrorCode.CorruptMessage, 'batchLength 48')
  const negLen = Buffer.from(a)
  negLen.writeInt32BE(-5, 8)
  t.equal(code(() => splitBatches(negLen)), RecordErrorCode.CorruptMessage, 'negative batchLength')
})

t.test('scanBatches stops and says why', async (t) => {
  const a = smallBatch({ baseOffset: 0 })
  const b = smallBatch({ baseOffset: 3 }, 4)
  const good = Buffer.concat([a, b])
  const ok = scanBatches(good)
  t.equal(ok.batches.length, 2)
  t.equal(ok.validBytes, good.length)
  t.equal(ok.stopReason, undefined)
  t.equal(ok.stopCode, undefined)
  t.same(scanBatches(Buffer.alloc(0)), { batches: [], validBytes: 0 })

  const badCrc = Buffer.concat([a, b, a])
  badCrc[a.length + 70]! ^= 0xff
  let s = scanBatches(badCrc)
  t.equal(s.batches.length, 1)
  t.equal(s.validBytes, a.length)
  t.equal(s.stopCode, 'bad-crc')
  t.match(s.stopReason, /CRC/)

  const badMagic = Buffer.concat([a, b])
  badMagic[a.length + 16] = 1
  s = scanBatches(badMagic)
  t.equal(s.validBytes, a.length)
  t.equal(s.stopCode, 'bad-magic')
  t.match(s.stopReason, /magic 1/)

  for (const tail of [10, 30, 61, b.length - 1]) {
    s = scanBatches(Buffer.concat([a, b.subarray(0, tail)]))
    t.equal(s.validBytes, a.length, `short tail of ${tail}`)
    t.equal(s.stopCode, 'short-tail')
    t.type(s.stopReason, 'string')
  }

  s = scanBatches(Buffer.concat([a, b, Buffer.alloc(4096)]))
  t.equal(s.batches.length, 2)
  t.equal(s.validBytes, a.length + b.length)
  t.equal(s.stopCode, 'zero-tail')
  t.match(s.stopReason, /zero/)
  t.equal(scanBatches(Buffer.concat([a, Buffer.alloc(7)])).stopCode, 'zero-tail', 'short zero tail')

  const badLen = Buffer.concat([a, b])
  badLen.writeInt32BE(20, a.length + 8)
  t.equal(scanBatches(badLen).stopCode, 'bad-length')
  s = scanBatches(good, { maxBatchBytes: a.length })
  t.equal(s.validBytes, a.length, 'maxBatchBytes')
  t.equal(s.stopCode, 'bad-length')
})

t.test('validateBatchForAppend', async (t) => {
  const opts = { maxBatchBytes: 1 << 20 }
  const validate = (buf: Buffer, o: { maxBatchBytes: number; fromClient?: boolean } = opts) =>
    code(() => validateBatchForAppend(buf, splitBatches(buf)[0]!, o))
  const good = smallBatch({ producerId: 5, producerEpoch: 0, baseSequence: 0 })
  t.equal(validate(good), 'no error')
  t.equal(validate(good, { maxBatchBytes: good.length }), 'no error', 'exactly the maximum')
  t.equal(validate(good, { maxBatchBytes: good.length - 1 }), RecordErrorCode.MessageTooLarge)
  t.equal(validate(smallBatch({ compression: Compression.Gzip }, 10), { maxBatchBytes: 100, fromClient: true }), RecordErrorCode.MessageTooLarge)

  const bad = Buffer.from(good)
  bad[bad.length - 1]! ^= 1
  t.equal(validate(bad), RecordErrorCode.CorruptMessage, 'CRC')

  const edit = (f: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(good)
    f(b)
    updateBatchCrc(b)
    return b
  }
  t.equal(validate(edit((b) => b.writeInt32BE(4, BatchField.RecordCount))), RecordErrorCode.InvalidRecord, 'count != lastOffsetDelta+1')
  t.equal(validate(edit((b) => b.writeInt32BE(-1, BatchField.LastOffsetDelta))), RecordErrorCode.InvalidRecord, 'negative lastOffsetDelta')
  t.equal(
    validate(edit((b) => { b.writeInt32BE(0, BatchField.RecordCount); b.writeInt32BE(-1, BatchField.LastOffsetDelta) })),
    RecordErrorCode.InvalidRecord,
    'no records',
  )
  t.equal(
    validate(edit((b) => { b.writeInt32BE(1000, BatchField.RecordCount); b.writeInt32BE(999, BatchField.LastOffsetDelta) })),
    RecordErrorCode.InvalidRecord,
    'more records than bytes',
  )
  t.equal(validate(edit((b) => b.writeInt16BE(5, BatchField.Attributes))), RecordErrorCode.CorruptMessage, 'codec 5')

  // Client-only rules.
  const ctl = smallBatch({ control: true, transactional: true, producerId: 1, producerEpoch: 0 }, 1)
  t.equal(validate(ctl), 'no error')
  t.equal(validate(ctl, { ...opts, fromClient: true }), RecordErrorCode.InvalidRecord, 'control from a client')
  const noSeq = smallBatch({ producerId: 9, producerEpoch: 0, baseSequence: -1 })
  t.equal(validate(noSeq), 'no error')
  t.equal(validate(noSeq, { ...opts, fromClient: true }), RecordErrorCode.InvalidRecord, 'producer id without sequence')
  t.equal(validate(smallBatch(), { ...opts, fromClient: true }), 'no error', 'plain producer')

  // A slice that does not match the buffer.
  const slice = splitBatches(good)[0]!
  t.equal(code(() => validateBatchForAppend(good.subarray(0, 70), slice, opts)), RecordErrorCode.CorruptMessage)
  t.equal(code(() => validateBatchForAppend(good, { ...slice, header: { ...slice.header, magic: 3 } }, opts)), RecordErrorCode.CorruptMessage)
})

// ---- legacy v0/v1 message sets, built by hand ----

function legacyMessage(o: { offset: number; magic: 0 | 1; attributes?: number; timestamp?: number; key: Buffer | null; value: Buffer | null }): Buffer {
  const body: Buffer[] = [Buffer.from([o.magic, o.attributes ?? 0])]
  if (o.magic === 1) {
    const ts = Buffer.alloc(8)
    ts.writeBigInt64BE(BigInt(o.timestamp ?? -1))
    body.push(ts)
  }
  for (const b of [o.key, o.value]) {
    const len = Buffer.alloc(4)
    len.writeInt32BE(b === null ? -1 : b.length)
    body.push(len)
    if (b) body.push(b)
  }
  const rest = Buffer.concat(body)
  const head = Buffer.alloc(16)
  head.writeBigInt64BE(BigInt(o.offset), 0)
  head.writeInt32BE(4 + rest.length, 8)
  head.writeUInt32BE(CRC32.buf(rest) >>> 0, 12)
  return Buffer.concat([head, rest])
}

t.test('legacy message sets', async (t) => {
  const v0 = Buffer.concat([
    legacyMessage({ offset: 10, magic: 0, key: Buffer.from('a'), value: Buffer.from('one') }),
    legacyMessage({ offset: 11, magic: 0, key: null, value: Buffer.from('two') }),
    legacyMessage({ offset: 12, magic: 0, key: Buffer.from('c'), value: null }),
  ])
  const m0 = decodeLegacyMessageSet(v0)
  t.same(
    m0.map((m) => [m.offset, m.magic, m.attributes, m.timestamp, m.key?.toString() ?? null, m.value?.toString() ?? null]),
    [[10, 0, 0, -1, 'a', 'one'], [11, 0, 0, -1, null, 'two'], [12, 0, 0, -1, 'c', null]],
  )

  const v1 = Buffer.concat([
    legacyMessage({ offset: 2 ** 40, magic: 1, timestamp: 1_600_000_000_000, key: Buffer.from('k'), value: Buffer.from('v') }),
    legacyMessage({ offset: 2 ** 40 + 1, magic: 1, timestamp: -1, key: null, value: Buffer.alloc(0) }),
  ])
  const m1 = decodeLegacyMessageSet(v1)
  t.same(m1.map((m) => [m.offset, m.magic, m.timestamp, m.key?.toString() ?? null, m.value?.length]), [
    [2 ** 40, 1, 1_600_000_000_000, 'k', 1],
    [2 ** 40 + 1, 1, -1, null, 0],
  ])

  // v1 gzip wrapper: inner offsets relative, wrapper offset = last inner's absolute offset.
  const inner1 = Buffer.concat([0, 1, 2].map((i) =>
    legacyMessage({ offset: i, magic: 1, timestamp: 1_000 + i, key: null, value: Buffer.from(`g${i}`) })))
  const gz = legacyMessage({ offset: 102, magic: 1, attributes: Compression.Gzip, timestamp: 1_002, key: null, value: zlib.gzipSync(inner1) })
  t.same(decodeLegacyMessageSet(gz).map((m) => [m.offset, m.timestamp, m.value?.toString()]), [
    [100, 1_000, 'g0'], [101, 1_001, 'g1'], [102, 1_002, 'g2'],
  ])
  const gzLat = legacyMessage({ offset: 102, magic: 1, attributes: Compression.Gzip | 0x08, timestamp: 5_000, key: null, value: zlib.gzipSync(inner1) })
  t.same(decodeLegacyMessageSet(gzLat).map((m) => m.timestamp), [5_000, 5_000, 5_000], 'LogAppendTime wrapper')

  // v0 xerial-snappy wrapper (what the Java client sent): inner offsets already absolute.
  const inner0 = Buffer.concat([7, 8].map((o) => legacyMessage({ offset: o, magic: 0, key: null, value: Buffer.from(`s${o}`) })))
  const header = Buffer.alloc(16)
  XERIAL_SNAPPY_MAGIC.copy(header)
  header.writeInt32BE(1, 8)
  header.writeInt32BE(1, 12)
  const block = snappy.compressSync(inner0)
  const len = Buffer.alloc(4)
  len.writeInt32BE(block.length)
  const sn = legacyMessage({ offset: 8, magic: 0, attributes: Compression.Snappy, key: null, value: Buffer.concat([header, len, block]) })
  t.same(decodeLegacyMessageSet(Buffer.concat([v0, sn])).map((m) => m.offset), [10, 11, 12, 7, 8])

  // Corruption and truncation.
  const bad = Buffer.from(v0)
  bad[27]! ^= 1
  t.equal(code(() => decodeLegacyMessageSet(bad)), RecordErrorCode.CorruptMessage, 'bad CRC')
  t.equal(decodeLegacyMessageSet(bad, { verifyCrc: false }).length, 3, 'CRC not checked')
  const cut = v0.subarray(0, v0.length - 3)
  t.equal(code(() => decodeLegacyMessageSet(cut)), RecordErrorCode.CorruptMessage, 'truncated')
  t.equal(decodeLegacyMessageSet(cut, { allowTruncatedTail: true }).length, 2, 'truncated tail allowed')
  t.equal(code(() => decodeLegacyMessageSet(smallBatch())), RecordErrorCode.CorruptMessage, 'a v2 batch is not legacy')

  // The produce path refuses them with UNSUPPORTED_FOR_MESSAGE_FORMAT.
  for (const set of [v0, v1, gz]) {
    const slices = splitBatches(set)
    t.equal(slices[0]!.header.magic, set === v0 ? 0 : 1)
    t.equal(code(() => validateBatchForAppend(set, slices[0]!, { maxBatchBytes: 1e6 })), RecordErrorCode.UnsupportedForMessageFormat)
  }
  t.equal(splitBatches(Buffer.concat([v0, smallBatch()])).length, 4, 'mixed legacy and v2')
  t.equal(BATCH_HEADER_SIZE, 61)
})

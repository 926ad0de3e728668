// Every generated codec at every version: seeded random values valid for that version are encoded,
// decoded and compared (absent fields normalized to their defaults), then re-encoded to the same
// bytes. Then the header rules, tagged-field skipping and the ignorable/non-ignorable rules.
import t from 'tap'
import { DecodeError, EncodeError, Reader, Writer } from './codec/index.js'
import * as generated from './generated/index.js'
import { API_CODECS, ApiKey, RequestHeaderSchema, ResponseHeaderSchema } from './generated/index.js'
import type { SchemaCodec } from './codec/index.js'
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, frameRequest, requestHeaderVersion, responseHeaderVersion } from './protocol.js'
import { allSchemas, firstDifference, parseVersions, randomMessage, Rng } from './random-messages.js'

const VALUES_PER_VERSION = 10

type Read = (r: Reader, version: number) => unknown
type Write = (w: Writer, version: number, m: never) => void

function encode(write: Write, version: number, value: unknown): Buffer {
  const w = new Writer(64)
  write(w, version, value as never)
  return w.toBuffer()
}

/** Round-trips VALUES_PER_VERSION random values; returns a description of each failure. */
function roundTrip(name: string, version: number, read: Read, write: Write, seedBase: number): string[] {
  const failures: string[] = []
  for (let i = 0; i < VALUES_PER_VERSION; i++) {
    const seed = (seedBase * 1000 + version * 31 + i) >>> 0
    const { input, expected } = randomMessage(name, version, new Rng(seed))
    try {
      const bytes = encode(write, version, input)
      const r = new Reader(bytes)
      const got = read(r, version)
      if (r.pos !== bytes.length) failures.push(`seed ${seed}: decoding stopped at ${r.pos} of ${bytes.length} bytes`)
      const diff = firstDifference(got, expected)
      if (diff) failures.push(`seed ${seed}: ${diff}`)
      const again = encode(write, version, got)
      if (!again.equals(bytes)) failures.push(`seed ${seed}: re-encoding the decoded value gives different bytes`)
    } catch (err) {
      failures.push(`seed ${seed}: ${(err as Error).stack}`)
    }
  }
  return failures
}

function hashName(s: string): number {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return h >>> 0
}

t.test('every API: requests and responses at every version', async t => {
  const schemas = new Map(allSchemas().map(s => [s.name, s]))
  let combos = 0
  for (const api of API_CODECS.values()) {
    const req = schemas.get(`${api.name}Request`)!
    const res = schemas.get(`${api.name}Response`)!
    const valid = parseVersions(req.valid)
    if (!req || !res || api.minVersion !== valid.lo || api.maxVersion !== valid.hi) t.fail(`${api.name}: codec and schema versions differ`)
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      const f1 = roundTrip(req.name, v, api.readRequest, api.writeRequest as Write, hashName(req.name))
      const f2 = roundTrip(res.name, v, api.readResponse, api.writeResponse as Write, hashName(res.name))
      if (f1.length || f2.length) t.fail(`${api.name} v${v}`, { failures: [...f1, ...f2].slice(0, 5) })
      combos += 2
    }
  }
  t.ok(API_CODECS.size >= 80, `${API_CODECS.size} APIs`)
  t.pass(`${combos} request/response versions round-trip (${combos * VALUES_PER_VERSION} values)`)
})

t.test('every header, data, metadata and internal-topic schema at every version', async t => {
  let combos = 0
  const codecs = generated as unknown as Record<string, SchemaCodec<unknown> | undefined>
  for (const s of allSchemas()) {
    if (s.kind === 'request' || s.kind === 'response') continue
    const codec = codecs[`${s.name}Schema`]
    if (!codec) {
      t.fail(`no codec for ${s.name}`)
      continue
    }
    const valid = parseVersions(s.valid)
    if (codec.minVersion !== valid.lo || codec.maxVersion !== valid.hi) t.fail(`${s.name}: codec and schema versions differ`)
    for (let v = codec.minVersion; v <= codec.maxVersion; v++) {
      const f = roundTrip(s.name, v, codec.read, codec.write as Write, hashName(s.name))
      if (f.length) t.fail(`${s.name} v${v}`, { failures: f.slice(0, 5) })
      combos++
    }
  }
  t.ok(combos > 70, `${combos} schema versions round-trip (${combos * VALUES_PER_VERSION} values)`)
})

t.test('request headers v0, v1, v2', async t => {
  const hdr = { requestApiKey: 3, requestApiVersion: 9, correlationId: 0x01020304, clientId: 'cli' }
  const v0 = encode(RequestHeaderSchema.write as Write, 0, hdr)
  t.same([...v0], [0, 3, 0, 9, 1, 2, 3, 4], 'v0: key, version, correlation id')
  const v1 = encode(RequestHeaderSchema.write as Write, 1, hdr)
  t.same([...v1], [0, 3, 0, 9, 1, 2, 3, 4, 0, 3, 0x63, 0x6c, 0x69], 'v1: + int16-length client id')
  const v2 = encode(RequestHeaderSchema.write as Write, 2, hdr)
  t.same([...v2], [0, 3, 0, 9, 1, 2, 3, 4, 0, 3, 0x63, 0x6c, 0x69, 0], 'v2: client id stays int16-length, then tagged fields')
  const nul = encode(RequestHeaderSchema.write as Write, 2, { ...hdr, clientId: null })
  t.same([...nul.subarray(8)], [0xff, 0xff, 0], 'a null client id is length -1 in v2 too')
  for (const [v, b] of [[0, v0], [1, v1], [2, v2]] as const) {
    const got = RequestHeaderSchema.read(new Reader(b), v)
    t.same(got, { ...hdr, clientId: v === 0 ? '' : 'cli' }, `v${v} decodes (v0 has no client id: its default, '')`)
  }

  t.equal(requestHeaderVersion(ApiKey.ControlledShutdown, 0), 0, 'ControlledShutdown v0 uses header v0')
  t.equal(requestHeaderVersion(ApiKey.Metadata, 8), 1, 'non-flexible Metadata v8 uses header v1')
  t.equal(requestHeaderVersion(ApiKey.Metadata, 9), 2, 'flexible Metadata v9 uses header v2')
  t.equal(requestHeaderVersion(ApiKey.ApiVersions, 3), 2, 'ApiVersions v3 requests use header v2')

  // Whole requests through encodeRequest / decodeRequest.
  const m8 = Buffer.concat(encodeRequest(ApiKey.Metadata, 8, { correlationId: 7, clientId: 'c' }, { topics: null }).chunks())
  t.same([...m8.subarray(0, 11)], [0, 3, 0, 8, 0, 0, 0, 7, 0, 1, 0x63], 'Metadata v8 header bytes')
  t.same([...m8.subarray(11, 15)], [0xff, 0xff, 0xff, 0xff], 'then the body: null topics as int32 -1')
  const m9 = Buffer.concat(encodeRequest(ApiKey.Metadata, 9, { correlationId: 7, clientId: 'c' }, { topics: null }).chunks())
  t.same([...m9.subarray(0, 13)], [0, 3, 0, 9, 0, 0, 0, 7, 0, 1, 0x63, 0, 0], 'Metadata v9: header tagged fields, then compact null topics')
  const d9 = decodeRequest(m9)
  t.same([d9.apiKey, d9.apiVersion, d9.header.correlationId, d9.header.clientId], [3, 9, 7, 'c'])
  t.equal((d9.body as generated.MetadataRequest).topics, null)

  // A ControlledShutdown v0 request: header v0, no client id, straight into the body.
  const cs = Buffer.concat(encodeRequest(ApiKey.ControlledShutdown, 0, { correlationId: 1, clientId: 'ignored' }, { brokerId: 5 }).chunks())
  t.same([...cs], [0, 7, 0, 0, 0, 0, 0, 1, 0, 0, 0, 5], 'ControlledShutdown v0 frame')
  const dcs = decodeRequest(cs)
  t.same([dcs.header.clientId, (dcs.body as generated.ControlledShutdownRequest).brokerId], ['', 5])

  // Unknown tags in the request header are skipped.
  const withTag = Buffer.from([0, 18, 0, 3, 0, 0, 0, 9, 0, 1, 0x78, 1, 0x21, 2, 0xaa, 0xbb, 2, 0x61, 2, 0x62, 0])
  const dv = decodeRequest(withTag)
  t.same([dv.header.correlationId, dv.header.clientId, (dv.body as generated.ApiVersionsRequest).clientSoftwareName], [9, 'x', 'a'], 'header tag 33 skipped')
})

t.test('response headers v0, v1 and the ApiVersions exception', async t => {
  t.same([...encode(ResponseHeaderSchema.write as Write, 0, { correlationId: 258 })], [0, 0, 1, 2], 'v0')
  t.same([...encode(ResponseHeaderSchema.write as Write, 1, { correlationId: 258 })], [0, 0, 1, 2, 0], 'v1')
  t.equal(responseHeaderVersion(ApiKey.Metadata, 8), 0)
  t.equal(responseHeaderVersion(ApiKey.Metadata, 9), 1)

  const body = { throttleTimeMs: 0, brokers: [], clusterId: null, controllerId: 1, topics: [] }
  const r8 = Buffer.concat(encodeResponse(ApiKey.Metadata, 8, { correlationId: 5 }, body))
  t.equal(r8.readInt32BE(0), r8.length - 4, 'size prefix')
  t.same([...r8.subarray(4, 12)], [0, 0, 0, 5, 0, 0, 0, 0], 'v8: correlation id, then throttle time')
  const r9 = Buffer.concat(encodeResponse(ApiKey.Metadata, 9, { correlationId: 5 }, body))
  t.same([...r9.subarray(4, 13)], [0, 0, 0, 5, 0, 0, 0, 0, 0], 'v9: correlation id, tagged fields, then throttle time')
  t.equal(decodeResponse(ApiKey.Metadata, 9, r9.subarray(4)).body.controllerId, 1)

  for (let v = 0; v <= API_CODECS.get(ApiKey.ApiVersions)!.maxVersion; v++) {
    t.equal(responseHeaderVersion(ApiKey.ApiVersions, v), 0, `ApiVersions v${v} responses use header v0`)
  }
  const av = { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }], throttleTimeMs: 0 }
  const r3 = Buffer.concat(encodeResponse(ApiKey.ApiVersions, 3, { correlationId: 5 }, av))
  // v3 body is flexible (compact array of 1 → 2, tagged fields per element), header is not.
  t.same([...r3.subarray(4)], [0, 0, 0, 5, 0, 35, 2, 0, 18, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0], 'ApiVersions v3: header v0 + flexible body')
  const back = decodeResponse(ApiKey.ApiVersions, 3, r3.subarray(4))
  t.same([back.correlationId, back.body.errorCode, back.body.apiKeys], [5, 35, av.apiKeys])
})

t.test('unknown tagged fields are skipped on read', async t => {
  const api = API_CODECS.get(ApiKey.ApiVersions)!
  // ApiVersionsRequest v3: two compact strings, then tags 7 (3 bytes) and 100 (empty).
  const req = Buffer.from([2, 0x61, 2, 0x62, 2, 7, 3, 1, 2, 3, 100, 0])
  const r = new Reader(req)
  t.same(api.readRequest(r, 3), { clientSoftwareName: 'a', clientSoftwareVersion: 'b' })
  t.equal(r.pos, req.length, 'read to the end')

  // ProduceResponse v10: an unknown tag (1) inside a partition, next to the known tag 0, and an
  // unknown tag at the top level after the known NodeEndpoints (tag 0).
  const produce = API_CODECS.get(ApiKey.Produce)!
  const w = new Writer()
  produce.writeResponse(w, 10, {
    responses: [{ name: 't', partitionResponses: [{ index: 1, errorCode: 0, baseOffset: 42, currentLeader: { leaderId: 3, leaderEpoch: 4 } }] }],
    throttleTimeMs: 0,
    nodeEndpoints: [{ nodeId: 3, host: 'h', port: 9092, rack: null }],
  })
  const plain = w.toBuffer()
  // Find the partition's tag section: "1 tag, tag 0, size 9, leaderId 3, leaderEpoch 4, 0".
  const leader = Buffer.from([1, 0, 9, 0, 0, 0, 3, 0, 0, 0, 4, 0])
  const at = plain.indexOf(leader)
  t.ok(at > 0, 'found the partition tag section')
  const patched = Buffer.concat([
    plain.subarray(0, at),
    Buffer.from([2, 0, 9, 0, 0, 0, 3, 0, 0, 0, 4, 0, 1, 2, 0xde, 0xad]),
    plain.subarray(at + leader.length, plain.length - 0),
  ])
  // The top-level section is the last one: "1 tag, tag 0, size, endpoints". Append an unknown tag 9.
  const top = patched.lastIndexOf(Buffer.from([1, 0]))
  const patched2 = Buffer.concat([patched.subarray(0, top), Buffer.from([2]), patched.subarray(top + 1), Buffer.from([9, 1, 0x55])])
  const got = produce.readResponse(new Reader(patched2), 10)
  t.same(got.responses[0].partitionResponses[0].currentLeader, { leaderId: 3, leaderEpoch: 4 }, 'known tag beside an unknown one')
  t.same(got.nodeEndpoints, [{ nodeId: 3, host: 'h', port: 9092, rack: null }], 'top-level known tag kept')

  // A nullable struct in a tagged field marks presence with an unsigned varint (0 null, 1
  // present), not the int8 -1/1 of a regular field, as Kafka's generated code writes it.
  const cg = generated.ConsumerGroupMemberMetadataValueSchema
  const value = { clientId: 'c', clientHost: 'h', subscribedTopicNames: [], rebalanceTimeoutMs: 5, serverAssignor: null, rackId: null, instanceId: null, subscribedTopicRegex: null }
  const withMeta = new Writer()
  cg.write(withMeta, 0, { ...value, classicMemberMetadata: { sessionTimeoutMs: 7, supportedProtocols: [] } })
  const wm = withMeta.toBuffer()
  // ...tags: count 1, tag 0, size 7, presence 1, sessionTimeoutMs 7, empty array (1), struct tags (0).
  t.same([...wm.subarray(wm.length - 10)], [1, 0, 7, 1, 0, 0, 0, 7, 1, 0], 'tagged nullable struct: uvarint presence 1')
  const nullMeta = Buffer.concat([wm.subarray(0, wm.length - 10), Buffer.from([1, 0, 1, 0])])
  t.equal(cg.read(new Reader(nullMeta), 0).classicMemberMetadata, null, 'tagged presence 0 reads as null')

  // A known tag whose size disagrees with its content is an error, not a misread.
  const bad = Buffer.from(patched2)
  bad[at + 2] = 10
  t.throws(() => produce.readResponse(new Reader(bad), 10), DecodeError)
})

t.test('non-ignorable fields throw EncodeError in versions that lack them; ignorable ones are dropped', async t => {
  const produce = API_CODECS.get(ApiKey.Produce)!
  const w = (): Writer => new Writer()
  t.throws(() => produce.writeRequest(w(), 2, { transactionalId: 'tx', acks: 1, timeoutMs: 1, topicData: [] }), EncodeError, 'TransactionalId in Produce v2')
  t.doesNotThrow(() => produce.writeRequest(w(), 2, { transactionalId: null, acks: 1, timeoutMs: 1, topicData: [] }), 'its default (null) is fine')
  t.throws(
    () => produce.writeResponse(w(), 9, { responses: [], nodeEndpoints: [{ nodeId: 1, host: 'h', port: 1, rack: null }] }),
    EncodeError,
    'a tagged non-ignorable field (NodeEndpoints) before its versions',
  )
  // A field with taggedVersions and no versions exists in its tagged versions (Kafka's FieldSpec).
  const txn = generated.TransactionLogValueSchema
  const txnValue = { producerId: 1, producerEpoch: 0, transactionTimeoutMs: 1, transactionStatus: 0, transactionPartitions: null, transactionLastUpdateTimestampMs: 0, transactionStartTimestampMs: 0 }
  const tw = new Writer()
  txn.write(tw, 1, { ...txnValue, previousProducerId: 7 })
  t.equal(txn.read(new Reader(tw.toBuffer()), 1).previousProducerId, 7, 'TransactionLogValue v1 carries PreviousProducerId (tag 0)')
  t.throws(() => txn.write(new Writer(), 0, { ...txnValue, previousProducerId: 7 }), EncodeError, 'and v0 refuses it')

  const metadata = API_CODECS.get(ApiKey.Metadata)!
  t.throws(() => metadata.writeRequest(w(), 0, { topics: null }), EncodeError, 'null Topics in Metadata v0 (nullable from v1)')
  t.doesNotThrow(() => metadata.writeRequest(w(), 1, { topics: null }), 'null Topics in Metadata v1')

  // ProduceResponse.ThrottleTimeMs (v1+) and LogAppendTimeMs (v2+) are ignorable.
  const body = {
    responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 5, logAppendTimeMs: 123 }] }],
    throttleTimeMs: 100,
  }
  const dropped = w()
  produce.writeResponse(dropped, 0, body)
  const plain = w()
  produce.writeResponse(plain, 0, { responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 5 }] }] })
  t.same(dropped.toBuffer(), plain.toBuffer(), 'ignorable fields vanish from v0')
  const back = produce.readResponse(new Reader(dropped.toBuffer()), 0)
  t.same([back.throttleTimeMs, back.responses[0].partitionResponses[0].logAppendTimeMs], [0, -1], 'and decode as their defaults')
})

t.test('strings, int64 and frames at their limits', async t => {
  const api = API_CODECS.get(ApiKey.FindCoordinator)!
  const long = 'x'.repeat(0x8000)
  t.throws(() => api.writeRequest(new Writer(), 0, { key: long }), EncodeError, 'a 32768-byte string cannot be written')
  t.throws(() => api.writeRequest(new Writer(), 4, { keyType: 0, coordinatorKeys: [long] }), EncodeError, 'nor as a compact string')
  const ok = 'y'.repeat(0x7fff)
  const b = new Writer()
  api.writeRequest(b, 0, { key: ok })
  t.equal(api.readRequest(new Reader(b.toBuffer()), 0).key, ok, 'a 32767-byte string round-trips')
  // A compact string claiming 32768 bytes is refused as Kafka refuses it.
  const cs = Buffer.concat([Buffer.from([0, 2, 0x81, 0x80, 0x02]), Buffer.alloc(0x8000, 0x41), Buffer.from([0])])
  t.throws(() => api.readRequest(new Reader(cs), 4), DecodeError)

  // int64s past 2^53 are numbers that hold them rounded (as the Reader makes them from the wire);
  // they are written as held, so that a request carrying one is answered rather than failing.
  const lo = API_CODECS.get(ApiKey.ListOffsets)!
  const big = (timestamp: number) => {
    const w = new Writer()
    lo.writeRequest(w, 1, { replicaId: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp }] }] })
    return lo.readRequest(new Reader(Buffer.from(w.toBuffer())), 1).topics[0].partitions[0].timestamp
  }
  t.equal(big(2 ** 60), 2 ** 60, 'int64 beyond 2^53 round-trips as the number holds it')
  t.equal(big(-(2 ** 63)), -(2 ** 63), 'down to Long.MIN_VALUE')
  t.throws(() => big(2 ** 63), EncodeError, 'but not past Long.MAX_VALUE')
  t.throws(() => big(1.5), EncodeError, 'nor a fraction')
  const framed = frameRequest(encodeRequest(ApiKey.FindCoordinator, 0, { correlationId: 1 }, { key: 'g' }))
  const all = Buffer.concat(framed)
  t.equal(all.readInt32BE(0), all.length - 4, 'frameRequest prefixes the size')
})

// The socket layer against a real broker over TCP: framing, bad input, ordering, and kafkajs.
import t, { type Test } from 'tap'
import { Kafka, logLevel } from 'kafkajs'
import { startTempBroker } from '../testing/temp-broker.js'
import { ClientConnection } from '../client/index.js'
import { ApiKey, ErrorCode, encodeRequest, frameRequest } from '../wire/index.js'
import { setLogLevel, setLogSink } from '../util/index.js'
import { FrameReader, FrameError } from './frame-reader.js'
import { Connection } from './connection.js'
import { createServer, connect, type AddressInfo, type Socket } from 'node:net'
import type { Logger } from '../util/index.js'

const logLines: string[] = []
setLogSink(line => logLines.push(line))
setLogLevel('info')

t.test('FrameReader splits, joins and refuses frames', async t => {
  const r = new FrameReader(100)
  const frame = (body: string): Buffer => {
    const b = Buffer.alloc(4 + body.length)
    b.writeInt32BE(body.length, 0)
    b.write(body, 4)
    return b
  }
  const stream = Buffer.concat([frame('hello'), frame(''), frame('world!')])
  // Every split point of the stream yields the same frames.
  for (let cut = 0; cut <= stream.length; cut++) {
    const got = [...r.push(stream.subarray(0, cut)), ...r.push(stream.subarray(cut))].map(b => b.toString())
    t.same(got, ['hello', '', 'world!'], `split at ${cut}`)
  }
  // Byte by byte.
  const got: string[] = []
  for (const byte of stream) got.push(...r.push(Buffer.from([byte])).map(b => b.toString()))
  t.same(got, ['hello', '', 'world!'])
  t.equal(r.pendingBytes, 0)
  // Random frames cut into random pieces (several frames per piece, frames over several pieces).
  let seed = 7
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0
    return seed % n
  }
  for (let round = 0; round < 200; round++) {
    const bodies = Array.from({ length: 1 + rand(12) }, (_, i) => Buffer.alloc(rand(90), `${round}.${i};`))
    const bytes = Buffer.concat(bodies.map(b => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b])))
    const reader = new FrameReader(100)
    const out: Buffer[] = []
    for (let pos = 0; pos < bytes.length; ) {
      const len = 1 + rand(120)
      out.push(...reader.push(bytes.subarray(pos, pos + len)))
      pos += len
    }
    t.same(out.map(b => b.toString('hex')), bodies.map(b => b.toString('hex')), `round ${round}`)
    t.equal(reader.pendingBytes, 0)
  }
  // After a frame that spans chunks, the frames later in the same chunk are not copied.
  const span = new FrameReader(100)
  const two = Buffer.concat([frame('spanning'), frame('after')])
  t.same(span.push(two.subarray(0, 6)), [])
  const last = two.subarray(6)
  const [joined, after] = span.push(last)
  t.equal(joined?.toString(), 'spanning')
  t.equal(after?.toString(), 'after')
  t.equal(after?.buffer, last.buffer, 'the next frame is a view of the chunk')
  t.equal(after?.byteOffset, last.byteOffset + 10, 'at its place in the chunk (after 6 bytes of the first frame and its own size)')
  t.throws(() => new FrameReader(100).push(Buffer.from([0xff, 0xff, 0xff, 0xfe])), FrameError, 'negative size')
  t.throws(() => new FrameReader(100).push(Buffer.from([0, 0, 0, 101])), FrameError, 'oversized')
})

t.test('server', async t => {
  const broker = await startTempBroker({ 'socket.request.max.bytes': String(1024 * 1024) })
  t.teardown(() => broker.destroy())
  const port = broker.port
  const open = (): Promise<ClientConnection> => ClientConnection.open('localhost', port)

  t.test('ApiVersions at every version', async t => {
    const c = await open()
    for (let v = 0; v <= 4; v++) {
      const res = await c.send(ApiKey.ApiVersions, v, { clientSoftwareName: 'millrace-test', clientSoftwareVersion: '1.0' })
      t.equal(res.errorCode, 0, `v${v} error code`)
      const own = res.apiKeys.find(k => k.apiKey === ApiKey.ApiVersions)
      t.same(own && [own.minVersion, own.maxVersion], [0, 4], `v${v} lists ApiVersions 0-4`)
    }
    const bad = await c.send(ApiKey.ApiVersions, 3, { clientSoftwareName: '-bad name-', clientSoftwareVersion: '1' })
    t.equal(bad.errorCode, ErrorCode.INVALID_REQUEST, 'bad software name gets INVALID_REQUEST')
    c.close()
  })

  t.test('a too-new ApiVersions gets the v0 fallback (KIP-511)', async t => {
    const c = await open()
    // Hand-built ApiVersions v9 request: header v2 with an empty body.
    const frame = Buffer.from([0, 0, 0, 13, 0, 18, 0, 9, 0, 0, 0, 7, 0, 1, 0x41, 0, 0])
    const got = new Promise<Buffer>(resolve => c.socket.once('data', resolve))
    c.writeRaw(frame)
    const res = await got
    t.equal(res.readInt32BE(4), 7, 'correlation id echoed (header v0)')
    t.equal(res.readInt16BE(8), ErrorCode.UNSUPPORTED_VERSION, 'error 35')
    t.equal(res.readInt32BE(10), 1, 'one api key listed')
    t.same([res.readInt16BE(14), res.readInt16BE(16), res.readInt16BE(18)], [18, 0, 4], 'ApiVersions range')
    c.close()
  })

  const closesWith = async (t: Test, bytes: Buffer, logPart: string, what: string): Promise<void> => {
    const c = await open()
    logLines.length = 0
    c.writeRaw(bytes)
    await c.waitClosed()
    t.ok(logLines.some(l => l.includes(logPart)), `${what}: log line mentions '${logPart}' (got ${JSON.stringify(logLines)})`)
  }

  t.test('bad input closes that connection with a log line; others keep working', async t => {
    const survivor = await open()
    const size = (n: number): Buffer => {
      const b = Buffer.alloc(4)
      b.writeInt32BE(n, 0)
      return b
    }
    await closesWith(t, size(-5), 'negative', 'negative size')
    await closesWith(t, size(2 * 1024 * 1024), 'socket.request.max.bytes', 'oversized frame')
    await closesWith(t, Buffer.concat([size(4), Buffer.from([0, 18, 0, 0])]), 'shorter than a request header', 'short header')
    await closesWith(t, Buffer.concat([size(8), Buffer.from([0x7f, 0x00, 0, 0, 0, 0, 0, 1])]), 'API key 32512', 'unknown API key')
    await closesWith(t, Buffer.concat([size(10), Buffer.from([0, 18, 0, 1, 0, 0, 0, 1, 0, 9])]), 'malformed ApiVersions', 'truncated client id')
    // ApiVersions v3 whose compact string claims more bytes than there are.
    await closesWith(t, Buffer.concat([size(13), Buffer.from([0, 18, 0, 3, 0, 0, 0, 2, 0xff, 0xff, 0, 0x7f, 0x41])]), 'malformed ApiVersions', 'lying length')
    const res = await survivor.send(ApiKey.ApiVersions, 2, {})
    t.equal(res.errorCode, 0, 'the other connection still gets answers')
    survivor.close()
  })

  t.test('pipelined requests are answered in order', async t => {
    const c = await open()
    const versions = [0, 1, 2, 3, 4, 2, 1, 0, 3, 3, 4, 0]
    const all = await Promise.all(versions.map(v => c.send(ApiKey.ApiVersions, v, { clientSoftwareName: 'a', clientSoftwareVersion: 'b' })))
    t.equal(all.length, versions.length)
    t.ok(all.every(r => r.errorCode === 0))
    // Many requests in one TCP write.
    const many = Buffer.concat(
      Array.from({ length: 50 }, (_, i) => Buffer.concat(frameRequest(encodeRequest(ApiKey.ApiVersions, 1, { correlationId: 1000 + i, clientId: 'x' }, {})))),
    )
    const ids = (await c.writeRawAndReadFrames(many, 50)).map(f => f.readInt32BE(0))
    t.same(ids, Array.from({ length: 50 }, (_, i) => 1000 + i))
    c.close()
  })

  t.test('a shutdown lets the answers held for the turn end leave first, then ends the socket', async t => {
    // A bare listener whose accepted socket gets a Connection serving the broker's handlers.
    const accepted = new Promise<Socket>(resolve => {
      const srv = createServer(resolve)
      srv.listen(0, 'localhost', () => {
        const client = connect((srv.address() as AddressInfo).port, 'localhost')
        t.teardown(() => {
          client.destroy()
          srv.close()
        })
        received = new Promise(done => {
          let bytes = Buffer.alloc(0)
          client.on('data', d => (bytes = Buffer.concat([bytes, d])))
          client.on('end', () => done(bytes))
        })
      })
    })
    let received!: Promise<Buffer>
    const socket = await accepted
    const log = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger
    const conn = new Connection(socket, { connectionId: 'c', clientAddress: 'test', listenerName: 'PLAINTEXT' }, broker.handlers, 1 << 20, log, () => {})
    const request = Buffer.concat(frameRequest(encodeRequest(ApiKey.ApiVersions, 3, { correlationId: 77, clientId: 'x' }, { clientSoftwareName: 'a', clientSoftwareVersion: 'b' })))
    // The request is answered at once and its answer held until the turn ends; shut down in the same turn.
    ;(conn as unknown as { onData(b: Buffer): void }).onData(request)
    await conn.shutdown()
    conn.socket.destroy() // as SocketServer.stop() does next
    const bytes = await received
    t.ok(bytes.length > 8, 'the answer arrived before the end of the stream')
    t.equal(bytes.readInt32BE(4), 77, 'with its correlation id')
  })

  t.test('kafkajs connects (ApiVersions negotiation)', async t => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } })
    const admin = kafka.admin()
    await admin.connect()
    t.pass('admin.connect() succeeded')
    await admin.disconnect()
  })
})

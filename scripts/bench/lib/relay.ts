// The machine's own floor for end-to-end latency (S5's ceiling column): a relay that forwards
// every byte from its source connections to its destination connection, in place of a broker's
// Produce → long-poll Fetch. A record makes the same two loopback hops and thread wake-ups as
// through the broker, and nothing else happens to it.
//   relay:  a connection whose first 4 bytes are "DST\n" receives; all others send.
//   client: runRelayLatency sends 8-byte records (sequence number, padding) on a fixed schedule
//           and times each from just before its write to its arrival on the destination.

import { connect, createServer, type Server, type Socket } from 'node:net'
import type { SinkServer } from './sinks.js'
import { LatencyHistogram, nowUs, type LatencySummary } from './stats.js'

const DST = Buffer.from('DST\n')
const RECORD = 8

export async function startRelay(host = 'localhost'): Promise<SinkServer> {
  let bytes = 0
  let dst: Socket | null = null
  const sockets = new Set<Socket>()
  const server: Server = createServer(socket => {
    sockets.add(socket)
    socket.setNoDelay(true)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    socket.once('data', first => {
      if (first.subarray(0, 4).equals(DST)) {
        dst = socket
        return
      }
      const forward = (chunk: Buffer): void => {
        bytes += chunk.length
        dst?.write(chunk)
      }
      forward(first)
      socket.on('data', forward)
    })
  })
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve))
  return {
    port: (server.address() as { port: number }).port,
    stats: () => ({ frames: bytes / RECORD, bytes, files: 0 }),
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
    },
  }
}

export interface RelayLatencyResult {
  records: number
  latency: LatencySummary
}

/** Sends `numRecords` records at `rate` per second through the relay; latency of those sent after the first `warmupMs`. */
export async function runRelayLatency(o: { host: string; port: number; numRecords: number; rate: number; warmupMs: number }): Promise<RelayLatencyResult> {
  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = connect(o.port, o.host, () => resolve(s))
      s.once('error', reject)
      s.setNoDelay(true)
    })
  const dst = await open()
  dst.write(DST)
  const src = await open()
  // Let the relay see the destination before the first record.
  await new Promise(r => setTimeout(r, 50))
  const sentAt = new Float64Array(o.numRecords)
  const hist = new LatencyHistogram()
  let seen = 0
  let pending = Buffer.alloc(0)
  let measuredFromUs = 0 // set when sending starts
  const done = new Promise<void>((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error(`relay: ${seen} of ${o.numRecords} records arrived`)), (o.numRecords / o.rate) * 1000 + 30_000)
    dst.on('data', chunk => {
      const now = nowUs()
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk
      let pos = 0
      for (; pending.length - pos >= RECORD; pos += RECORD) {
        const seq = pending.readUInt32BE(pos)
        if (sentAt[seq]! >= measuredFromUs) hist.record(now - sentAt[seq]!)
        seen++
      }
      pending = pending.subarray(pos)
      if (seen === o.numRecords) {
        clearTimeout(timeout)
        resolve()
      }
    })
  })
  const t0 = nowUs()
  measuredFromUs = t0 + o.warmupMs * 1000
  let sent = 0
  const tick = (): void => {
    const due = Math.min(o.numRecords, Math.floor(((nowUs() - t0) * o.rate) / 1e6) + 1)
    while (sent < due) {
      const rec = Buffer.alloc(RECORD)
      rec.writeUInt32BE(sent, 0)
      sentAt[sent++] = nowUs()
      src.write(rec)
    }
    if (sent < o.numRecords) setTimeout(tick, Math.max(0, (t0 + (sent * 1e6) / o.rate - nowUs()) / 1000))
  }
  tick()
  try {
    await done
  } finally {
    src.destroy()
    dst.destroy()
  }
  return { records: seen, latency: hist.summaryMs() }
}

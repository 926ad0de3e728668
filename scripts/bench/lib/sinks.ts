// The ceiling sinks: the least a broker could do with a producer's byte stream.
//   ack  – reads request frames and answers each with a minimal valid Produce response.
//   file – the same, but first appends every frame to a file with a positional write
//          (one writev per frame, no fsync: what acks=1 asks of a broker) and answers
//          in order once the write has completed. `sync` makes that write a writevSync on
//          the event loop instead of a request to libuv's thread pool.
//   file-roll – file-sync, plus what a Kafka log does as its segments fill: every
//          SEGMENT_BYTES (log.segment.bytes' default) it goes on in a new file and
//          fdatasyncs the finished one in the background (Kafka's roll flush).
// Frames are never copied or decoded: only the 12-byte prefix (size, key, version,
// correlation id) is read.

import { mkdtempSync, openSync, closeSync, fdatasync, rmSync, writev, writevSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiKey, encodeResponse } from '../../../src/wire/index.js'

export type SinkKind = 'ack' | 'file' | 'file-sync' | 'file-roll'

/** Where file-roll starts a new file: Kafka's default log.segment.bytes. */
export const SEGMENT_BYTES = 1 << 30

export interface SinkServer {
  readonly port: number
  /** Frames answered, bytes read, files opened (one per connection, more for file-roll). */
  stats(): { frames: number; bytes: number; files: number }
  close(): Promise<void>
}

const produceResponses = new Map<number, Buffer>()
function produceResponse(version: number, correlationId: number): Buffer {
  let tmpl = produceResponses.get(version)
  if (!tmpl) {
    tmpl = Buffer.concat(encodeResponse(ApiKey.Produce, version, { correlationId: 0 }, { responses: [], throttleTimeMs: 0 }))
    produceResponses.set(version, tmpl)
  }
  const out = Buffer.allocUnsafe(tmpl.length)
  tmpl.copy(out)
  out.writeInt32BE(correlationId, 4)
  return out
}

function apiVersionsResponse(version: number, correlationId: number): Buffer {
  const v = Math.min(version, 3)
  return Buffer.concat(
    encodeResponse(ApiKey.ApiVersions, v, { correlationId }, {
      errorCode: 0,
      apiKeys: [
        { apiKey: ApiKey.Produce, minVersion: 3, maxVersion: 11 },
        { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 },
      ],
      throttleTimeMs: 0,
    }),
  )
}

interface Slot {
  done: boolean
  response: Buffer
}

export async function startSink(kind: SinkKind, host = 'localhost', segmentBytes = SEGMENT_BYTES): Promise<SinkServer> {
  let frames = 0
  let bytes = 0
  const dir = kind !== 'ack' ? mkdtempSync(join(tmpdir(), 'millrace-sink-')) : null
  let fileSeq = 0
  const sockets = new Set<Socket>()
  const fds = new Set<number>()

  const server: Server = createServer(socket => {
    sockets.add(socket)
    socket.setNoDelay(true)
    const hdr = Buffer.alloc(12)
    let hdrFilled = 0
    let remaining = 0
    let apiKey = 0
    let version = 0
    let correlationId = 0
    let pieces: Buffer[] = []
    let fd = -1
    let position = 0
    const slots: Slot[] = []
    const openNext = (): void => {
      fd = openSync(join(dir!, `${fileSeq++}.log`), 'w')
      fds.add(fd)
      position = 0
    }
    if (dir) openNext()
    /** file-roll: a new file, and the finished one fsynced in the background, then closed. */
    const roll = (): void => {
      const finished = fd
      openNext()
      fdatasync(finished, () => {
        // close() may have closed it already, at the end of the run.
        if (!fds.delete(finished)) return
        closeSync(finished)
      })
    }

    const respond = (): Buffer | null => {
      if (apiKey === ApiKey.Produce) return produceResponse(version, correlationId)
      if (apiKey === ApiKey.ApiVersions) return apiVersionsResponse(version, correlationId)
      socket.destroy()
      return null
    }
    const flush = (): void => {
      let i = 0
      socket.cork()
      while (i < slots.length && slots[i]!.done) socket.write(slots[i++]!.response)
      socket.uncork()
      if (i) slots.splice(0, i)
    }
    const frameDone = (): void => {
      frames++
      const response = respond()
      if (!response) return
      if (fd < 0) {
        socket.write(response)
        return
      }
      const slot: Slot = { done: false, response }
      slots.push(slot)
      const size = hdr.readInt32BE(0) + 4
      if (kind === 'file-roll' && position > 0 && position + size > segmentBytes) roll()
      const at = position
      position += size
      if (kind === 'file-sync' || kind === 'file-roll') {
        try {
          const done = writevSync(fd, pieces, at)
          if (done < size) writevSync(fd, [Buffer.concat(pieces).subarray(done)], at + done)
        } catch (err) {
          socket.destroy(err as Error)
          return
        }
        slot.done = true
        if (slots[0] === slot) flush()
        return
      }
      writev(fd, pieces, at, err => {
        if (err) {
          socket.destroy(err)
          return
        }
        slot.done = true
        if (slots[0] === slot) flush()
      })
    }

    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      let pos = 0
      socket.cork()
      while (pos < chunk.length) {
        if (hdrFilled < 12) {
          const take = Math.min(12 - hdrFilled, chunk.length - pos)
          chunk.copy(hdr, hdrFilled, pos, pos + take)
          hdrFilled += take
          pos += take
          if (hdrFilled < 12) break
          const size = hdr.readInt32BE(0)
          apiKey = hdr.readInt16BE(4)
          version = hdr.readInt16BE(6)
          correlationId = hdr.readInt32BE(8)
          remaining = size - 8
          if (fd >= 0) pieces = [Buffer.from(hdr)]
        }
        const take = Math.min(remaining, chunk.length - pos)
        if (fd >= 0 && take > 0) pieces.push(chunk.subarray(pos, pos + take))
        remaining -= take
        pos += take
        if (remaining === 0) {
          frameDone()
          hdrFilled = 0
        }
      }
      socket.uncork()
    })
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      sockets.delete(socket)
      if (fd >= 0) {
        const f = fd
        fd = -1
        // Let writes still in the thread pool finish before closing.
        setTimeout(() => {
          if (fds.delete(f)) closeSync(f)
        }, 200)
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => resolve())
  })
  const port = (server.address() as { port: number }).port
  return {
    port,
    stats: () => ({ frames, bytes, files: fileSeq }),
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
      await new Promise(resolve => setTimeout(resolve, 250))
      for (const f of fds) closeSync(f)
      if (dir) rmSync(dir, { recursive: true, force: true }) // one file per connection: quick
    },
  }
}

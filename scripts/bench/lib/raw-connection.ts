// A pipelined Kafka connection for load generation: requests go out as prebuilt byte chunks
// (one vectored write, nothing copied), responses come back in order and are matched by
// correlation id. The socket reads into one reused buffer, and its bytes are copied once into a
// reused receive buffer, so a response frame handed to a callback is only valid until that
// callback returns.

import { connect, type Socket } from 'node:net'

const READ_BUFFER_BYTES = 1 << 20

export type FrameCallback = (frame: Buffer | null, err?: Error) => void

interface Pending {
  correlationId: number
  cb: FrameCallback
}

export class RawConnection {
  private nextId = 1
  private queue: Pending[] = []
  private head = 0
  private recv: Buffer
  private start = 0
  private end = 0
  private error: Error | null = null
  bytesOut = 0
  bytesIn = 0

  private constructor(readonly socket: Socket, initialBuffer: number) {
    this.recv = Buffer.alloc(initialBuffer) // reused for the whole run
    socket.setNoDelay(true)
    socket.on('error', err => this.fail(err))
    socket.on('close', () => this.fail(new Error('connection closed by peer')))
  }

  static open(host: string, port: number, initialBuffer = 4 * 1024 * 1024): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      // Reads land in one buffer reused for every read, not a new 64 KiB Buffer each (Node's
      // default): on this VM memory touched for the first time costs more than the copy out of it.
      const readBuffer = Buffer.alloc(READ_BUFFER_BYTES)
      let conn: RawConnection | null = null
      const socket = connect({
        host,
        port,
        onread: {
          buffer: readBuffer,
          callback: (n: number, buf: Uint8Array) => {
            conn?.onData(buf.subarray(0, n) as Buffer)
            return true
          },
        },
      })
      socket.once('connect', () => {
        socket.off('error', reject)
        conn = new RawConnection(socket, initialBuffer)
        resolve(conn)
      })
      socket.once('error', reject)
    })
  }

  get inFlight(): number {
    return this.queue.length - this.head
  }

  get failed(): Error | null {
    return this.error
  }

  /** A fresh correlation id for the next request. */
  correlationId(): number {
    const id = this.nextId
    this.nextId = (this.nextId + 1) & 0x7fffffff || 1
    return id
  }

  /**
   * Writes one request (its chunks, size prefix included, already carrying `correlationId`).
   * `cb` gets the response frame (without its size), or null when `expectResponse` is false.
   */
  send(chunks: Buffer[], correlationId: number, cb: FrameCallback | null): boolean {
    if (this.error) {
      cb?.(null, this.error)
      return false
    }
    if (cb) this.queue.push({ correlationId, cb })
    const s = this.socket
    let ok = true
    s.cork()
    for (const c of chunks) {
      ok = s.write(c)
      this.bytesOut += c.length
    }
    s.uncork()
    return ok
  }

  /** Promise form of {@link send}; the frame is copied so it outlives the callback. */
  request(chunks: Buffer[], correlationId: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.send(chunks, correlationId, (frame, err) => (frame ? resolve(Buffer.from(frame)) : reject(err)))
    })
  }

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length
    const need = this.end + chunk.length
    if (need > this.recv.length) {
      const live = this.end - this.start
      if (live + chunk.length <= this.recv.length) {
        this.recv.copy(this.recv, 0, this.start, this.end)
      } else {
        const bigger = Buffer.alloc(Math.max(this.recv.length * 2, live + chunk.length))
        this.recv.copy(bigger, 0, this.start, this.end)
        this.recv = bigger
      }
      this.start = 0
      this.end = live
    }
    chunk.copy(this.recv, this.end)
    this.end += chunk.length
    while (this.end - this.start >= 4) {
      const size = this.recv.readInt32BE(this.start)
      if (this.end - this.start < 4 + size) break
      const frame = this.recv.subarray(this.start + 4, this.start + 4 + size)
      this.start += 4 + size
      const p = this.queue[this.head]
      if (!p) {
        this.fail(new Error('response with no request outstanding'))
        this.socket.destroy()
        return
      }
      this.queue[this.head++] = undefined as unknown as Pending
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head)
        this.head = 0
      }
      const id = frame.readInt32BE(0)
      if (id !== p.correlationId) {
        this.fail(new Error(`response correlation id ${id}, expected ${p.correlationId}`))
        this.socket.destroy()
        return
      }
      p.cb(frame)
    }
    if (this.start === this.end) this.start = this.end = 0
  }

  private fail(err: Error): void {
    if (this.error) return
    this.error = err
    const pending = this.queue.slice(this.head)
    this.queue = []
    this.head = 0
    for (const p of pending) p.cb(null, err)
  }

  close(): void {
    this.fail(new Error('connection closed'))
    this.socket.destroy()
  }
}

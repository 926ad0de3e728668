// A minimal Kafka protocol client connection: typed requests over one socket, responses matched
// by correlation id. Used by tests, benchmarks and (later) by nodes talking to each other.

import { connect, type Socket } from 'node:net'
import {
  decodeResponse,
  encodeRequest,
  frameRequest,
  type ApiKeyNumber,
  type RequestTypes,
  type ResponseTypes,
} from '../wire/index.js'

interface Pending {
  apiKey: number
  apiVersion: number
  resolve: (frame: Buffer) => void
  reject: (err: Error) => void
}

export class ClientConnection {
  private nextCorrelationId = 1
  private readonly pending = new Map<number, Pending>()
  private chunks: Buffer[] = []
  private buffered = 0
  private closedError: Error | null = null

  private constructor(
    readonly socket: Socket,
    readonly clientId: string,
  ) {
    socket.setNoDelay(true)
    socket.on('data', chunk => this.onData(chunk))
    socket.on('error', err => this.fail(err))
    socket.on('close', () => this.fail(new Error('connection closed')))
  }

  static open(host: string, port: number, clientId = 'millrace-client'): Promise<ClientConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port })
      socket.once('connect', () => {
        socket.off('error', reject)
        resolve(new ClientConnection(socket, clientId))
      })
      socket.once('error', reject)
    })
  }

  get closed(): boolean {
    return this.closedError !== null
  }

  /** Resolves when the server closes the connection. */
  waitClosed(): Promise<void> {
    if (this.closed) return Promise.resolve()
    return new Promise(resolve => this.socket.once('close', () => resolve()))
  }

  private fail(err: Error): void {
    if (!this.closedError) this.closedError = err
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    for (;;) {
      if (this.buffered < 4) return
      if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)]
      const buf = this.chunks[0]
      const size = buf.readInt32BE(0)
      if (this.buffered < 4 + size) return
      const frame = buf.subarray(4, 4 + size)
      const rest = buf.subarray(4 + size)
      this.chunks = rest.length ? [rest] : []
      this.buffered = rest.length
      const correlationId = frame.readInt32BE(0)
      const p = this.pending.get(correlationId)
      if (!p) {
        this.fail(new Error(`response with unknown correlation id ${correlationId}`))
        this.socket.destroy()
        return
      }
      this.pending.delete(correlationId)
      p.resolve(frame)
    }
  }

  /** Sends raw bytes as they are (tests use this for malformed input). */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes)
  }

  /**
   * Sends raw bytes and resolves with the next `count` response frames (without their size
   * prefix) as they arrive; for tests that pipeline hand-made requests. The connection's own
   * response matching is switched off for good.
   */
  writeRawAndReadFrames(bytes: Buffer, count: number): Promise<Buffer[]> {
    const frames: Buffer[] = []
    return new Promise(resolve => {
      let buf = Buffer.alloc(0)
      this.socket.removeAllListeners('data')
      this.socket.on('data', chunk => {
        buf = Buffer.concat([buf, chunk])
        while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          frames.push(buf.subarray(4, 4 + buf.readInt32BE(0)))
          buf = buf.subarray(4 + buf.readInt32BE(0))
        }
        if (frames.length >= count) resolve(frames.slice(0, count))
      })
      this.socket.write(bytes)
    })
  }

  /** Sends a request and resolves with its decoded response body. */
  async send<K extends ApiKeyNumber>(apiKey: K, apiVersion: number, body: RequestTypes[K]): Promise<ResponseTypes[K]> {
    if (this.closedError) throw this.closedError
    const correlationId = this.nextCorrelationId++
    const frame = await new Promise<Buffer>((resolve, reject) => {
      this.pending.set(correlationId, { apiKey, apiVersion, resolve, reject })
      const chunks = frameRequest(encodeRequest(apiKey, apiVersion, { correlationId, clientId: this.clientId }, body))
      this.socket.cork()
      for (const c of chunks) this.socket.write(c)
      this.socket.uncork()
    })
    return decodeResponse(apiKey, apiVersion, frame).body
  }

  /** Sends a request that gets no response (Produce with acks=0). */
  sendNoResponse<K extends ApiKeyNumber>(apiKey: K, apiVersion: number, body: RequestTypes[K]): void {
    const correlationId = this.nextCorrelationId++
    for (const c of frameRequest(encodeRequest(apiKey, apiVersion, { correlationId, clientId: this.clientId }, body))) this.socket.write(c)
  }

  close(): void {
    this.socket.destroy()
  }
}

// One client connection: frames in, responses out in request order.

import type { Socket } from 'node:net'
import type { HandlerTable } from '../apis/index.js'
import { releaseAtTurnEnd, type HeldResponses, type Logger } from '../util/index.js'
import { dispatchRequest, type ConnectionInfo, type DispatchResult } from './dispatch.js'
import { FrameError, FrameReader } from './frame-reader.js'

/** Stop reading from a client that has this many requests waiting; resume when they drain. */
const MAX_QUEUED_REQUESTS = 64

/**
 * Requests on one connection are handled one after another, as Kafka does: responses go out in
 * request order and a producer's pipelined batches reach the log in the order they were sent.
 */
export class Connection implements HeldResponses {
  private readonly frames: FrameReader
  private readonly queue: Buffer[] = []
  private processing = false
  private closed = false
  private corked = false
  /** Called once the held responses are released (shutdown waits for it). */
  private onRelease: (() => void) | null = null
  /** Resolves when the request being handled (if any) is finished. */
  private idle: Promise<void> = Promise.resolve()

  constructor(
    readonly socket: Socket,
    readonly info: ConnectionInfo,
    private readonly handlers: HandlerTable,
    maxRequestBytes: number,
    private readonly log: Logger,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.frames = new FrameReader(maxRequestBytes)
    socket.setNoDelay(true)
    socket.on('data', chunk => this.onData(chunk))
    socket.on('error', err => this.log.debug(`${info.clientAddress}: socket error: ${err.message}`))
    socket.on('close', () => {
      this.closed = true
      this.onClose(this)
    })
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[]
    try {
      frames = this.frames.push(chunk)
    } catch (err) {
      if (err instanceof FrameError) this.close(err.message)
      else throw err
      return
    }
    if (frames.length === 0) return
    for (const f of frames) this.queue.push(f)
    if (this.queue.length >= MAX_QUEUED_REQUESTS) this.socket.pause()
    if (!this.processing) this.drain()
  }

  /**
   * Handles the queued requests in order: in this call while their answers are ready at once, and
   * from the answer's callback when a request has to wait (the next one waits behind it).
   */
  private drain(): void {
    this.processing = true
    while (this.queue.length > 0 && !this.closed) {
      const result = dispatchRequest(this.queue.shift()!, this.info, this.handlers, this.log)
      if (result instanceof Promise) {
        // dispatchRequest never rejects.
        this.idle = result.then(r => {
          if (this.deliver(r)) this.drain()
          else this.processing = false
        })
        return
      }
      if (!this.deliver(result)) break
    }
    this.processing = false
  }

  /** Sends one request's outcome; false once the connection is closed. */
  private deliver(result: DispatchResult): boolean {
    if (this.closed) return false
    if (result.kind === 'respond') this.write(result.frame)
    else if (result.kind === 'close') {
      this.close(result.reason)
      return false
    }
    if (this.queue.length < MAX_QUEUED_REQUESTS / 2 && this.socket.isPaused()) this.socket.resume()
    return true
  }

  /**
   * Responses finished in the same turn of the event loop leave in one vectored write at its end,
   * after the log writes of that turn (util/turn-end.ts): a client pipelining requests gets several
   * answers per system call, and no acknowledgement leaves before the bytes it acknowledges.
   */
  private write(frame: Buffer[]): void {
    if (!this.corked) {
      this.corked = true
      this.socket.cork()
      releaseAtTurnEnd(this)
    }
    for (const chunk of frame) this.socket.write(chunk)
  }

  release(): void {
    this.corked = false
    this.socket.uncork()
    this.released()
  }

  drop(reason: string): void {
    this.corked = false
    this.close(reason)
    this.released()
  }

  private released(): void {
    const done = this.onRelease
    this.onRelease = null
    done?.()
  }

  /** Closes after logging why (a bad frame or request: the client gets Kafka's answer, a closed socket). */
  close(reason: string): void {
    if (this.closed) return
    this.closed = true
    this.log.warn(`closing connection from ${this.info.clientAddress}: ${reason}`)
    this.socket.destroy()
  }

  /** Waits for the request in progress and for its answer to leave (after the turn's writes), then ends the socket. */
  async shutdown(): Promise<void> {
    this.queue.length = 0
    await this.idle
    if (this.corked) await new Promise<void>(resolve => (this.onRelease = resolve))
    if (!this.closed) this.socket.end()
  }
}

// TCP listeners: accept connections, hand each to a Connection, shut down gracefully.

import { createServer, type Server, type Socket } from 'node:net'
import type { HandlerTable } from '../apis/index.js'
import type { Logger } from '../util/index.js'
import { Connection } from './connection.js'

export interface ListenerSpec {
  name: string
  host: string
  /** 0 picks a free port. */
  port: number
}

export interface BoundListener extends ListenerSpec {
  /** The port actually bound (differs from `port` when that was 0). */
  boundPort: number
}

export interface SocketServerOptions {
  listeners: ListenerSpec[]
  handlers: HandlerTable
  /** socket.request.max.bytes: larger frames close the connection. */
  maxRequestBytes: number
  log: Logger
}

export class SocketServer {
  private readonly servers: Server[] = []
  private readonly connections = new Set<Connection>()
  private nextId = 0

  constructor(private readonly opts: SocketServerOptions) {}

  async start(): Promise<BoundListener[]> {
    const bound: BoundListener[] = []
    for (const l of this.opts.listeners) {
      const server = createServer(socket => this.accept(socket, l))
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(l.port, l.host || undefined, () => {
          server.off('error', reject)
          resolve()
        })
      })
      const addr = server.address()
      bound.push({ ...l, boundPort: typeof addr === 'object' && addr ? addr.port : l.port })
      this.servers.push(server)
    }
    return bound
  }

  private accept(socket: Socket, l: ListenerSpec): void {
    const clientAddress = `${socket.remoteAddress}:${socket.remotePort}`
    const info = { connectionId: `${l.name}-${this.nextId++}`, clientAddress, listenerName: l.name }
    const conn = new Connection(socket, info, this.opts.handlers, this.opts.maxRequestBytes, this.opts.log, c => this.connections.delete(c))
    this.connections.add(conn)
  }

  get connectionCount(): number {
    return this.connections.size
  }

  /** Stops accepting, lets each connection finish the request it is handling, then closes. */
  async stop(): Promise<void> {
    const closing = this.servers.map(s => new Promise<void>(resolve => s.close(() => resolve())))
    await Promise.all([...this.connections].map(c => c.shutdown()))
    for (const c of this.connections) c.socket.destroy()
    await Promise.all(closing)
  }
}

// Composes a Millrace node: configuration, storage, metadata, services, API handlers and listeners.

import { apiVersionsHandler, type ApiHandler, type HandlerTable } from './apis/index.js'
import { SocketServer, type BoundListener } from './server/index.js'
import { createLogger } from './util/logger.js'

export interface BrokerOptions {
  host?: string
  /** 0 picks a free port. */
  port?: number
  maxRequestBytes?: number
}

export interface RunningBroker {
  /** host:port of the first listener, for a client's bootstrap servers. */
  readonly bootstrap: string
  readonly listeners: BoundListener[]
  stop(): Promise<void>
}

export async function startBroker(opts: BrokerOptions = {}): Promise<RunningBroker> {
  const log = createLogger('millrace')
  const handlers = new Map<number, ApiHandler>()
  const add = (h: ApiHandler<any>): void => void handlers.set(h.apiKey, h as ApiHandler)
  const table = (): HandlerTable => handlers
  add(apiVersionsHandler(table, () => ({ supported: [], finalized: [], epoch: -1 })))

  const server = new SocketServer({
    listeners: [{ name: 'PLAINTEXT', host: opts.host ?? 'localhost', port: opts.port ?? 9092 }],
    handlers,
    maxRequestBytes: opts.maxRequestBytes ?? 104857600,
    log: log.child('server'),
  })
  const listeners = await server.start()
  const first = listeners[0]
  return {
    bootstrap: `${first.host}:${first.boundPort}`,
    listeners,
    async stop() {
      await server.stop()
    },
  }
}

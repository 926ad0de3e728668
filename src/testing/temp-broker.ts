// A broker on a free port with its data in a fresh temporary directory: for tests (ours and users').

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker, type RunningBroker } from '../broker/index.js'

export interface TempBroker extends RunningBroker {
  readonly dataDir: string
  readonly port: number
  /** Stops the broker and deletes its data. */
  destroy(): Promise<void>
}

export async function startTempBroker(overrides: Record<string, string> = {}, dataDir?: string): Promise<TempBroker> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'millrace-test-'))
  const broker = await startBroker({
    overrides: { listeners: 'PLAINTEXT://localhost:0', 'log.dirs': dir, ...overrides },
  })
  return Object.assign(Object.create(broker) as RunningBroker, {
    dataDir: dir,
    port: broker.listeners[0].boundPort,
    bootstrap: broker.bootstrap,
    listeners: broker.listeners,
    stop: () => broker.stop(),
    async destroy() {
      await broker.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }) as TempBroker
}

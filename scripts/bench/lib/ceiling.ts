// Runs a producer stream against the two ceiling sinks (hosted the same way as the broker).

import type { HostStats } from './host-entry.js'
import { startHost, type HostMode } from './host.js'
import { runProducer, type ProduceOptions, type ProduceResult } from './produce-core.js'

export type SinkName = 'sink-ack' | 'sink-file' | 'sink-file-sync'

export async function runAgainstSink(
  kind: SinkName,
  produce: Omit<ProduceOptions, 'host' | 'port' | 'skipSetup'>,
  mode: HostMode = 'worker',
): Promise<ProduceResult & { hostStats: HostStats }> {
  const host = await startHost({ kind }, mode)
  try {
    await host.stats()
    const r = await runProducer({ ...produce, host: host.host, port: host.port, skipSetup: true })
    return { ...r, hostStats: await host.stats() }
  } finally {
    await host.stop()
  }
}

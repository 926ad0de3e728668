// Runs a producer stream against the ceiling sinks, and S5's records through the bare relay
// (hosted the same way as the broker).

import type { HostStats } from './host-entry.js'
import { startHost, type HostMode } from './host.js'
import { runProducer, type ProduceOptions, type ProduceResult } from './produce-core.js'
import { runRelayLatency, type RelayLatencyResult } from './relay.js'

export type SinkName = 'sink-ack' | 'sink-file' | 'sink-file-sync' | 'sink-file-roll'

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

/** S5's ceiling: records at `rate` through a bare relay hosted the way the broker is. */
export async function runAgainstRelay(o: { numRecords: number; rate: number; warmupMs: number }, mode: HostMode = 'worker'): Promise<RelayLatencyResult & { hostStats: HostStats }> {
  const host = await startHost({ kind: 'relay' }, mode)
  try {
    await host.stats()
    const r = await runRelayLatency({ ...o, host: host.host, port: host.port })
    return { ...r, hostStats: await host.stats() }
  } finally {
    await host.stop()
  }
}

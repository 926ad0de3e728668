// The command line: `npx tsx src/main.ts [--config server.properties] [--override key=value ...]`
// starts a single-node broker (by default on localhost:9092 with its data under ./data).

import { ConfigError, loadBrokerConfig } from './config/index.js'
import { startBroker } from './broker/index.js'
import { keepFreedMemory } from './native/memory.js'
import { growHeapInLargeSteps } from './util/heap-growth.js'
import { createLogger } from './util/index.js'

const log = createLogger('millrace')

const USAGE = `Usage: npx tsx src/main.ts [--config server.properties] [--override key=value ...]

Starts a Millrace node (by default a single-node broker on localhost:9092, data in ./data).
  --config FILE          a Kafka properties file (a bare *.properties argument works too, as for kafka-server-start.sh)
  --override key=value   sets one config, above the file and MILLRACE_* environment variables (repeatable)
  --help                 prints this
Config keys, defaults and the environment variable form: README.md, "Configuration".`

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n')
    return
  }
  let config
  try {
    config = loadBrokerConfig({ argv, env: process.env })
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.message.split('\n')) log.error(line)
      process.exit(2)
    }
    throw err
  }
  // A broker frees and reallocates buffers all the time; handing them back to the kernel costs
  // a page fault per page at the next use (src/native/memory.ts). And its small old generation
  // must not be collected over and over under load (src/util/heap-growth.ts).
  keepFreedMemory()
  growHeapInLargeSteps()
  const broker = await startBroker({ config, logger: log })
  log.info(`Millrace node ${broker.nodeId} (cluster ${broker.clusterId}) is ready on ${broker.listeners.map(l => `${l.name}://${l.host || '0.0.0.0'}:${l.boundPort}`).join(', ')}, data in ${config.logDirs().join(', ')}`)
  let stopping = false
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return
    stopping = true
    log.info(`${signal}: shutting down`)
    await broker.stop()
    log.info('stopped cleanly')
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

/** A one-line reason for the failures a user can fix (a port taken, a host name unknown); null for the rest. */
function startFailure(err: unknown): string | null {
  if (typeof err !== 'object' || err === null) return null
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string }
  const where = e.address !== undefined && e.port !== undefined ? `${e.address}:${e.port}` : ''
  switch (e.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the address is already in use (another broker?); stop that process or choose another port with --override listeners=PLAINTEXT://host:port`
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (ports below 1024 need privileges); choose another port with --override listeners=PLAINTEXT://host:port`
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: no network interface of this machine has that address; check the host in listeners`
    case 'ENOTFOUND':
      return `cannot resolve the host name '${e.hostname}' of a listener; check listeners`
    default:
      return null
  }
}

main().catch(err => {
  log.error(startFailure(err) ?? (err instanceof Error ? (err.stack ?? err.message) : String(err)))
  process.exit(1)
})

// The command line: `npx tsx src/main.ts [--config server.properties] [--override key=value ...]`
// starts a single-node broker (by default on localhost:9092 with its data under ./data).

import { ConfigError, loadBrokerConfig } from './config/index.js'
import { startBroker } from './broker/index.js'
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

main().catch(err => {
  log.error(err instanceof Error ? (err.stack ?? err.message) : String(err))
  process.exit(1)
})

// The command line: `npx tsx src/main.ts` starts a single-node broker on localhost:9092.

import { startBroker } from './broker.js'
import { createLogger } from './util/logger.js'

const log = createLogger('millrace')

async function main(): Promise<void> {
  const broker = await startBroker()
  log.info(`Millrace is ready on ${broker.bootstrap}`)
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
  log.error(err instanceof Error ? err.message : String(err))
  process.exit(1)
})

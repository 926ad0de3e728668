// Run in a fresh process by startup.ts: imports the broker, times startBroker() to the first
// ApiVersions answered on its listener, then reports idle RSS. Prints one JSON line.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'

process.env.MILLRACE_LOG_LEVEL ??= 'warn'
const tImport0 = performance.now()
const { startBroker } = await import('../../../src/broker/index.js')
const { RawConnection } = await import('./raw-connection.js')
const { apiVersions } = await import('./kafka.js')
const tImport1 = performance.now()
const dir = mkdtempSync(join(tmpdir(), 'millrace-startup-'))
const t0 = performance.now()
const broker = await startBroker({ overrides: { listeners: 'PLAINTEXT://localhost:0', 'log.dirs': dir } })
const tStarted = performance.now()
const conn = await RawConnection.open('localhost', broker.listeners[0]!.boundPort)
await apiVersions(conn)
const tAnswered = performance.now()
conn.close()
await new Promise(r => setTimeout(r, Number(process.argv[2] ?? 1000)))
const rss = process.memoryUsage.rss()
await broker.stop()
rmSync(dir, { recursive: true, force: true })
process.stdout.write(
  JSON.stringify({
    processStartToImportMs: tImport0,
    importMs: tImport1 - tImport0,
    startBrokerMs: tStarted - t0,
    startToFirstAnswerMs: tAnswered - t0,
    processStartToFirstAnswerMs: tAnswered,
    idleRss: rss,
  }) + '\n',
)
process.exit(0)

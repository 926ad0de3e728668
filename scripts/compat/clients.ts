// The real Kafka clients the matrix drives, how each is installed, and how its driver starts.

import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const PYTHON = '/usr/bin/python3' // Debian's Python packages are visible only to this one

export interface ClientSpec {
  name: string
  /** How it gets onto a machine (shown in the README). */
  install: string
  /** Library underneath, when it is not the client itself. */
  basedOn?: string
  /** null when installed, else why not. */
  missing(): string | null
  command(bootstrap: string): { cmd: string; args: string[]; env?: Record<string, string> }
}

const nodeDriver = (file: string) => (bootstrap: string) => ({
  cmd: process.execPath,
  args: ['--import', 'tsx', join(here, 'drivers', file), bootstrap],
})

function runs(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): { ok: boolean; out: string; stdout: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeout ?? 20_000, env: opts.env ?? process.env })
  return { ok: r.status === 0, out: `${r.error?.message ?? ''}${r.stderr ?? ''}`.trim(), stdout: r.stdout ?? '' }
}

// Sarama comes as Go source in Debian (golang-github-shopify-sarama-dev, under /usr/share/gocode);
// its driver is compiled once per source change (GOPATH mode, no module downloads) into tmpdir.
const GOPATH = '/usr/share/gocode'
const saramaSource = join(here, 'drivers', 'sarama', 'main.go')
let saramaBinary: string | null = null
function saramaVersion(): string {
  return runs('dpkg-query', ['-W', '-f', '${Version}', 'golang-github-shopify-sarama-dev']).stdout.replace(/-\d+$/, '') || 'unknown'
}
function buildSarama(): string | null {
  if (!runs('go', ['version']).ok) return 'Go is not installed (apt-get install golang-go golang-github-shopify-sarama-dev)'
  if (!existsSync(join(GOPATH, 'src/github.com/Shopify/sarama'))) return 'Sarama is not installed (apt-get install golang-github-shopify-sarama-dev)'
  const hash = createHash('sha256').update(readFileSync(saramaSource)).update(runs('go', ['version']).stdout).update(saramaVersion()).digest('hex').slice(0, 16)
  const binary = join(tmpdir(), `millrace-compat-sarama-${hash}`)
  if (!existsSync(binary)) {
    const env = { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '', GOCACHE: process.env.GOCACHE || join(tmpdir(), 'millrace-compat-go-cache') }
    const r = runs('go', ['build', '-o', binary, saramaSource], { env, timeout: 300_000 })
    if (!r.ok) return `the Sarama driver did not build: ${r.out.split('\n').filter(l => !/warning|note:|zstd\.h|^\s|cgo-gcc-prolog|^In file/.test(l)).join(' / ')}`
  }
  saramaBinary = binary
  return null
}

function nodeModule(pkg: string, hint: string): () => string | null {
  return () => {
    const r = runs(process.execPath, ['-e', `require(${JSON.stringify(pkg)})`])
    return r.ok ? null : `${pkg} does not load (${r.out.split('\n').find(l => /Error/.test(l)) ?? 'not installed'}); ${hint}`
  }
}

function pythonModule(mod: string, hint: string): () => string | null {
  return () => {
    const r = runs(PYTHON, ['-c', `import ${mod}`])
    return r.ok ? null : `${PYTHON} cannot import ${mod}; ${hint}`
  }
}

export const CLIENTS: ClientSpec[] = [
  {
    name: 'kafkajs',
    install: 'npm `kafkajs` (+ `kafkajs-snappy`)',
    missing: nodeModule('kafkajs', 'run npm install'),
    command: nodeDriver('kafkajs.ts'),
  },
  {
    name: 'platformatic',
    install: 'npm `@platformatic/kafka`',
    missing: nodeModule('@platformatic/kafka', 'run npm install'),
    command: nodeDriver('platformatic.ts'),
  },
  {
    name: 'node-rdkafka',
    install: 'npm `node-rdkafka`, built from its bundled librdkafka (`allowScripts`)',
    basedOn: 'librdkafka',
    missing: nodeModule('node-rdkafka', 'its native build did not run: it needs "allowScripts" in package.json, a C++ toolchain and ~2-4 min'),
    command: nodeDriver('node-rdkafka.ts'),
  },
  {
    name: 'kcat',
    install: 'apt `kcat`',
    basedOn: 'librdkafka',
    missing: () => (runs('kcat', ['-V']).ok ? null : 'kcat is not installed (apt-get install kcat)'),
    command: nodeDriver('kcat.ts'),
  },
  {
    name: 'confluent-kafka',
    install: 'apt `python3-confluent-kafka`',
    basedOn: 'librdkafka',
    missing: pythonModule('confluent_kafka', 'apt-get install python3-confluent-kafka'),
    command: bootstrap => ({ cmd: PYTHON, args: [join(here, 'drivers', 'python_driver.py'), 'confluent-kafka', bootstrap] }),
  },
  {
    name: 'sarama',
    install: 'apt `golang-go golang-github-shopify-sarama-dev`; driver built with `go build` (GOPATH mode)',
    missing: buildSarama,
    command: bootstrap => ({ cmd: saramaBinary!, args: [bootstrap], env: { SARAMA_VERSION: saramaVersion() } }),
  },
  {
    name: 'kafka-python',
    install: 'apt `python3-kafka` (+ `python3-snappy python3-lz4 python3-zstandard`)',
    missing: pythonModule('kafka', 'apt-get install python3-kafka python3-snappy python3-lz4 python3-zstandard'),
    command: bootstrap => ({ cmd: PYTHON, args: [join(here, 'drivers', 'python_driver.py'), 'kafka-python', bootstrap] }),
  },
]

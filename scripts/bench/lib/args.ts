// A small command-line parser for the bench tools: `--name value`, `--name=value`, `--flag`.
// Each tool declares its options once; `--help` prints them with their defaults.

export type OptionType = 'number' | 'string' | 'boolean'

export interface OptionSpec {
  type: OptionType
  default?: number | string | boolean
  help: string
}

export type OptionSpecs = Record<string, OptionSpec>

type ValueOf<S extends OptionSpec> = S['type'] extends 'number' ? number : S['type'] extends 'boolean' ? boolean : string

export type ParsedOptions<T extends OptionSpecs> = {
  [K in keyof T]: T[K]['default'] extends undefined ? ValueOf<T[K]> | undefined : ValueOf<T[K]>
}

/** Numbers accept suffixes: 1k = 1,000, 1m = 1,000,000, 16KiB = 16,384, 1MiB = 1,048,576. */
export function parseNumber(text: string): number {
  const m = /^(-?[0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*(k|m|g|kib|mib|gib|kb|mb|gb)?$/i.exec(text.trim().replace(/_/g, ''))
  if (!m) throw new Error(`not a number: ${text}`)
  const n = Number(m[1])
  const unit = (m[2] ?? '').toLowerCase()
  const mult: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }
  return n * mult[unit]!
}

export function usage(tool: string, summary: string, specs: OptionSpecs): string {
  const lines = [`usage: npx tsx scripts/bench/${tool} [options]`, '', summary, '', 'options:']
  for (const [name, s] of Object.entries(specs)) {
    const def = s.default === undefined ? '' : ` (default ${JSON.stringify(s.default)})`
    lines.push(`  --${name}${s.type === 'boolean' ? '' : ` <${s.type}>`}`.padEnd(30) + s.help + def)
  }
  return lines.join('\n')
}

/** Parses argv against the specs; exits with the usage text on --help or a bad option. */
export function parseArgs<T extends OptionSpecs>(tool: string, summary: string, specs: T, argv = process.argv.slice(2)): ParsedOptions<T> {
  const out: Record<string, unknown> = {}
  for (const [name, s] of Object.entries(specs)) if (s.default !== undefined) out[name] = s.default
  const fail = (msg: string): never => {
    process.stderr.write(`${msg}\n\n${usage(tool, summary, specs)}\n`)
    process.exit(2)
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(usage(tool, summary, specs) + '\n')
      process.exit(0)
    }
    if (!arg.startsWith('--')) fail(`unexpected argument ${arg}`)
    const eq = arg.indexOf('=')
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2)
    const spec = specs[name]
    if (!spec) fail(`unknown option --${name}`)
    let value: string | undefined = eq > 0 ? arg.slice(eq + 1) : undefined
    if (spec!.type === 'boolean') {
      if (value === undefined && (argv[i + 1] === 'true' || argv[i + 1] === 'false')) value = argv[++i]
      out[name] = value === undefined ? true : value === 'true'
      continue
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) fail(`--${name} needs a value`)
      value = argv[++i]!
    }
    if (spec!.type === 'number') {
      try {
        out[name] = parseNumber(value)
      } catch (err) {
        fail(`--${name}: ${(err as Error).message}`)
      }
    } else out[name] = value
  }
  return out as ParsedOptions<T>
}

/** "host:port" → parts (IPv6 in brackets allowed). */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text.split(',')[0]!.trim())
  if (!m) throw new Error(`bootstrap address must be host:port, got ${text}`)
  return { host: m[1]!, port: Number(m[2]) }
}

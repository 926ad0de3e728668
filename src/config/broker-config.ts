/**
 * The broker's configuration: layered values with Kafka's precedence, validation with
 * clear messages, typed access through the definition table, computed helpers
 * (retention, roll time, listeners, directories) and DescribeConfigs entries.
 *
 * Layers, lowest to highest priority — the same order as Kafka:
 *   built-in default  <  static (file < env < --override)  <  dynamic cluster default  <  dynamic per-broker
 * The dynamic layers come from the metadata log (ConfigRecords) via {@link BrokerConfig.withDynamicConfigs}.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import {
  BROKER_CONFIGS,
  BROKER_CONFIG_NAMES,
  type BrokerConfigName,
  type BrokerConfigValue,
  brokerConfigDef,
  brokerSynonyms,
  isPassThroughKey,
} from './definitions.js'
import { ConfigError, type ConfigIssue, INVALID_CONFIG_ERROR_CODE, unknownConfigMessage } from './errors.js'
import {
  type HostPort,
  type Listener,
  type QuorumVoter,
  type SecurityProtocol,
  parseHostPorts,
  parseListeners,
  parseQuorumVoters,
  parseSecurityProtocolMap,
  SECURITY_PROTOCOLS,
} from './listeners.js'
import {
  CONFIG_TYPE_ID,
  type ConfigDef,
  type ConfigEntry,
  ConfigSource,
  type ConfigSourceId,
  type ConfigSynonymEntry,
  HOURS_TO_MS,
  InvalidValue,
  MINUTES_TO_MS,
} from './schema.js'
import { parsePropertyEntries } from './properties.js'

/** Where a broker config value came from. */
export type ConfigOrigin = 'default' | 'file' | 'env' | 'override' | 'dynamic-default' | 'dynamic-broker'

/** A statically set value: from the properties file, the environment or `--override`. */
export interface StaticSetting {
  value: string
  origin: 'file' | 'env' | 'override'
  /** e.g. `server.properties:12`, `env MILLRACE_LOG_DIRS`, `--override`. */
  where?: string
}

export interface DynamicConfigs {
  /** Cluster-wide defaults (ConfigRecord on the BROKER resource named ''). */
  clusterDefault?: Readonly<Record<string, string>> | ReadonlyMap<string, string>
  /** This broker's own dynamic configs (ConfigRecord on the BROKER resource named by its id). */
  perBroker?: Readonly<Record<string, string>> | ReadonlyMap<string, string>
}

/** The outcome of validating a set of config changes, ready for a CreateTopics / AlterConfigs answer. */
export type ConfigValidation =
  | { ok: true; issues: [] }
  | { ok: false; errorCode: typeof INVALID_CONFIG_ERROR_CODE; message: string; issues: ConfigIssue[] }

export function toValidation(issues: ConfigIssue[]): ConfigValidation {
  if (issues.length === 0) return { ok: true, issues: [] }
  return { ok: false, errorCode: INVALID_CONFIG_ERROR_CODE, message: issues.map((i) => i.message).join('; '), issues }
}

/** `invalid value 'abc' for config 'num.partitions': expected an integer ≥ 1`. */
export function invalidValueMessage(key: string, value: string, expected: string): string {
  return `invalid value '${value}' for config '${key}': expected ${expected}`
}

const SOURCE_BY_ORIGIN: Readonly<Record<ConfigOrigin, ConfigSourceId>> = {
  default: ConfigSource.DEFAULT_CONFIG,
  file: ConfigSource.STATIC_BROKER_CONFIG,
  env: ConfigSource.STATIC_BROKER_CONFIG,
  override: ConfigSource.STATIC_BROKER_CONFIG,
  'dynamic-default': ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
  'dynamic-broker': ConfigSource.DYNAMIC_BROKER_CONFIG,
}

function toMap(m: Readonly<Record<string, string>> | ReadonlyMap<string, string> | undefined): Map<string, string> {
  if (m === undefined) return new Map()
  if (m instanceof Map) return new Map(m)
  return new Map(Object.entries(m as Record<string, string>))
}

interface LayerValue {
  origin: ConfigOrigin
  raw: string
}

/** Parse one value against its definition, collecting an issue instead of throwing. */
function parseInto(
  def: ConfigDef<unknown>,
  key: string,
  raw: string,
  issues: ConfigIssue[],
  origin?: string,
): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: def.parse(raw) }
  } catch (e) {
    if (!(e instanceof InvalidValue)) throw e
    const shown = def.sensitive ? '[hidden]' : raw
    issues.push({ key, value: def.sensitive ? null : raw, message: invalidValueMessage(key, shown, e.expected), origin })
    return { ok: false }
  }
}

/**
 * Check a set of broker config keys/values: unknown keys (with a did-you-mean), bad
 * values, and — for `dynamic` updates — keys that cannot change at run time.
 */
export function validateBrokerConfigs(
  values: Readonly<Record<string, string | null>> | ReadonlyMap<string, string | null>,
  opts: { dynamic?: 'per-broker' | 'cluster-default' } = {},
): ConfigValidation {
  const issues: ConfigIssue[] = []
  const entries = values instanceof Map ? [...values] : Object.entries(values as Record<string, string | null>)
  for (const [key, value] of entries) {
    const def = brokerConfigDef(key)
    if (!def) {
      if (!opts.dynamic && isPassThroughKey(key)) continue
      issues.push({ key, value, message: unknownConfigMessage(key, BROKER_CONFIG_NAMES) })
      continue
    }
    if (opts.dynamic) {
      if (def.readOnly) {
        issues.push({ key, value, message: `config '${key}' is read-only: it cannot be updated dynamically, only in the static configuration` })
        continue
      }
      if (opts.dynamic === 'cluster-default' && def.mode === 'per-broker') {
        issues.push({ key, value, message: `config '${key}' can only be updated per broker, not as a cluster-wide default` })
        continue
      }
    }
    if (value === null) continue // deleting a dynamic value restores the layer below
    parseInto(def, key, value, issues)
  }
  return toValidation(issues)
}

/** The broker's effective configuration. Immutable; see {@link BrokerConfig.withDynamicConfigs}. */
export class BrokerConfig {
  /** Directory relative paths (log.dirs, metadata.log.dir) are resolved against. */
  readonly cwd: string
  private readonly statics: ReadonlyMap<string, StaticSetting>
  private readonly dynDefault: ReadonlyMap<string, string>
  private readonly dynBroker: ReadonlyMap<string, string>
  private readonly parsed = new Map<string, unknown>()
  private readonly winning = new Map<string, LayerValue>()

  /**
   * Build and validate. Throws {@link ConfigError} listing every problem.
   * @param statics explicitly set static values (file, env, overrides), already merged by precedence
   */
  constructor(statics: ReadonlyMap<string, StaticSetting> | Readonly<Record<string, string>> = {}, opts: { cwd?: string; dynamic?: DynamicConfigs } = {}) {
    this.cwd = opts.cwd ?? process.cwd()
    this.statics =
      statics instanceof Map
        ? new Map(statics)
        : new Map(Object.entries(statics as Record<string, string>).map(([k, v]) => [k, { value: v, origin: 'override' as const, where: 'code' }]))
    this.dynDefault = toMap(opts.dynamic?.clusterDefault)
    this.dynBroker = toMap(opts.dynamic?.perBroker)

    const issues: ConfigIssue[] = []
    for (const [key, s] of this.statics) {
      if (!brokerConfigDef(key) && !isPassThroughKey(key))
        issues.push({ key, value: s.value, message: unknownConfigMessage(key, BROKER_CONFIG_NAMES), origin: s.where })
    }
    const dynDefaultCheck = validateBrokerConfigs(this.dynDefault, { dynamic: 'cluster-default' })
    if (!dynDefaultCheck.ok) issues.push(...dynDefaultCheck.issues.map((i) => ({ ...i, origin: 'dynamic cluster default' })))
    const dynBrokerCheck = validateBrokerConfigs(this.dynBroker, { dynamic: 'per-broker' })
    if (!dynBrokerCheck.ok) issues.push(...dynBrokerCheck.issues.map((i) => ({ ...i, origin: 'dynamic broker config' })))

    for (const name of BROKER_CONFIG_NAMES) {
      const def = BROKER_CONFIGS[name] as ConfigDef<unknown>
      const layer = this.topLayer(name)
      if (layer === undefined) {
        this.parsed.set(name, def.defaultValue)
        this.winning.set(name, { origin: 'default', raw: def.defaultText ?? '' })
        continue
      }
      this.winning.set(name, layer)
      const where = layer.origin === 'file' || layer.origin === 'env' || layer.origin === 'override' ? this.statics.get(name)?.where : undefined
      const r = parseInto(def, name, layer.raw, issues, where)
      if (r.ok) this.parsed.set(name, r.value)
    }
    // Dedupe: a dynamic value can be reported both by the dynamic check and the layer parse.
    const seen = new Set<string>()
    const unique = issues.filter((i) => {
      const k = `${i.key}\u0000${i.message}`
      if (seen.has(k)) return false
      seen.add(k)
      return true
    })
    if (unique.length === 0) this.crossValidate(unique)
    if (unique.length > 0) throw new ConfigError(unique)
  }

  /** The highest layer that sets `key`, if any (defaults excluded). */
  private topLayer(key: string): LayerValue | undefined {
    const b = this.dynBroker.get(key)
    if (b !== undefined) return { origin: 'dynamic-broker', raw: b }
    const d = this.dynDefault.get(key)
    if (d !== undefined) return { origin: 'dynamic-default', raw: d }
    const s = this.statics.get(key)
    if (s !== undefined) return { origin: s.origin, raw: s.value }
    return undefined
  }

  private crossValidate(issues: ConfigIssue[]): void {
    const bad = (key: BrokerConfigName, message: string) =>
      issues.push({ key, value: this.getRaw(key), message, origin: this.statics.get(key)?.where })

    // node.id / broker.id
    const brokerId = this.get('broker.id')
    if (brokerId !== null && this.isSet('node.id') && brokerId !== this.get('node.id'))
      bad('broker.id', `invalid value '${brokerId}' for config 'broker.id': expected the same value as node.id (${this.get('node.id')})`)

    // Retention: -1 (unlimited) or at least 1 ms, whichever synonym sets it.
    if (this.logRetentionMs() === 0) {
      const key = (['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'] as const).find((k) => this.get(k) !== null)!
      bad(key, invalidValueMessage(key, String(this.getRaw(key)), '-1 (unlimited) or a retention of at least 1 ms'))
    }

    // Listeners.
    const listeners = this.listeners()
    const ports = listeners.filter((l) => l.port !== 0).map((l) => l.port)
    if (new Set(ports).size !== ports.length)
      bad('listeners', invalidValueMessage('listeners', this.get('listeners'), 'each listener on its own port'))
    const map = this.securityProtocolMap()
    for (const l of listeners) {
      if (!map.has(l.name))
        bad('listener.security.protocol.map', `no security protocol for listener '${l.name}': add ${l.name}:<${SECURITY_PROTOCOLS.join('|')}> to listener.security.protocol.map`)
    }
    const advertised = this.get('advertised.listeners')
    if (advertised !== null) {
      for (const a of parseListeners(advertised)) {
        if (a.host === '0.0.0.0' || a.host === '::')
          bad('advertised.listeners', invalidValueMessage('advertised.listeners', advertised, 'routable hosts (not the meta-address 0.0.0.0 or ::)'))
        if (!listeners.some((l) => l.name === a.name))
          bad('advertised.listeners', invalidValueMessage('advertised.listeners', advertised, `listener names that also appear in listeners (no '${a.name}' there)`))
      }
    }
    const roles = this.processRoles()
    const controllerNames = this.controllerListenerNames()
    if (roles.includes('controller')) {
      for (const n of controllerNames)
        if (!listeners.some((l) => l.name === n))
          bad('controller.listener.names', invalidValueMessage('controller.listener.names', String(this.get('controller.listener.names')), `names of listeners defined in listeners (no '${n}' there)`))
    } else {
      for (const n of controllerNames)
        if (listeners.some((l) => l.name === n))
          bad('controller.listener.names', `listener '${n}' is a controller listener but process.roles has no controller role: remove it from listeners`)
    }
    const ibl = this.get('inter.broker.listener.name')
    if (ibl !== null && roles.includes('broker') && !listeners.some((l) => l.name === ibl.toUpperCase()))
      bad('inter.broker.listener.name', invalidValueMessage('inter.broker.listener.name', ibl, `the name of a listener in listeners (${listeners.map((l) => l.name).join(', ')})`))
  }

  // ---------------------------------------------------------------------------
  // Generic access
  // ---------------------------------------------------------------------------

  /** The effective typed value of a known config, e.g. `cfg.get('num.partitions')` → number. */
  get<K extends BrokerConfigName>(key: K): BrokerConfigValue<K> {
    return this.parsed.get(key) as BrokerConfigValue<K>
  }

  /** The effective parsed value of any key, untyped (undefined for unknown keys). */
  valueOf(key: string): unknown {
    return this.parsed.get(key)
  }

  /** The effective value as text (what DescribeConfigs shows), or null when unset with no default. Pass-through keys give their raw value. */
  getRaw(key: string): string | null {
    const def = brokerConfigDef(key)
    if (!def) return this.statics.get(key)?.value ?? null
    return def.format(this.parsed.get(key) ?? null)
  }

  /** Which layer supplied the effective value of `key`. */
  origin(key: string): ConfigOrigin {
    return this.winning.get(key)?.origin ?? (this.statics.has(key) ? this.statics.get(key)!.origin : 'default')
  }

  /** The DescribeConfigs source of the effective value of `key`. */
  source(key: string): ConfigSourceId {
    return SOURCE_BY_ORIGIN[this.origin(key)]
  }

  /** Whether `key` is set explicitly in any layer (not just defaulted). */
  isSet(key: string): boolean {
    return this.origin(key) !== 'default'
  }

  /** The statically set values (file, env, overrides; pass-through keys included) as given. */
  get rawValues(): ReadonlyMap<string, string> {
    return new Map([...this.statics].map(([k, s]) => [k, s.value]))
  }

  /** The statically set values with where each came from. */
  get staticSettings(): ReadonlyMap<string, StaticSetting> {
    return this.statics
  }

  /** The dynamic layers currently applied. */
  get dynamicConfigs(): { clusterDefault: ReadonlyMap<string, string>; perBroker: ReadonlyMap<string, string> } {
    return { clusterDefault: this.dynDefault, perBroker: this.dynBroker }
  }

  /**
   * Every layer that sets `key`, highest priority first, with the DescribeConfigs
   * source of each; the built-in default is last when it is not null.
   */
  layers(key: string): { source: ConfigSourceId; value: string }[] {
    const out: { source: ConfigSourceId; value: string }[] = []
    const b = this.dynBroker.get(key)
    if (b !== undefined) out.push({ source: ConfigSource.DYNAMIC_BROKER_CONFIG, value: b.trim() })
    const d = this.dynDefault.get(key)
    if (d !== undefined) out.push({ source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, value: d.trim() })
    const s = this.statics.get(key)
    if (s !== undefined) out.push({ source: ConfigSource.STATIC_BROKER_CONFIG, value: s.value.trim() })
    const dt = brokerConfigDef(key)?.defaultText
    if (dt !== null && dt !== undefined) out.push({ source: ConfigSource.DEFAULT_CONFIG, value: dt })
    return out
  }

  /** A new config with these dynamic layers (replacing the current ones). Throws {@link ConfigError}. */
  withDynamicConfigs(dynamic: DynamicConfigs): BrokerConfig {
    return new BrokerConfig(this.statics, {
      cwd: this.cwd,
      dynamic: {
        clusterDefault: dynamic.clusterDefault ?? this.dynDefault,
        perBroker: dynamic.perBroker ?? this.dynBroker,
      },
    })
  }

  /** All known values as text for logging, passwords hidden. */
  toJSON(): Record<string, string | null> {
    const out: Record<string, string | null> = {}
    for (const name of BROKER_CONFIG_NAMES) {
      const def = BROKER_CONFIGS[name] as ConfigDef<unknown>
      const v = this.getRaw(name)
      out[name] = def.sensitive && v !== null ? '[hidden]' : v
    }
    return out
  }

  // ---------------------------------------------------------------------------
  // Computed helpers
  // ---------------------------------------------------------------------------

  /** node.id, or broker.id when only that is set. */
  nodeId(): number {
    const brokerId = this.get('broker.id')
    return !this.isSet('node.id') && brokerId !== null ? brokerId : this.get('node.id')
  }

  processRoles(): readonly ('broker' | 'controller')[] {
    return this.get('process.roles')
  }

  isBroker(): boolean {
    return this.processRoles().includes('broker')
  }

  isController(): boolean {
    return this.processRoles().includes('controller')
  }

  /** Data directories (log.dirs, else log.dir), as absolute paths. */
  logDirs(): string[] {
    const dirs = this.get('log.dirs') ?? [this.get('log.dir')]
    return dirs.map((d) => path.resolve(this.cwd, d))
  }

  /** The __cluster_metadata directory: metadata.log.dir, else the first data directory. */
  metadataLogDir(): string {
    const d = this.get('metadata.log.dir')
    return d !== null ? path.resolve(this.cwd, d) : this.logDirs()[0]!
  }

  /** Retention time in ms from log.retention.ms > .minutes > .hours; -1 means unlimited (any negative value). */
  logRetentionMs(): number {
    const ms = this.get('log.retention.ms')
    const minutes = this.get('log.retention.minutes')
    const millis = ms !== null ? ms : minutes !== null ? minutes * MINUTES_TO_MS : this.get('log.retention.hours') * HOURS_TO_MS
    return millis < 0 ? -1 : millis
  }

  /** Segment roll time in ms from log.roll.ms > log.roll.hours. */
  logRollMs(): number {
    return this.get('log.roll.ms') ?? this.get('log.roll.hours') * HOURS_TO_MS
  }

  /** Segment roll jitter in ms from log.roll.jitter.ms > log.roll.jitter.hours. */
  logRollJitterMs(): number {
    return this.get('log.roll.jitter.ms') ?? this.get('log.roll.jitter.hours') * HOURS_TO_MS
  }

  /** Time-based flush interval: log.flush.interval.ms > log.flush.scheduler.interval.ms. */
  logFlushIntervalMs(): number {
    return this.get('log.flush.interval.ms') ?? this.get('log.flush.scheduler.interval.ms')
  }

  /** How long offsets of an empty group are kept, in ms. */
  offsetsRetentionMs(): number {
    return this.get('offsets.retention.minutes') * MINUTES_TO_MS
  }

  /** The `listeners` to bind. A port of 0 means any free port. */
  listeners(): Listener[] {
    return parseListeners(this.get('listeners'))
  }

  /**
   * What to advertise to clients: advertised.listeners, else listeners. Entries with
   * port 0 (or an empty host) must be filled in by the server with what it bound.
   */
  advertisedListeners(): Listener[] {
    const a = this.get('advertised.listeners')
    return a !== null ? parseListeners(a) : this.listeners()
  }

  /**
   * listener.security.protocol.map; when it is not set explicitly, controller
   * listener names missing from it map to PLAINTEXT, as Kafka does.
   */
  securityProtocolMap(): Map<string, SecurityProtocol> {
    const map = parseSecurityProtocolMap(this.get('listener.security.protocol.map'))
    if (!this.isSet('listener.security.protocol.map'))
      for (const n of this.controllerListenerNames()) if (!map.has(n)) map.set(n, 'PLAINTEXT')
    return map
  }

  /** The security protocol of a listener by name. */
  securityProtocolOf(listenerName: string): SecurityProtocol | undefined {
    return this.securityProtocolMap().get(listenerName.toUpperCase())
  }

  /** inter.broker.listener.name, else the listener named after security.inter.broker.protocol. */
  interBrokerListenerName(): string {
    return (this.get('inter.broker.listener.name') ?? this.get('security.inter.broker.protocol')).toUpperCase()
  }

  /** controller.listener.names as upper-cased names (empty when unset). */
  controllerListenerNames(): string[] {
    const v = this.get('controller.listener.names')
    return v === null ? [] : v.split(',').map((s) => s.trim().toUpperCase()).filter((s) => s !== '')
  }

  /** controller.quorum.voters parsed (empty: this node alone). */
  quorumVoters(): QuorumVoter[] {
    return parseQuorumVoters(this.get('controller.quorum.voters').join(','))
  }

  /** controller.quorum.bootstrap.servers parsed. */
  quorumBootstrapServers(): HostPort[] {
    return parseHostPorts(this.get('controller.quorum.bootstrap.servers').join(','))
  }

  // ---------------------------------------------------------------------------
  // DescribeConfigs
  // ---------------------------------------------------------------------------

  /**
   * DescribeConfigs entries for this broker: every known config (or just `names`,
   * unknown names skipped), with Kafka's sources and synonyms. Sensitive values are null.
   */
  describe(names?: readonly string[]): ConfigEntry[] {
    const wanted = names ?? BROKER_CONFIG_NAMES
    const out: ConfigEntry[] = []
    for (const name of wanted) {
      const def = brokerConfigDef(name)
      if (!def) continue
      const synonyms = this.synonymsOf(name, def.sensitive)
      const source = synonyms.length > 0 ? synonyms[0]!.source : ConfigSource.DEFAULT_CONFIG
      out.push({
        name,
        value: def.sensitive ? null : this.getRaw(name),
        source,
        isDefault: source === ConfigSource.DEFAULT_CONFIG,
        isSensitive: def.sensitive,
        readOnly: def.readOnly,
        synonyms,
        configType: def.type,
        configTypeId: CONFIG_TYPE_ID[def.type],
        documentation: def.doc,
      })
    }
    return out
  }

  /**
   * Kafka's synonym list for a broker config: the values of it and its synonyms grouped
   * by source (dynamic per-broker, dynamic default, static, default), each group in
   * synonym order, starting from the first entry for `name` itself.
   */
  private synonymsOf(name: string, sensitive: boolean): ConfigSynonymEntry[] {
    const group = brokerSynonyms(name)
    const all: ConfigSynonymEntry[] = []
    for (const source of [
      ConfigSource.DYNAMIC_BROKER_CONFIG,
      ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
      ConfigSource.STATIC_BROKER_CONFIG,
      ConfigSource.DEFAULT_CONFIG,
    ]) {
      for (const syn of group) {
        const l = this.layers(syn).find((x) => x.source === source)
        if (l) all.push({ name: syn, value: sensitive ? null : l.value, source })
      }
    }
    const first = all.findIndex((s) => s.name === name)
    return first < 0 ? [] : all.slice(first)
  }
}

// -----------------------------------------------------------------------------
// Loading: argv, environment, properties file
// -----------------------------------------------------------------------------

export const ENV_PREFIX = 'MILLRACE_'

/**
 * MILLRACE_* variables that are not broker configs and are ignored by the loader
 * (cluster.id lives in meta.properties and is handled by the storage formatter).
 */
export const RESERVED_ENV_VARS: ReadonlySet<string> = new Set([
  'MILLRACE_CLUSTER_ID',
  'MILLRACE_CONFIG',
  'MILLRACE_LOG_LEVEL',
  'MILLRACE_DEBUG',
  'MILLRACE_OPTS',
  'MILLRACE_HOME',
])

/**
 * The config key of an environment variable, as Kafka's Docker images map them:
 * drop the prefix, lower-case, `___` → `-`, `__` → `_`, `_` → `.`.
 * `MILLRACE_LOG_RETENTION_MS` → `log.retention.ms`. Returns undefined without the prefix.
 */
export function envVarToConfigKey(name: string): string | undefined {
  if (!name.startsWith(ENV_PREFIX) || name.length === ENV_PREFIX.length) return undefined
  return name
    .slice(ENV_PREFIX.length)
    .replace(/___/g, '\u0001')
    .replace(/__/g, '\u0002')
    .replace(/_/g, '.')
    .replace(/\u0001/g, '-')
    .replace(/\u0002/g, '_')
    .toLowerCase()
}

/** The environment variable for a config key (inverse of {@link envVarToConfigKey}). */
export function configKeyToEnvVar(key: string): string {
  let out = ''
  for (const c of key) out += c === '.' ? '_' : c === '_' ? '__' : c === '-' ? '___' : c.toUpperCase()
  return ENV_PREFIX + out
}

export interface ConfigArgs {
  /** From `--config <file>`, `--config=<file>` or a positional `*.properties` argument. */
  configFile?: string
  /** From each `--override key=value`, in order. */
  overrides: { key: string; value: string }[]
  /** Arguments this parser does not handle. */
  rest: string[]
}

// --help is handled by src/main.ts before the config is loaded; listed here for did-you-mean.
const ARG_FLAGS = ['--config', '--override', '--help']

/** Parse the config-related command-line arguments (without node and script: pass `process.argv.slice(2)`). */
export function parseConfigArgs(argv: readonly string[]): ConfigArgs {
  const out: ConfigArgs = { overrides: [], rest: [] }
  const setFile = (f: string) => {
    if (out.configFile !== undefined) throw new ConfigError(`more than one config file given ('${out.configFile}' and '${f}')`)
    out.configFile = f
  }
  const addOverride = (kv: string) => {
    const eq = kv.indexOf('=')
    if (eq <= 0) throw new ConfigError(`--override needs key=value, got '${kv}'`)
    out.overrides.push({ key: kv.slice(0, eq).trim(), value: kv.slice(eq + 1) })
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--config' || a === '--override') {
      const v = argv[i + 1]
      if (v === undefined) throw new ConfigError(a === '--config' ? '--config needs a file path' : '--override needs key=value')
      i++
      if (a === '--config') setFile(v)
      else addOverride(v)
    } else if (a.startsWith('--config=')) setFile(a.slice('--config='.length))
    else if (a.startsWith('--override=')) addOverride(a.slice('--override='.length))
    else if (!a.startsWith('-') && a.endsWith('.properties')) setFile(a)
    else out.rest.push(a)
  }
  return out
}

export interface LoadOptions {
  /** Command-line arguments without node and script (`process.argv.slice(2)`). */
  argv?: readonly string[]
  /** Environment (`process.env`). */
  env?: Readonly<Record<string, string | undefined>>
  /** Working directory for the config file and relative data directories. */
  cwd?: string
  /** Reject arguments other than --config/--override (default true). */
  strictArgs?: boolean
  /** Further MILLRACE_* variables to ignore. */
  ignoreEnv?: readonly string[]
  /** File reader, for tests (default: fs.readFileSync as UTF-8). */
  readFile?: (file: string) => string
}

/**
 * Load the broker configuration: defaults < properties file < MILLRACE_* environment
 * < `--override key=value`. Synchronous (start-up only). Throws {@link ConfigError}
 * listing every problem.
 */
export function loadBrokerConfig(opts: LoadOptions = {}): BrokerConfig {
  const readFile = opts.readFile ?? ((f: string) => readFileSync(f, 'utf8'))
  const cwd = opts.cwd ?? process.cwd()
  const env = opts.env ?? {}
  const args = parseConfigArgs(opts.argv ?? [])
  const issues: ConfigIssue[] = []
  if (opts.strictArgs !== false) {
    for (const a of args.rest) {
      const flag = a.startsWith('-') ? a.split('=')[0]! : a
      const s = unknownConfigMessage(flag, ARG_FLAGS).replace(/^unknown config/, 'unknown argument')
      issues.push({ message: s })
    }
  }

  const settings = new Map<string, StaticSetting>()

  if (args.configFile !== undefined) {
    const file = path.resolve(cwd, args.configFile)
    let text: string | undefined
    try {
      text = readFile(file)
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e)
      issues.push({ message: `cannot read config file '${file}': ${why}` })
    }
    if (text !== undefined) {
      try {
        for (const e of parsePropertyEntries(text, args.configFile)) {
          settings.set(e.key, { value: e.value, origin: 'file', where: `${args.configFile}:${e.line}` })
        }
      } catch (e) {
        if (e instanceof ConfigError) issues.push(...e.issues)
        else throw e
      }
    }
  }

  const ignored = new Set([...RESERVED_ENV_VARS, ...(opts.ignoreEnv ?? [])])
  for (const name of Object.keys(env).sort()) {
    const value = env[name]
    if (value === undefined || ignored.has(name)) continue
    const key = envVarToConfigKey(name)
    if (key === undefined) continue
    settings.set(key, { value, origin: 'env', where: `env ${name}` })
  }

  for (const o of args.overrides) settings.set(o.key, { value: o.value, origin: 'override', where: '--override' })

  if (issues.length > 0) {
    // Report argument/file problems together with any value problems.
    try {
      new BrokerConfig(settings, { cwd })
    } catch (e) {
      if (e instanceof ConfigError) issues.push(...e.issues)
      else throw e
    }
    throw new ConfigError(issues)
  }
  return new BrokerConfig(settings, { cwd })
}

/** Build a config from explicit values (as if each were an --override); for tests and embedding. */
export function createBrokerConfig(values: Readonly<Record<string, string>> = {}, opts: { cwd?: string; dynamic?: DynamicConfigs } = {}): BrokerConfig {
  return new BrokerConfig(values, opts)
}

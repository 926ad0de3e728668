/**
 * The building blocks of the config tables: Kafka's config types, value parsing and
 * validation (with the "expected …" text used in error messages), string formatting
 * as DescribeConfigs shows values, and the ids DescribeConfigs puts on the wire.
 */

/** Kafka's ConfigDef types. */
export type ConfigType = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'class' | 'password'

/** DescribeConfigsResponse `ConfigType` ids (v3+). */
export const CONFIG_TYPE_ID: Readonly<Record<ConfigType, number>> = Object.freeze({
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
})

/** DescribeConfigsResponse `ConfigSource` ids (v1+). */
export const ConfigSource = Object.freeze({
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const)
export type ConfigSourceId = (typeof ConfigSource)[keyof typeof ConfigSource]

/**
 * Kafka's "Update Mode" of a broker config: `read-only` needs a restart; `per-broker`
 * and `cluster-wide` can be changed at run time with AlterConfigs (per broker, or as
 * the cluster default).
 */
export type UpdateMode = 'read-only' | 'per-broker' | 'cluster-wide'

/** Java's Long.MAX_VALUE, which Kafka uses as "no limit"; Millrace keeps int64s as JS numbers. */
export const JAVA_LONG_MAX_TEXT = '9223372036854775807'
const JAVA_LONG_MIN_TEXT = '-9223372036854775808'
/** What a Long.MAX default becomes in Millrace. */
export const LONG_MAX = Number.MAX_SAFE_INTEGER
export const INT_MAX = 2147483647
const INT_MIN = -2147483648

/** Thrown by {@link ConfigDef.parse}; carries the "expected …" text. */
export class InvalidValue extends Error {
  constructor(readonly expected: string) {
    super(`expected ${expected}`)
    this.name = 'InvalidValue'
  }
}

/** One synonym of a topic config: the broker config that supplies its default, and how to convert it. */
export interface SynonymDef {
  readonly name: string
  /** Multiply the broker value by this to get the topic value (hours/minutes → ms). */
  readonly factor?: number
}

export interface DefOptions {
  /** One-line description (shown by DescribeConfigs with documentation requested). */
  doc: string
  /** Update mode for broker configs; topic configs are always alterable. Default read-only. */
  mode?: UpdateMode
  importance?: 'high' | 'medium' | 'low'
  /** Kafka's own default when Millrace's differs, for docs (as Kafka would print it). */
  kafkaDefault?: string | null
}

interface NumberOptions extends DefOptions {
  min?: number
  max?: number
  /** Custom check with its own "expected" text, replacing min/max text. */
  check?: (n: number) => boolean
  expected?: string
}

interface StringOptions extends DefOptions {
  /** Allowed values (case-sensitive, as in Kafka). */
  oneOf?: readonly string[]
  /** Custom check with its own "expected" text. */
  check?: (s: string) => boolean
  /** Structural check that throws {@link InvalidValue} with its own text. */
  validate?: (s: string) => void
  expected?: string
}

interface ListOptions extends DefOptions {
  /** Allowed items (case-sensitive). */
  items?: readonly string[]
  /** Reject an empty list. */
  nonEmpty?: boolean
  /** Reject a repeated item. */
  unique?: boolean
  /** Check each item, with its own "expected" text. */
  checkItem?: (s: string) => boolean
  /** Structural check of the whole raw value that throws {@link InvalidValue} with its own text. */
  validate?: (raw: string) => void
  expected?: string
}

/** A config's schema: type, default, validation, documentation. `T` is the parsed value type. */
export class ConfigDef<T = unknown> {
  /** Set when the definition is placed in a table. */
  name = ''
  readonly doc: string
  /** Update mode; a table may stamp one on all its definitions (topic configs are all alterable). */
  mode: UpdateMode
  readonly importance: 'high' | 'medium' | 'low'
  readonly kafkaDefault: string | null | undefined
  /** Topic configs: the broker configs that supply the default, in Kafka's order of priority. */
  synonyms: readonly SynonymDef[] = []

  constructor(
    readonly type: ConfigType,
    readonly defaultValue: T,
    /** What a valid value looks like, e.g. `an integer ≥ 1`. */
    readonly expected: string,
    private readonly parser: (raw: string) => T,
    opts: DefOptions,
  ) {
    this.doc = opts.doc
    this.mode = opts.mode ?? 'read-only'
    this.importance = opts.importance ?? 'medium'
    this.kafkaDefault = opts.kafkaDefault
  }

  get sensitive(): boolean {
    return this.type === 'password'
  }

  get readOnly(): boolean {
    return this.mode === 'read-only'
  }

  /** Parse and validate a raw string value; throws {@link InvalidValue}. */
  parse(raw: string): T {
    return this.parser(raw)
  }

  /** The value as Kafka would print it (null stays null). */
  format(value: T | null): string | null {
    return formatValue(this.type, value)
  }

  /** The default as DescribeConfigs shows it. */
  get defaultText(): string | null {
    return this.format(this.defaultValue)
  }
}

/** Render a parsed value the way Kafka's ConfigDef.convertToString does. */
export function formatValue(type: ConfigType, value: unknown): string | null {
  if (value === null || value === undefined) return null
  switch (type) {
    case 'list':
      return (value as readonly string[]).join(',')
    case 'double': {
      const n = value as number
      return Number.isInteger(n) ? `${n}.0` : String(n)
    }
    case 'long': {
      const n = value as number
      if (n >= LONG_MAX) return JAVA_LONG_MAX_TEXT
      if (n <= -LONG_MAX) return JAVA_LONG_MIN_TEXT
      return String(n)
    }
    default:
      return String(value)
  }
}

/** A table of definitions keyed by name; stamps each definition with its key (and `opts.mode`, if given). */
export function defineTable<T extends Record<string, ConfigDef<any>>>(table: T, opts: { mode?: UpdateMode } = {}): T {
  for (const [name, def] of Object.entries(table)) {
    def.name = name
    if (opts.mode) def.mode = opts.mode
  }
  return Object.freeze(table)
}

/** The parsed value type of a definition. */
export type ValueOf<D> = D extends ConfigDef<infer T> ? T : never

// ---------------------------------------------------------------------------
// Parsers
// ---------------------------------------------------------------------------

const INTEGER = /^[+-]?\d+$/
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

function rangeText(kind: string, min: number | undefined, max: number | undefined): string {
  const fmt = (n: number) => (n >= LONG_MAX ? JAVA_LONG_MAX_TEXT : String(n))
  if (min !== undefined && max !== undefined) return `${kind} between ${fmt(min)} and ${fmt(max)}`
  if (min !== undefined) return `${kind} ≥ ${fmt(min)}`
  if (max !== undefined) return `${kind} ≤ ${fmt(max)}`
  return kind
}

function integerParser(
  lo: number,
  hi: number,
  expected: string,
  o: NumberOptions,
  clamp: boolean,
): (raw: string) => number {
  return (raw) => {
    const s = raw.trim()
    if (!INTEGER.test(s)) throw new InvalidValue(expected)
    let n = Number(s)
    if (clamp) {
      // Long.MAX_VALUE (and anything past 2^53) means "no limit": keep the largest safe integer.
      if (n > LONG_MAX) n = LONG_MAX
      if (n < -LONG_MAX) n = -LONG_MAX
    }
    if (!Number.isSafeInteger(n) || n < lo || n > hi) throw new InvalidValue(expected)
    if (o.check ? !o.check(n) : (o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max))
      throw new InvalidValue(expected)
    return n
  }
}

function makeInteger(type: 'int' | 'short' | 'long', dflt: number | null, o: NumberOptions): ConfigDef<any> {
  const [lo, hi, kind] =
    type === 'int'
      ? [INT_MIN, INT_MAX, 'an integer']
      : type === 'short'
        ? [-32768, 32767, 'an integer']
        : [-LONG_MAX, LONG_MAX, 'an integer']
  const expected = o.expected ?? rangeText(kind, o.min, o.max)
  return new ConfigDef(type, dflt, expected, integerParser(lo, hi, expected, o, type === 'long'), o)
}

/** A 32-bit integer config. */
export function int(dflt: number, o: NumberOptions): ConfigDef<number>
export function int(dflt: null, o: NumberOptions): ConfigDef<number | null>
export function int(dflt: number | null, o: NumberOptions): ConfigDef<any> {
  return makeInteger('int', dflt, o)
}

/** A 16-bit integer config (Kafka uses these for replication factors). */
export function short(dflt: number, o: NumberOptions): ConfigDef<number> {
  return makeInteger('short', dflt, o)
}

/** A 64-bit integer config, held as a JS number; Long.MAX_VALUE becomes Number.MAX_SAFE_INTEGER. */
export function long(dflt: number, o: NumberOptions): ConfigDef<number>
export function long(dflt: null, o: NumberOptions): ConfigDef<number | null>
export function long(dflt: number | null, o: NumberOptions): ConfigDef<any> {
  return makeInteger('long', dflt, o)
}

/** A floating-point config. */
export function double(dflt: number, o: NumberOptions): ConfigDef<number> {
  const expected = o.expected ?? rangeText('a number', o.min, o.max)
  return new ConfigDef<number>(
    'double',
    dflt,
    expected,
    (raw) => {
      const s = raw.trim()
      if (!DECIMAL.test(s)) throw new InvalidValue(expected)
      const n = Number(s)
      if (!Number.isFinite(n)) throw new InvalidValue(expected)
      if (o.check ? !o.check(n) : (o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max))
        throw new InvalidValue(expected)
      return n
    },
    o,
  )
}

/** A true/false config (case-insensitive, as in Kafka). */
export function bool(dflt: boolean, o: DefOptions): ConfigDef<boolean> {
  const expected = 'true or false'
  return new ConfigDef<boolean>(
    'boolean',
    dflt,
    expected,
    (raw) => {
      const s = raw.trim().toLowerCase()
      if (s === 'true') return true
      if (s === 'false') return false
      throw new InvalidValue(expected)
    },
    o,
  )
}

function stringParser(expected: string, o: StringOptions): (raw: string) => string {
  return (raw) => {
    const s = raw.trim()
    if (o.oneOf && !o.oneOf.includes(s)) throw new InvalidValue(expected)
    if (o.check && !o.check(s)) throw new InvalidValue(expected)
    o.validate?.(s)
    return s
  }
}

function stringExpected(o: StringOptions): string {
  return o.expected ?? (o.oneOf ? `one of ${o.oneOf.join(', ')}` : 'a string')
}

/** A string config, optionally limited to an enumeration. */
export function str<const V extends string>(dflt: V, o: StringOptions & { oneOf: readonly V[] }): ConfigDef<V>
export function str(dflt: string, o: StringOptions): ConfigDef<string>
export function str(dflt: null, o: StringOptions): ConfigDef<string | null>
export function str(dflt: string | null, o: StringOptions): ConfigDef<any> {
  const expected = stringExpected(o)
  return new ConfigDef('string', dflt, expected, stringParser(expected, o), o)
}

/** A secret string: DescribeConfigs reports it as sensitive with a null value. */
export function password(o: DefOptions): ConfigDef<string | null> {
  return new ConfigDef<string | null>('password', null, 'a string', (raw) => raw.trim(), o)
}

const JAVA_CLASS_NAME = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/

/** A Java class name (accepted and reported; Millrace does not load Java classes). */
export function cls(dflt: string | null, o: DefOptions): ConfigDef<string | null> {
  const expected = 'a fully qualified class name'
  return new ConfigDef<string | null>(
    'class',
    dflt,
    expected,
    (raw) => {
      const s = raw.trim()
      if (!JAVA_CLASS_NAME.test(s)) throw new InvalidValue(expected)
      return s
    },
    o,
  )
}

/** Split a Kafka LIST value: commas with optional whitespace; an empty string is an empty list. */
export function splitList(raw: string): string[] {
  const s = raw.trim()
  if (s === '') return []
  return s.split(/\s*,\s*/).filter((x) => x !== '')
}

/** A comma-separated list config. */
export function list<const V extends string>(
  dflt: readonly V[],
  o: ListOptions & { items: readonly V[] },
): ConfigDef<readonly V[]>
export function list(dflt: readonly string[], o: ListOptions): ConfigDef<readonly string[]>
export function list(dflt: null, o: ListOptions): ConfigDef<readonly string[] | null>
export function list(dflt: readonly string[] | null, o: ListOptions): ConfigDef<any> {
  const expected =
    o.expected ??
    (o.items
      ? `a comma-separated list of ${o.items.join(', ')}${o.nonEmpty ? ' (at least one)' : ''}`
      : `a comma-separated list${o.nonEmpty ? ' (at least one item)' : ''}`)
  return new ConfigDef(
    'list',
    dflt === null ? null : Object.freeze([...dflt]),
    expected,
    (raw) => {
      const items = splitList(raw)
      if (o.nonEmpty && items.length === 0) throw new InvalidValue(expected)
      if (o.unique && new Set(items).size !== items.length) throw new InvalidValue(`${expected}, without repeats`)
      for (const item of items) {
        if (o.items && !o.items.includes(item)) throw new InvalidValue(expected)
        if (o.checkItem && !o.checkItem(item)) throw new InvalidValue(expected)
      }
      o.validate?.(raw)
      return Object.freeze(items)
    },
    o,
  )
}

/** Attach the broker synonyms of a topic config (Kafka's ServerTopicConfigSynonyms order). */
export function withSynonyms<D extends ConfigDef<any>>(def: D, ...synonyms: (string | SynonymDef)[]): D {
  def.synonyms = Object.freeze(synonyms.map((s) => (typeof s === 'string' ? { name: s } : s)))
  return def
}

export const HOURS_TO_MS = 60 * 60 * 1000
export const MINUTES_TO_MS = 60 * 1000

/** One entry of a DescribeConfigs answer. */
export interface ConfigSynonymEntry {
  name: string
  /** null for sensitive configs and unset values. */
  value: string | null
  source: ConfigSourceId
}

export interface ConfigEntry {
  name: string
  /** null for sensitive configs and unset values. */
  value: string | null
  source: ConfigSourceId
  /** DescribeConfigs v0's `isDefault`: whether the value is the built-in default. */
  isDefault: boolean
  isSensitive: boolean
  readOnly: boolean
  synonyms: ConfigSynonymEntry[]
  configType: ConfigType
  /** {@link CONFIG_TYPE_ID} of `configType`, as DescribeConfigs v3+ sends it. */
  configTypeId: number
  documentation: string
}

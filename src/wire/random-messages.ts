// Seeded random values of any generated message at any version, valid for that version, and the
// value a decoder must return for them. Test support for the round-trip and fuzz tests and the
// benchmarks; it walks the field tuples in generated/schemas.ts, so it needs no spec files.

import { SCHEMAS, type FieldTuple, type MessageSchema } from './generated/schemas.js'
import { ZERO_UUID } from './codec/uuid.js'
import { API_CODECS } from './generated/index.js'
import { encodeRequest, type ApiKeyNumber } from './protocol.js'

// ---------------------------------------------------------------------------------------------
// A small, fast, seeded generator (mulberry32): the same seed gives the same values everywhere.

export class Rng {
  private s: number
  constructor(seed: number) {
    this.s = seed >>> 0
  }
  /** A uint32. */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
  /** 0 <= x < n */
  int(n: number): number {
    return n <= 0x100000000 ? Math.floor((this.next() / 0x100000000) * n) : Math.floor(this.float() * n)
  }
  /** lo <= x <= hi */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1)
  }
  float(): number {
    return (this.next() * 0x200000 + (this.next() >>> 11)) / 2 ** 53
  }
  chance(p: number): boolean {
    return this.float() < p
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n)
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff
    return b
  }
}

// ---------------------------------------------------------------------------------------------
// The field model

/** A version range; empty when hi < lo. */
export interface VersionRange {
  lo: number
  hi: number
}

export function parseVersions(s: string | undefined): VersionRange {
  if (s === undefined || s === '' || s === 'none') return { lo: 0, hi: -1 }
  if (s.endsWith('+')) return { lo: Number(s.slice(0, -1)), hi: Infinity }
  const dash = s.indexOf('-')
  if (dash > 0) return { lo: Number(s.slice(0, dash)), hi: Number(s.slice(dash + 1)) }
  return { lo: Number(s), hi: Number(s) }
}

export function inRange(r: VersionRange, v: number): boolean {
  return v >= r.lo && v <= r.hi
}

export type TypeModel = { kind: 'prim'; prim: string } | { kind: 'struct'; name: string } | { kind: 'array'; elem: TypeModel }

export interface FieldModel {
  prop: string
  type: TypeModel
  versions: VersionRange
  nullable: VersionRange
  tagged: VersionRange
  tag: number
  dflt: string | number | boolean | null | undefined
  ignorable: boolean
}

export interface MessageModel {
  schema: MessageSchema
  name: string
  valid: VersionRange
  flexible: VersionRange
  structs: Map<string, FieldModel[]>
}

const PRIMS = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'uuid', 'string', 'bytes', 'records'])

function typeModel(t: string): TypeModel {
  if (t.startsWith('[]')) return { kind: 'array', elem: typeModel(t.slice(2)) }
  return PRIMS.has(t) ? { kind: 'prim', prim: t } : { kind: 'struct', name: t }
}

function fieldModel(t: FieldTuple): FieldModel {
  const [prop, type, versions, nullable, tagged, tag, dflt, ignorable] = t
  return {
    prop,
    type: typeModel(type),
    versions: parseVersions(versions),
    nullable: parseVersions(nullable),
    tagged: parseVersions(tagged),
    tag: tag ?? -1,
    dflt: dflt === '' ? undefined : dflt,
    ignorable: ignorable === 1,
  }
}

const models = new Map<string, MessageModel>()

/** The model of a message, header or schema by its spec name (ProduceRequest, PartitionRecord, ...). */
export function messageModel(name: string): MessageModel {
  let m = models.get(name)
  if (!m) {
    const schema = SCHEMAS.find(s => s.name === name)
    if (!schema) throw new Error(`no schema named ${name}`)
    m = {
      schema,
      name,
      valid: parseVersions(schema.valid),
      flexible: parseVersions(schema.flexible),
      structs: new Map(Object.entries(schema.structs).map(([k, fs]) => [k, fs.map(fieldModel)])),
    }
    models.set(name, m)
  }
  return m
}

export function allSchemas(): readonly MessageSchema[] {
  return SCHEMAS
}

// ---------------------------------------------------------------------------------------------
// Defaults, as Kafka's generator defines them (FieldSpec.fieldDefault)

function canBeNull(f: FieldModel): boolean {
  return f.nullable.hi >= f.nullable.lo
}

export function defaultValue(m: MessageModel, f: FieldModel): unknown {
  const d = f.dflt
  if (canBeNull(f) && (d === 'null' || d === null)) return null
  const t = f.type
  if (t.kind === 'array') return []
  if (t.kind === 'struct') return defaultStruct(m, t.name)
  switch (t.prim) {
    case 'bool':
      return d === true || d === 'true'
    case 'string':
      return d === undefined ? '' : String(d)
    case 'uuid':
      return ZERO_UUID
    case 'bytes':
      return Buffer.alloc(0)
    case 'records':
      return canBeNull(f) ? null : Buffer.alloc(0)
    default:
      return d === undefined ? 0 : Number(d)
  }
}

export function defaultStruct(m: MessageModel, name: string): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of m.structs.get(name)!) out[f.prop] = defaultValue(m, f)
  return out
}

// ---------------------------------------------------------------------------------------------
// Random values

const CHARS = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._ ',
  'é',
  'ß',
  'Ω',
  'ж',
  '漢',
  '字',
  '€',
  '\u0000',
  '\u007f',
  '😀',
  '🚀',
  '\u{10ffff}',
]

export interface RandomOptions {
  /** Most elements an array gets (default 3). */
  maxArray?: number
  /** Chance that a nullable field is null (default 0.2). */
  nullChance?: number
}

export interface RandomMessage {
  /** What to hand the encoder: fields the version lacks are left out or set to their default. */
  input: Record<string, unknown>
  /** What the decoder must return: every field, the absent ones at their default. */
  expected: Record<string, unknown>
}

class Gen {
  constructor(
    readonly m: MessageModel,
    readonly version: number,
    readonly rng: Rng,
    readonly maxArray: number,
    readonly nullChance: number,
  ) {}

  string(): string {
    const r = this.rng
    // Mostly short; sometimes long enough that a compact length needs two varint bytes.
    const n = r.chance(0.05) ? r.range(100, 300) : r.int(13)
    let s = ''
    for (let i = 0; i < n; i++) s += r.pick(CHARS)
    return s
  }

  bytes(): Buffer {
    const r = this.rng
    // Now and then above the writer's zero-copy threshold (512), so references are exercised.
    return r.bytes(r.chance(0.05) ? r.range(500, 700) : r.int(21))
  }

  prim(p: string): unknown {
    const r = this.rng
    switch (p) {
      case 'bool':
        return r.chance(0.5)
      case 'int8':
        return r.range(-128, 127)
      case 'int16':
        return r.range(-32768, 32767)
      case 'uint16':
        return r.range(0, 65535)
      case 'int32':
        return r.chance(0.3) ? r.range(-2, 100) : (r.next() | 0)
      case 'uint32':
        return r.next()
      case 'int64': {
        const k = r.int(4)
        if (k === 0) return r.range(-2, 1000)
        if (k === 1) return r.chance(0.5) ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER
        const v = r.int(2 ** 53)
        return r.chance(0.5) ? -v : v
      }
      case 'float64': {
        const k = r.int(6)
        if (k === 0) return r.pick([0, -0, 1.5, Infinity, -Infinity, NaN, Number.MIN_VALUE, Number.MAX_VALUE])
        const x = r.float() * 10 ** r.range(-20, 20)
        return r.chance(0.5) ? -x : x
      }
      case 'uuid':
        return r.bytes(16).toString('base64url')
      case 'string':
        return this.string()
      case 'bytes':
      case 'records':
        return this.bytes()
    }
    throw new Error(`unknown type ${p}`)
  }

  /** A random value of type t; returns [input, expected]. */
  value(t: TypeModel): [unknown, unknown] {
    if (t.kind === 'prim') {
      const v = this.prim(t.prim)
      return [v, v]
    }
    if (t.kind === 'struct') return this.struct(t.name)
    const n = this.rng.int(this.maxArray + 1)
    const input: unknown[] = []
    const expected: unknown[] = []
    for (let i = 0; i < n; i++) {
      const [a, b] = this.value(t.elem)
      input.push(a)
      expected.push(b)
    }
    return [input, expected]
  }

  field(f: FieldModel): [unknown, unknown] {
    if (inRange(f.nullable, this.version) && this.rng.chance(this.nullChance)) return [null, null]
    return this.value(f.type)
  }

  struct(name: string): [Record<string, unknown>, Record<string, unknown>] {
    const input: Record<string, unknown> = {}
    const expected: Record<string, unknown> = {}
    const r = this.rng
    const v = this.version
    for (const f of this.m.structs.get(name)!) {
      const dflt = defaultValue(this.m, f)
      const present = inRange(f.versions, v)
      if (present && inRange(f.tagged, v)) {
        // A tagged field: left out, set to its default, or set.
        const k = r.int(5)
        if (k === 0) {
          expected[f.prop] = dflt
        } else if (k === 1) {
          input[f.prop] = dflt
          expected[f.prop] = dflt
        } else {
          ;[input[f.prop], expected[f.prop]] = this.field(f)
        }
      } else if (present) {
        ;[input[f.prop], expected[f.prop]] = this.field(f)
      } else {
        // Not in this version: left out, set to the default, or (when ignorable) set to
        // anything, which the encoder must drop silently.
        const k = r.int(3)
        if (k === 1) input[f.prop] = dflt
        else if (k === 2 && f.ignorable) input[f.prop] = this.value(f.type)[0]
        expected[f.prop] = dflt
      }
    }
    return [input, expected]
  }
}

/** A random valid value of message `name` at `version`, and what decoding its encoding yields. */
export function randomMessage(name: string, version: number, rng: Rng, opts: RandomOptions = {}): RandomMessage {
  const m = messageModel(name)
  const g = new Gen(m, version, rng, opts.maxArray ?? 3, opts.nullChance ?? 0.2)
  const [input, expected] = g.struct(name)
  return { input, expected }
}

// ---------------------------------------------------------------------------------------------
// Comparison

/** The first difference between two decoded values as a path and description, or null. */
export function firstDifference(a: unknown, b: unknown, path = '$'): string | null {
  if (Object.is(a, b)) return null
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) {
    if (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b)) return null
    return `${path}: ${show(a)} != ${show(b)}`
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return `${path}: ${show(a)} != ${show(b)}`
    if (a.length !== b.length) return `${path}: length ${a.length} != ${b.length}`
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`)
      if (d) return d
    }
    return null
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a as object).sort()
    const kb = Object.keys(b as object).sort()
    if (ka.join() !== kb.join()) return `${path}: keys [${ka}] != [${kb}]`
    for (const k of ka) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`)
      if (d) return d
    }
    return null
  }
  return `${path}: ${show(a)} != ${show(b)}`
}

function show(x: unknown): string {
  if (Buffer.isBuffer(x)) return `<Buffer ${x.length}: ${x.subarray(0, 16).toString('hex')}>`
  if (typeof x === 'number') return Object.is(x, -0) ? '-0' : String(x)
  return JSON.stringify(x) ?? String(x)
}

// ---------------------------------------------------------------------------------------------
// Trimming a hand-written value to one version

/**
 * A copy of `value` (a message `name` written with every field of its newest version) without the
 * fields that `version` lacks, so a test can write one value and encode it at every version.
 */
export function restrictToVersion(name: string, version: number, value: Record<string, unknown>): Record<string, unknown> {
  const m = messageModel(name)
  const walk = (structName: string, v: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    const fields = new Map(m.structs.get(structName)!.map(f => [f.prop, f]))
    for (const [k, x] of Object.entries(v)) {
      const f = fields.get(k)
      if (!f) throw new Error(`${structName} has no field ${k}`)
      if (!inRange(f.versions, version)) continue
      out[k] = x == null ? x : shape(f.type, x)
    }
    return out
  }
  const shape = (t: TypeModel, x: unknown): unknown => {
    if (t.kind === 'struct') return walk(t.name, x as Record<string, unknown>)
    if (t.kind === 'array' && t.elem.kind === 'struct') return (x as unknown[]).map(e => shape(t.elem, e))
    return x
  }
  return walk(name, value)
}

/**
 * The first way `actual` fails to contain `pattern`: objects need only the pattern's keys, arrays
 * the same length, Buffers the same bytes, functions are predicates. Null when it matches.
 */
export function subsetDifference(actual: unknown, pattern: unknown, path = '$'): string | null {
  if (typeof pattern === 'function') return (pattern as (x: unknown) => boolean)(actual) ? null : `${path}: ${show(actual)} fails ${pattern.name || 'the check'}`
  if (Buffer.isBuffer(pattern)) return Buffer.isBuffer(actual) && actual.equals(pattern) ? null : `${path}: ${show(actual)} != ${show(pattern)}`
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual)) return `${path}: ${show(actual)} is not an array`
    if (actual.length !== pattern.length) return `${path}: length ${actual.length} != ${pattern.length}`
    for (let i = 0; i < pattern.length; i++) {
      const d = subsetDifference(actual[i], pattern[i], `${path}[${i}]`)
      if (d) return d
    }
    return null
  }
  if (pattern !== null && typeof pattern === 'object') {
    if (actual === null || typeof actual !== 'object') return `${path}: ${show(actual)} is not an object`
    for (const [k, p] of Object.entries(pattern)) {
      const d = subsetDifference((actual as Record<string, unknown>)[k], p, `${path}.${k}`)
      if (d) return d
    }
    return null
  }
  return Object.is(actual, pattern) ? null : `${path}: ${show(actual)} != ${show(pattern)}`
}

// ---------------------------------------------------------------------------------------------
// Fuzzing: valid frames and their mutations (src/wire/fuzz.test.ts; exported for replaying a case)

/** One valid request frame (no size prefix) of a random API and version. */
export function validRequestFrame(rng: Rng, apiKey?: number, version?: number): Buffer {
  const keys = [...API_CODECS.keys()]
  const key = apiKey ?? rng.pick(keys)
  const api = API_CODECS.get(key)!
  const v = version ?? rng.range(api.minVersion, api.maxVersion)
  const { input } = randomMessage(`${api.name}Request`, v, rng, { maxArray: 2 })
  const w = encodeRequest(key as ApiKeyNumber, v, { correlationId: rng.next() | 0, clientId: rng.chance(0.2) ? null : 'fuzz' }, input as never)
  return Buffer.concat(w.chunks())
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff]

/** One mutation of `b`; returns a new buffer. */
export function mutateOnce(rng: Rng, b: Buffer): Buffer {
  const out = Buffer.from(b)
  switch (rng.int(6)) {
    case 0: {
      // bit flips
      const n = rng.range(1, 8)
      for (let i = 0; i < n && out.length; i++) out[rng.int(out.length)] ^= 1 << rng.int(8)
      return out
    }
    case 1: {
      // byte changes, often to boundary values (lengths of -1, 0x7fffffff, varint continuations)
      const n = rng.range(1, 4)
      for (let i = 0; i < n && out.length; i++) out[rng.int(out.length)] = rng.chance(0.6) ? rng.pick(INTERESTING) : rng.int(256)
      return out
    }
    case 2: {
      // a run of 0xff or 0x00 (a length or count gone wild)
      if (!out.length) return out
      const at = rng.int(out.length)
      out.fill(rng.chance(0.5) ? 0xff : 0x80, at, Math.min(out.length, at + rng.range(1, 5)))
      return out
    }
    case 3: {
      // insertion
      const at = rng.int(b.length + 1)
      return Buffer.concat([b.subarray(0, at), rng.bytes(rng.range(1, 16)), b.subarray(at)])
    }
    case 4: {
      // deletion
      if (!b.length) return out
      const at = rng.int(b.length)
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + rng.range(1, 16)))])
    }
    default:
      // truncation
      return out.subarray(0, rng.int(out.length + 1))
  }
}

/** A fuzzed frame: a mutated valid request (1-3 mutations), a truncation, or random bytes. */
export function fuzzFrame(rng: Rng, base: () => Buffer): Buffer {
  const k = rng.int(10)
  if (k === 0) {
    // Random bytes behind a plausible header.
    const r = rng.bytes(rng.int(120))
    if (r.length >= 4 && rng.chance(0.7)) {
      const api = rng.pick([...API_CODECS.values()])
      r.writeInt16BE(api.apiKey, 0)
      r.writeInt16BE(rng.range(api.minVersion, api.maxVersion), 2)
    }
    return r
  }
  if (k === 1) {
    const b = base()
    return b.subarray(0, rng.int(b.length))
  }
  let b = base()
  const n = rng.range(1, 3)
  for (let i = 0; i < n; i++) b = mutateOnce(rng, b)
  return b
}

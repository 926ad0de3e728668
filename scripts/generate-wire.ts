// Generates src/wire/generated/ from Apache Kafka's JSON message specs.
//
//   npx tsx scripts/generate-wire.ts [--specs ../shared/kafka-protocol] [--out src/wire/generated] [--check]
//
// One file per API (request + response), per KRaft metadata record, per internal-topic schema and
// per `data` schema. Each message and struct gets a read and a write function that take the
// version as an argument and branch on it inline, the way Kafka's own generated Java does: the
// branches are integer compares, and one function per message keeps the output readable.
// schemas.ts describes every message's fields compactly (names, types, version ranges, defaults)
// for tests that build random valid values; the codecs do not import it.
// With --check nothing is written; the exit code says whether the files on disk are current.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

// ---------------------------------------------------------------------------------------------
// Spec model

interface FieldSpec {
  name: string
  type: string
  versions?: string
  nullableVersions?: string
  taggedVersions?: string
  tag?: number
  default?: string | number | boolean | null
  ignorable?: boolean
  flexibleVersions?: string
  fields?: FieldSpec[]
  about?: string
}

interface MessageSpec {
  apiKey?: number
  type: 'request' | 'response' | 'header' | 'data' | 'metadata'
  name: string
  validVersions: string
  flexibleVersions: string
  fields: FieldSpec[]
  commonStructs?: Array<{ name: string; versions?: string; fields: FieldSpec[] }>
  latestVersionUnstable?: boolean
  listeners?: string[]
}

/** A version range from a spec string: "3", "0-7", "5+" or "none". */
class Versions {
  constructor(
    readonly lo: number,
    readonly hi: number,
  ) {}

  static readonly NONE = new Versions(0, -1)

  static parse(s: string | undefined): Versions {
    if (s === undefined || s === 'none') return Versions.NONE
    const plus = /^(\d+)\+$/.exec(s)
    if (plus) return new Versions(Number(plus[1]), Infinity)
    const range = /^(\d+)-(\d+)$/.exec(s)
    if (range) return new Versions(Number(range[1]), Number(range[2]))
    if (/^\d+$/.test(s)) return new Versions(Number(s), Number(s))
    throw new Error(`bad version range '${s}'`)
  }

  get empty(): boolean {
    return this.hi < this.lo
  }

  intersect(o: Versions): Versions {
    return new Versions(Math.max(this.lo, o.lo), Math.min(this.hi, o.hi))
  }

  covers(o: Versions): boolean {
    return o.empty || (this.lo <= o.lo && this.hi >= o.hi)
  }

  /** A JS condition on `version` that is true for this range, given the message's valid range. */
  cond(valid: Versions): string {
    const r = this.intersect(valid)
    if (r.empty) return 'false'
    const parts: string[] = []
    if (r.lo > valid.lo) parts.push(`version >= ${r.lo}`)
    if (r.hi < valid.hi) parts.push(r.lo === r.hi ? `version === ${r.hi}` : `version <= ${r.hi}`)
    if (parts.length === 2 && r.lo === r.hi) return `version === ${r.lo}`
    return parts.length === 0 ? 'true' : parts.join(' && ')
  }
}

type Prim = 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64' | 'uuid' | 'string' | 'bytes' | 'records'
const PRIMS = new Set<string>(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'uuid', 'string', 'bytes', 'records'])

type FieldType = { kind: 'prim'; prim: Prim } | { kind: 'struct'; struct: StructDef } | { kind: 'array'; elem: FieldType }

interface Field {
  spec: FieldSpec
  prop: string // TypeScript property name
  type: FieldType
  versions: Versions
  nullable: Versions
  tagged: Versions
  flexible: Versions | null // a field-level override of the message's flexible versions
}

interface StructDef {
  name: string // spec name
  tsName: string // qualified TS type name: Message or Message.Struct
  fnName: string // suffix of the generated functions
  fields: Field[]
}

function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1)
}

function kebab(name: string): string {
  return name.replace('KRaft', 'Kraft').replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase()
}

function readSpec(path: string): MessageSpec {
  const text = readFileSync(path, 'utf8')
    .split('\n')
    .filter(line => !line.trimStart().startsWith('//'))
    .join('\n')
  return JSON.parse(text) as MessageSpec
}

// ---------------------------------------------------------------------------------------------
// Resolving a spec into structs and fields

class MessageModel {
  readonly valid: Versions
  readonly flexible: Versions
  readonly structs: StructDef[] = []
  readonly root: StructDef
  private readonly byName = new Map<string, StructDef>()
  private readonly common = new Map<string, { fields: FieldSpec[] }>()

  constructor(readonly spec: MessageSpec) {
    this.valid = Versions.parse(spec.validVersions)
    this.flexible = Versions.parse(spec.flexibleVersions)
    for (const cs of spec.commonStructs ?? []) this.common.set(cs.name, cs)
    this.root = this.defineStruct(spec.name, spec.name, spec.name, spec.fields)
  }

  private defineStruct(name: string, tsName: string, fnName: string, specs: FieldSpec[]): StructDef {
    const def: StructDef = { name, tsName, fnName, fields: [] }
    this.byName.set(name, def)
    this.structs.push(def)
    def.fields = specs.map(f => this.resolveField(f))
    return def
  }

  private resolveField(f: FieldSpec): Field {
    return {
      spec: f,
      prop: camel(f.name),
      type: this.resolveType(f.type, f),
      // As in Kafka's FieldSpec: a field with taggedVersions and no versions exists in its tagged versions.
      versions: Versions.parse(f.versions ?? f.taggedVersions),
      nullable: Versions.parse(f.nullableVersions),
      tagged: Versions.parse(f.taggedVersions),
      flexible: f.flexibleVersions === undefined ? null : Versions.parse(f.flexibleVersions),
    }
  }

  private resolveType(type: string, f: FieldSpec): FieldType {
    if (type.startsWith('[]')) return { kind: 'array', elem: this.resolveType(type.slice(2), f) }
    if (PRIMS.has(type)) return { kind: 'prim', prim: type as Prim }
    const root = this.spec.name
    if (f.fields) {
      if (this.byName.has(type)) throw new Error(`${root}: struct ${type} defined twice`)
      return { kind: 'struct', struct: this.defineStruct(type, `${root}.${type}`, `${root}_${type}`, f.fields) }
    }
    const known = this.byName.get(type)
    if (known) return { kind: 'struct', struct: known }
    const cs = this.common.get(type)
    if (!cs) throw new Error(`${root}: unknown type ${type}`)
    return { kind: 'struct', struct: this.defineStruct(type, `${root}.${type}`, `${root}_${type}`, cs.fields) }
  }
}

// ---------------------------------------------------------------------------------------------
// Emitting TypeScript

const INT_PRIMS = new Set(['int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64'])

function tsType(t: FieldType): string {
  switch (t.kind) {
    case 'array': {
      const e = tsType(t.elem)
      return `${e}[]`
    }
    case 'struct':
      return t.struct.tsName
    case 'prim':
      if (t.prim === 'bool') return 'boolean'
      if (INT_PRIMS.has(t.prim)) return 'number'
      if (t.prim === 'string') return 'string'
      if (t.prim === 'uuid') return 'Uuid'
      return 'Buffer'
  }
}

function canBeNull(f: Field): boolean {
  return !f.nullable.empty
}

/** The JS expression of a field's default value. */
function defaultExpr(f: Field): string {
  const d = f.spec.default
  if (canBeNull(f) && (d === 'null' || d === null)) return 'null'
  const t = f.type
  if (t.kind === 'array') return '[]'
  // As in Kafka's generator (FieldSpec.fieldDefault): a struct defaults to the empty struct unless
  // its default is "null" (handled above), even when it is nullable.
  if (t.kind === 'struct') return `default_${t.struct.fnName}()`
  switch (t.prim) {
    case 'bool':
      return d === true || d === 'true' ? 'true' : 'false'
    case 'string':
      return JSON.stringify(d === undefined ? '' : String(d))
    case 'uuid':
      return 'ZERO_UUID'
    case 'bytes':
      // Empty unless the default is "null" (handled above), even when nullable.
      return 'EMPTY'
    case 'records':
      // Records default to null in Kafka.
      return canBeNull(f) ? 'null' : 'EMPTY'
    default: {
      if (d === undefined || d === '') return '0'
      const n = Number(d)
      if (!Number.isFinite(n)) throw new Error(`bad default ${d} for ${f.spec.name}`)
      return String(n)
    }
  }
}

/**
 * A JS condition that is true when `v` holds the field's default; undefined counts as default.
 * As in Kafka's generator (FieldSpec.generateNonDefaultValueCheck), null is a non-default value
 * of a nullable field whose default is not null.
 */
function isDefaultExpr(f: Field, v: string): string {
  const d = defaultExpr(f)
  const t = f.type
  if (d === 'null') return `(${v} == null)`
  const nn = canBeNull(f) ? `${v} === undefined || (${v} !== null && ` : `${v} == null || (`
  if (t.kind === 'array') return `(${nn}${v}.length === 0))`
  if (t.kind === 'struct') return `(${nn}isDefault_${t.struct.fnName}(${v})))`
  if (t.prim === 'bytes' || t.prim === 'records') return `(${nn}${v}.length === 0))`
  return `(${v} === undefined || ${v} === ${d})`
}

class Emitter {
  private tmp = 0
  /** Emitting a tagged field's value: a nullable struct's presence marker is then a uvarint. */
  private inTag = false
  readonly lines: string[] = []

  constructor(private readonly model: MessageModel) {}

  private fresh(base: string): string {
    return `${base}${this.tmp++}`
  }

  /** Whether this field uses the compact encoding: a JS expression. */
  private flexExpr(f: Field): string {
    if (f.flexible) return f.flexible.cond(this.model.valid)
    return 'flex'
  }

  // --- reading --------------------------------------------------------------------------------

  /** Lines that read one value of type t into `target` (already declared). */
  private readValue(t: FieldType, f: Field, target: string, flex: string, nullable: string, indent: string): string[] {
    const out: string[] = []
    const nul = nullable
    if (t.kind === 'prim') {
      const p = t.prim
      let expr: string
      switch (p) {
        case 'string':
        case 'bytes':
        case 'records': {
          const base = p === 'string' ? 'String' : 'Bytes'
          const plain = p === 'string' ? 'string' : 'bytes'
          const mk = (compact: boolean, canNull: boolean): string =>
            `r.${compact ? `compact${canNull ? 'Nullable' : ''}${base}` : canNull ? `nullable${base}` : plain}()`
          const pick = (canNull: boolean): string =>
            flex === 'true' ? mk(true, canNull) : flex === 'false' ? mk(false, canNull) : `(${flex} ? ${mk(true, canNull)} : ${mk(false, canNull)})`
          expr = nul === 'true' ? pick(true) : nul === 'false' ? pick(false) : `(${nul} ? ${pick(true)} : ${pick(false)})`
          break
        }
        default:
          expr = `r.${p}()`
      }
      out.push(`${indent}${target} = ${expr}`)
      return out
    }
    if (t.kind === 'struct') {
      const call = `read_${t.struct.fnName}(r, version)`
      if (nul === 'false') {
        out.push(`${indent}${target} = ${call}`)
      } else {
        // A nullable struct is preceded by a presence byte: -1 for null, 1 for present. In a tagged
        // field it is an unsigned varint instead: 0 for null, 1 for present (as Kafka writes it).
        const mark = this.inTag ? 'r.uvarint() > 0' : 'r.int8() >= 0'
        const present = nul === 'true' ? mark : `!(${nul}) || ${mark}`
        out.push(`${indent}${target} = ${present} ? ${call} : null`)
      }
      return out
    }
    // array
    const n = this.fresh('n')
    const arr = this.fresh('a')
    const i = this.fresh('i')
    const lenExpr = flex === 'true' ? 'r.compactArrayLength()' : flex === 'false' ? 'r.arrayLength()' : `(${flex} ? r.compactArrayLength() : r.arrayLength())`
    out.push(`${indent}const ${n} = ${lenExpr}`)
    out.push(`${indent}if (${n} < 0) {`)
    if (nul === 'false') out.push(`${indent}  throw new DecodeError('non-nullable field ${f.spec.name} was null')`)
    else if (nul === 'true') out.push(`${indent}  ${target} = null`)
    else {
      out.push(`${indent}  if (!(${nul})) throw new DecodeError('non-nullable field ${f.spec.name} was null')`)
      out.push(`${indent}  ${target} = null`)
    }
    out.push(`${indent}} else {`)
    out.push(`${indent}  const ${arr}: ${tsType(t.elem)}[] = new Array(${n})`)
    out.push(`${indent}  for (let ${i} = 0; ${i} < ${n}; ${i}++) {`)
    const el = this.fresh('e')
    out.push(`${indent}    let ${el}: ${tsType(t.elem)}`)
    out.push(...this.readValue(t.elem, f, el, flex, 'false', `${indent}    `))
    out.push(`${indent}    ${arr}[${i}] = ${el}`)
    out.push(`${indent}  }`)
    out.push(`${indent}  ${target} = ${arr}`)
    out.push(`${indent}}`)
    return out
  }

  private nullCond(f: Field): string {
    if (f.nullable.empty) return 'false'
    // Within the versions where the field exists, is it nullable everywhere?
    const present = f.versions.intersect(this.model.valid)
    if (f.nullable.covers(present)) return 'true'
    return f.nullable.cond(this.model.valid)
  }

  private fieldTsType(f: Field): string {
    return tsType(f.type) + (canBeNull(f) ? ' | null' : '')
  }

  emitRead(s: StructDef): void {
    const isRoot = s === this.model.root
    const L = this.lines
    L.push(`function read_${s.fnName}(r: Reader, version: number): ${s.tsName} {`)
    const hasFlex = !this.model.flexible.intersect(this.model.valid).empty
    L.push(`  const flex = ${hasFlex ? this.model.flexible.cond(this.model.valid) : 'false'}`)
    for (const f of s.fields) {
      const v = `f_${f.prop}`
      const regular = this.regularVersions(f)
      const cond = regular.cond(this.model.valid)
      const isTagged = !f.tagged.intersect(this.model.valid).empty
      if (cond === 'true' && f.type.kind === 'prim' && !isTagged) {
        // Present in every version: read straight into a constant.
        const [line] = this.readValue(f.type, f, v, this.flexExpr(f), this.nullCond(f), '  ')
        L.push(line.replace(`  ${v} = `, `  const ${v}: ${this.fieldTsType(f)} = `))
        continue
      }
      // The default is built only when the field is not read (no throw-away arrays and structs).
      if (cond === 'false') {
        L.push(`  ${isTagged ? 'let' : 'const'} ${v}: ${this.fieldTsType(f)} = ${defaultExpr(f)}`)
        continue
      }
      L.push(`  let ${v}: ${this.fieldTsType(f)}`)
      if (cond === 'true') {
        L.push(...this.readValue(f.type, f, v, this.flexExpr(f), this.nullCond(f), '  '))
      } else {
        L.push(`  if (${cond}) {`)
        L.push(...this.readValue(f.type, f, v, this.flexExpr(f), this.nullCond(f), '    '))
        L.push('  } else {')
        L.push(`    ${v} = ${defaultExpr(f)}`)
        L.push('  }')
      }
    }
    const tagged = s.fields.filter(f => !f.tagged.intersect(this.model.valid).empty)
    if (hasFlex) {
      L.push('  if (flex) {')
      if (tagged.length === 0) {
        L.push('    r.skipTaggedFields()')
      } else {
        L.push('    let tags = r.uvarint()')
        L.push('    while (tags-- > 0) {')
        L.push('      const tag = r.uvarint()')
        L.push('      const size = r.uvarint()')
        L.push('      const end = r.pos + size')
        L.push('      if (end > r.end) throw new DecodeError(`tagged field ${tag} of size ${size} runs past the message`)')
        L.push('      switch (tag) {')
        for (const f of [...tagged].sort((a, b) => (a.spec.tag ?? 0) - (b.spec.tag ?? 0))) {
          const cond = f.tagged.cond(this.model.valid)
          L.push(`        case ${f.spec.tag}:`)
          L.push(`          if (${cond}) {`)
          this.inTag = true
          L.push(...this.readValue(f.type, f, `f_${f.prop}`, 'true', this.nullCond(f), '            '))
          this.inTag = false
          L.push(`            if (r.pos !== end) throw new DecodeError('tagged field ${f.spec.name} has the wrong size')`)
          L.push('            break')
          L.push('          }')
          L.push('          r.pos = end')
          L.push('          break')
        }
        L.push('        default:')
        L.push('          r.pos = end')
        L.push('      }')
        L.push('    }')
      }
      L.push('  }')
    }
    L.push(`  return { ${s.fields.map(f => `${f.prop}: f_${f.prop}`).join(', ')} }`)
    L.push('}')
    L.push('')
    void isRoot
  }

  /** Versions in which the field is a regular (positional) field. */
  private regularVersions(f: Field): Versions {
    if (f.tagged.empty) return f.versions
    // Kafka's specs use a field as tagged in all of its versions; anything else is not supported.
    if (!f.tagged.covers(f.versions.intersect(this.model.valid))) {
      throw new Error(`${this.model.spec.name}.${f.spec.name}: regular in some versions and tagged in others`)
    }
    return Versions.NONE
  }

  // --- writing --------------------------------------------------------------------------------

  private writeValue(t: FieldType, f: Field, value: string, flex: string, nullable: string, indent: string, w = 'w'): string[] {
    const out: string[] = []
    const nul = nullable
    if (t.kind === 'prim') {
      const p = t.prim
      switch (p) {
        case 'string':
        case 'bytes':
        case 'records': {
          const base = p === 'string' ? 'String' : 'Bytes'
          const plain = p === 'string' ? 'string' : 'bytes'
          const mk = (compact: boolean, canNull: boolean, v: string): string =>
            `${w}.${compact ? `compact${canNull ? 'Nullable' : ''}${base}` : canNull ? `nullable${base}` : plain}(${v})`
          const pick = (canNull: boolean, v: string): string =>
            flex === 'true'
              ? mk(true, canNull, v)
              : flex === 'false'
                ? mk(false, canNull, v)
                : `if (${flex}) ${mk(true, canNull, v)}\n${indent}else ${mk(false, canNull, v)}`
          if (nul === 'true') out.push(`${indent}${pick(true, value)}`)
          else {
            if (nul !== 'false') {
              out.push(`${indent}if (${value} === null && !(${nul})) throw new EncodeError('field ${f.spec.name} is not nullable in version ' + version)`)
            } else if (canBeNull(f)) {
              out.push(`${indent}if (${value} === null) throw new EncodeError('field ${f.spec.name} is not nullable in version ' + version)`)
            }
            out.push(`${indent}${pick(nul !== 'false', nul === 'false' && canBeNull(f) ? `${value}!` : value)}`)
          }
          return out
        }
        default:
          out.push(`${indent}${w}.${p}(${value})`)
          return out
      }
    }
    if (t.kind === 'struct') {
      if (nul === 'false') {
        if (canBeNull(f)) out.push(`${indent}if (${value} === null) throw new EncodeError('field ${f.spec.name} is not nullable in version ' + version)`)
        out.push(`${indent}write_${t.struct.fnName}(${w}, version, ${value}${canBeNull(f) ? '!' : ''})`)
      } else {
        const v = this.fresh('s')
        out.push(`${indent}const ${v} = ${value}`)
        if (nul !== 'true') out.push(`${indent}if (${v} === null && !(${nul})) throw new EncodeError('field ${f.spec.name} is not nullable in version ' + version)`)
        out.push(`${indent}if (${v} === null) ${w}.${this.inTag ? 'uvarint(0)' : 'int8(-1)'}`)
        out.push(`${indent}else {`)
        out.push(`${indent}  ${w}.${this.inTag ? 'uvarint' : 'int8'}(1)`)
        out.push(`${indent}  write_${t.struct.fnName}(${w}, version, ${v})`)
        out.push(`${indent}}`)
      }
      return out
    }
    const arr = this.fresh('a')
    out.push(`${indent}const ${arr} = ${value}`)
    const lenW = (n: string): string =>
      flex === 'true' ? `${w}.compactArrayLength(${n})` : flex === 'false' ? `${w}.arrayLength(${n})` : `${flex} ? ${w}.compactArrayLength(${n}) : ${w}.arrayLength(${n})`
    const el = this.fresh('e')
    const loop = (ind: string): void => {
      out.push(`${ind}${lenW(`${arr}.length`)}`)
      out.push(`${ind}for (const ${el} of ${arr}) {`)
      out.push(...this.writeValue(t.elem, f, el, flex, 'false', `${ind}  `, w))
      out.push(`${ind}}`)
    }
    if (nul === 'false' && !canBeNull(f)) {
      loop(indent)
      return out
    }
    out.push(`${indent}if (${arr} === null) {`)
    if (nul === 'false') out.push(`${indent}  throw new EncodeError('field ${f.spec.name} is not nullable in version ' + version)`)
    else {
      if (nul !== 'true') out.push(`${indent}  if (!(${nul})) throw new EncodeError('field ${f.spec.name} is not nullable in version ' + version)`)
      out.push(`${indent}  ${lenW('-1')}`)
    }
    out.push(`${indent}} else {`)
    loop(`${indent}  `)
    out.push(`${indent}}`)
    return out
  }

  emitWrite(s: StructDef): void {
    const L = this.lines
    L.push(`function write_${s.fnName}(w: Writer, version: number, m: ${s.tsName}): void {`)
    const hasFlex = !this.model.flexible.intersect(this.model.valid).empty
    L.push(`  const flex = ${hasFlex ? this.model.flexible.cond(this.model.valid) : 'false'}`)
    for (const f of s.fields) {
      const regular = this.regularVersions(f)
      const cond = regular.cond(this.model.valid)
      const val = `m.${f.prop}`
      const valOrDefault = `(${val} ?? ${defaultExpr(f)})`
      // As in Kafka: a non-default value of a non-ignorable field (tagged or not) in a version
      // without that field is an error; an ignorable one is dropped.
      const check = f.spec.ignorable
        ? null
        : `if (!${isDefaultExpr(f, val)}) throw new EncodeError('field ${f.spec.name} cannot be sent in version ' + version)`
      if (cond === 'false') {
        if (check) {
          const present = f.versions.cond(this.model.valid)
          if (present === 'false') L.push(`  ${check}`)
          else if (present !== 'true') L.push(`  if (!(${present})) ${check}`)
        }
        continue
      }
      const value = canBeNull(f) ? `(${val} === undefined ? ${defaultExpr(f)} : ${val})` : valOrDefault
      if (cond === 'true') {
        L.push(...this.writeValue(f.type, f, value, this.flexExpr(f), this.nullCond(f), '  '))
      } else {
        L.push(`  if (${cond}) {`)
        L.push(...this.writeValue(f.type, f, value, this.flexExpr(f), this.nullCond(f), '    '))
        if (check) {
          L.push(`  } else {`)
          L.push(`    ${check}`)
        }
        L.push('  }')
      }
    }
    if (hasFlex) {
      const tagged = s.fields.filter(f => !f.tagged.intersect(this.model.valid).empty).sort((a, b) => (a.spec.tag ?? 0) - (b.spec.tag ?? 0))
      L.push('  if (flex) {')
      if (tagged.length === 0) {
        L.push('    w.uvarint(0)')
      } else {
        L.push('    let tags = 0')
        for (const f of tagged) {
          L.push(`    const t_${f.prop} = ${f.tagged.cond(this.model.valid)} && !${isDefaultExpr(f, `m.${f.prop}`)}`)
          L.push(`    if (t_${f.prop}) tags++`)
        }
        L.push('    w.uvarint(tags)')
        for (const f of tagged) {
          L.push(`    if (t_${f.prop}) {`)
          L.push(`      w.uvarint(${f.spec.tag})`)
          L.push('      const tw = new Writer(64)')
          this.inTag = true
          L.push(...this.writeValue(f.type, f, `m.${f.prop}!`, 'true', this.nullCond(f), '      ', 'tw'))
          this.inTag = false
          L.push('      w.uvarint(tw.length)')
          L.push('      w.append(tw)')
          L.push('    }')
        }
      }
      L.push('  }')
    }
    L.push('}')
    L.push('')
  }

  emitDefaults(s: StructDef): void {
    const L = this.lines
    L.push(`function default_${s.fnName}(): ${s.tsName} {`)
    L.push(`  return { ${s.fields.map(f => `${f.prop}: ${defaultExpr(f)}`).join(', ')} }`)
    L.push('}')
    L.push('')
    L.push(`function isDefault_${s.fnName}(m: ${s.tsName}): boolean {`)
    L.push(`  return ${s.fields.length === 0 ? 'true' : s.fields.map(f => isDefaultExpr(f, `m.${f.prop}`)).join(' &&\n    ')}`)
    L.push('}')
    L.push('')
  }

  /** The interface of one struct; fields absent from some versions (or tagged) are optional. */
  emitInterface(s: StructDef, indent: string, exported: boolean): void {
    const L = this.lines
    L.push(`${indent}${exported ? 'export ' : ''}interface ${s.tsName.split('.').pop()} {`)
    for (const f of s.fields) {
      const always = f.tagged.empty && f.versions.covers(this.model.valid)
      if (f.spec.about) L.push(`${indent}  /** ${f.spec.about.replace(/\*\//g, '* /')} */`)
      L.push(`${indent}  ${f.prop}${always ? '' : '?'}: ${this.fieldTsType(f)}`)
    }
    L.push(`${indent}}`)
  }
}

/** Emits the types and functions of one message into `lines`; returns the exported names. */
function emitMessage(model: MessageModel, lines: string[]): void {
  const e = new Emitter(model)
  const root = model.root
  e.emitInterface(root, '', true)
  const nested = model.structs.filter(s => s !== root)
  if (nested.length > 0) {
    e.lines.push(`export declare namespace ${root.tsName} {`)
    for (const s of nested) e.emitInterface(s, '  ', false)
    e.lines.push('}')
  }
  e.lines.push('')
  for (const s of model.structs) {
    e.emitRead(s)
    e.emitWrite(s)
    if (s !== root) e.emitDefaults(s)
  }
  lines.push(...e.lines)
}

// ---------------------------------------------------------------------------------------------
// A compact description of every message's fields, for tests that build random valid values
// (src/wire/roundtrip.test.ts) without the spec files. Not imported by the codecs themselves.

/** One field as a tuple: [prop, type, versions, nullableVersions, taggedVersions, tag, default, ignorable, flexibleVersions]. */
function fieldTuple(f: Field): string {
  const s = f.spec
  const parts: unknown[] = [f.prop, s.type, s.versions ?? s.taggedVersions ?? 'none', s.nullableVersions ?? '', s.taggedVersions ?? '', s.tag === undefined ? -1 : Number(s.tag), s.default === undefined ? '' : s.default, s.ignorable === true ? 1 : 0, s.flexibleVersions ?? '']
  const unset: unknown[] = [null, null, null, '', '', -1, '', 0, '']
  while (parts.length > 3 && parts[parts.length - 1] === unset[parts.length - 1]) parts.pop()
  return JSON.stringify(parts)
}

function schemaEntry(model: MessageModel, kind: string, apiKey: number): string {
  const structs = model.structs.map(st => `    ${JSON.stringify(st.name)}: [\n${st.fields.map(f => `      ${fieldTuple(f)},`).join('\n')}\n    ],`)
  return [
    `  { name: ${JSON.stringify(model.spec.name)}, kind: '${kind}', apiKey: ${apiKey}, valid: '${model.spec.validVersions}', flexible: '${model.spec.flexibleVersions}', structs: {`,
    ...structs,
    '  } },',
  ].join('\n')
}

const SCHEMA_PRELUDE = `/**
 * Field tuples: [prop, type, versions, nullableVersions, taggedVersions, tag, default, ignorable, flexibleVersions].
 * Trailing entries may be missing: '' (unset) for strings, -1 for the tag, 0 for ignorable.
 * Version strings are the spec's: "3", "0-7", "5+", "none" (or '' when unset).
 */
export type FieldTuple = [
  prop: string,
  type: string,
  versions: string,
  nullableVersions?: string,
  taggedVersions?: string,
  tag?: number,
  dflt?: string | number | boolean | null,
  ignorable?: number,
  flexibleVersions?: string,
]

export interface MessageSchema {
  /** The spec name, also the name of the root struct in \`structs\`. */
  name: string
  kind: 'request' | 'response' | 'header' | 'data' | 'metadata'
  /** The API key (requests, responses), the record type (metadata) or -1. */
  apiKey: number
  valid: string
  flexible: string
  structs: Record<string, FieldTuple[]>
}
`

// ---------------------------------------------------------------------------------------------
// Files

const HEADER = (sources: string[]): string =>
  [
    `// GENERATED by scripts/generate-wire.ts from Apache Kafka's message specs (${sources.join(', ')}).`,
    '// Do not edit: change the generator and run `npm run generate`.',
    '/* eslint-disable */',
  ].join('\n')

const IMPORTS = [
  "import { Reader, Writer, DecodeError, EncodeError, ZERO_UUID, type Uuid } from '../../codec/index.js'",
  "import type { ApiCodec, SchemaCodec } from '../../codec/index.js'",
].join('\n')

function finishFile(sources: string[], body: string[]): string {
  const text = body.join('\n')
  const empty = /\bEMPTY\b/.test(text) ? '\nconst EMPTY = Buffer.alloc(0)\n' : ''
  return `${HEADER(sources)}\n${IMPORTS}\n${empty}\n${text}\n`
}

interface Output {
  files: Map<string, string>
}

function generate(specDir: string): Output {
  const files = new Map<string, string>()
  const msgDir = join(specDir, 'messages')
  const specs = readdirSync(msgDir)
    .filter(f => f.endsWith('.json'))
    .sort()
    .map(f => ({ file: f, spec: readSpec(join(msgDir, f)) }))

  // APIs: a request and its response in one file.
  const requests = specs.filter(s => s.spec.type === 'request').sort((a, b) => a.spec.apiKey! - b.spec.apiKey!)
  const apiIndex: string[] = []
  const reqMap: string[] = []
  const resMap: string[] = []
  const apiKeys: string[] = []
  const schemaEntries: string[] = []
  for (const { file, spec } of requests) {
    const base = spec.name.replace(/Request$/, '')
    const resEntry = specs.find(s => s.spec.type === 'response' && s.spec.name === `${base}Response`)
    if (!resEntry) throw new Error(`no response spec for ${spec.name}`)
    const req = new MessageModel(spec)
    const res = new MessageModel(resEntry.spec)
    schemaEntries.push(schemaEntry(req, 'request', spec.apiKey!), schemaEntry(res, 'response', spec.apiKey!))
    const body: string[] = []
    emitMessage(req, body)
    emitMessage(res, body)
    const flexFrom = req.flexible.intersect(req.valid).empty ? -1 : req.flexible.intersect(req.valid).lo
    body.push(`export const ${base}Api: ApiCodec<${spec.name}, ${resEntry.spec.name}> = {`)
    body.push(`  apiKey: ${spec.apiKey},`)
    body.push(`  name: '${base}',`)
    body.push(`  minVersion: ${req.valid.lo},`)
    body.push(`  maxVersion: ${req.valid.hi},`)
    body.push(`  flexibleFrom: ${flexFrom},`)
    body.push(`  latestVersionUnstable: ${spec.latestVersionUnstable === true},`)
    body.push(`  listeners: ${JSON.stringify(spec.listeners ?? [])},`)
    body.push(`  readRequest: read_${spec.name},`)
    body.push(`  writeRequest: write_${spec.name},`)
    body.push(`  readResponse: read_${resEntry.spec.name},`)
    body.push(`  writeResponse: write_${resEntry.spec.name},`)
    body.push('}')
    const name = kebab(base)
    files.set(`messages/${name}.ts`, finishFile([file, resEntry.file], body))
    apiIndex.push(`import { ${base}Api, type ${spec.name}, type ${resEntry.spec.name} } from './messages/${name}.js'`)
    apiIndex.push(`export * from './messages/${name}.js'`)
    reqMap.push(`  ${spec.apiKey}: ${spec.name}`)
    resMap.push(`  ${spec.apiKey}: ${resEntry.spec.name}`)
    apiKeys.push(`  ${base}: ${spec.apiKey},`)
  }

  // Schemas that are not APIs: headers, `data`, KRaft metadata records, internal-topic records.
  const schemaGroups: Array<{ dir: string; folder: string; list: Array<{ file: string; spec: MessageSpec }> }> = [
    { dir: msgDir, folder: 'data', list: specs.filter(s => s.spec.type === 'data' || s.spec.type === 'header') },
    { dir: join(specDir, 'metadata'), folder: 'metadata', list: [] },
    { dir: join(specDir, 'internal-topics'), folder: 'internal', list: [] },
  ]
  for (const g of schemaGroups.slice(1)) {
    g.list = readdirSync(g.dir)
      .filter(f => f.endsWith('.json'))
      .sort()
      .map(f => ({ file: f, spec: readSpec(join(g.dir, f)) }))
  }
  const schemaIndex: string[] = []
  const metadataTypes: string[] = []
  for (const g of schemaGroups) {
    for (const { file, spec } of g.list) {
      const m = new MessageModel(spec)
      schemaEntries.push(schemaEntry(m, spec.type, spec.apiKey ?? -1))
      const body: string[] = []
      emitMessage(m, body)
      const typeId = spec.type === 'metadata' ? (spec.apiKey ?? -1) : -1
      body.push(`export const ${spec.name}Schema: SchemaCodec<${spec.name}> = {`)
      body.push(`  name: '${spec.name}',`)
      body.push(`  typeId: ${typeId},`)
      body.push(`  minVersion: ${m.valid.lo},`)
      body.push(`  maxVersion: ${m.valid.hi},`)
      body.push(`  read: read_${spec.name},`)
      body.push(`  write: write_${spec.name},`)
      body.push('}')
      const name = kebab(spec.name)
      files.set(`${g.folder}/${name}.ts`, finishFile([file], body))
      schemaIndex.push(`export * from './${g.folder}/${name}.js'`)
      if (spec.type === 'metadata') {
        schemaIndex.push(`import { ${spec.name}Schema } from './${g.folder}/${name}.js'`)
        metadataTypes.push(spec.name)
      }
    }
  }

  const index = [
    HEADER(['every spec']),
    "import type { ApiCodec, SchemaCodec } from '../codec/index.js'",
    ...apiIndex,
    ...schemaIndex,
    '',
    '/** API keys by name. */',
    'export const ApiKey = {',
    ...apiKeys,
    '} as const',
    '',
    '/** Every API in the specs, by key. */',
    `export const API_CODECS: ReadonlyMap<number, ApiCodec<any, any>> = new Map<number, ApiCodec<any, any>>([${requests
      .map(r => `[${r.spec.apiKey}, ${r.spec.name.replace(/Request$/, '')}Api]`)
      .join(', ')}])`,
    '',
    '/** The request body type of each API key. */',
    'export interface RequestTypes {',
    ...reqMap,
    '}',
    '',
    '/** The response body type of each API key. */',
    'export interface ResponseTypes {',
    ...resMap,
    '}',
    '',
    '/** KRaft metadata record schemas, by record type id. */',
    `export const METADATA_RECORD_CODECS: ReadonlyMap<number, SchemaCodec<any>> = new Map<number, SchemaCodec<any>>([${metadataTypes
      .map(n => `[${n}Schema.typeId, ${n}Schema]`)
      .join(', ')}])`,
    '',
  ].join('\n')
  files.set('index.ts', index)
  files.set(
    'schemas.ts',
    [HEADER(['every spec']), SCHEMA_PRELUDE, '/** Every message, header, data, metadata and internal-topic schema. */', 'export const SCHEMAS: MessageSchema[] = [', ...schemaEntries, ']', ''].join('\n'),
  )
  return { files }
}

// ---------------------------------------------------------------------------------------------
// CLI

function main(): void {
  const here = fileURLToPath(new URL('.', import.meta.url))
  const args = process.argv.slice(2)
  const flag = (name: string, dflt: string): string => {
    const i = args.indexOf(name)
    return i >= 0 && args[i + 1] ? args[i + 1] : dflt
  }
  const specDir = resolve(flag('--specs', join(here, '..', '..', 'shared', 'kafka-protocol')))
  const outDir = resolve(flag('--out', join(here, '..', 'src', 'wire', 'generated')))
  const check = args.includes('--check')
  if (!existsSync(join(specDir, 'messages'))) {
    console.error(`generate-wire: no specs at ${specDir}/messages (pass --specs DIR)`)
    process.exit(2)
  }
  const { files } = generate(specDir)
  if (check) {
    const stale: string[] = []
    for (const [rel, text] of files) {
      const path = join(outDir, rel)
      if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(rel)
    }
    if (stale.length) {
      console.error(`generate-wire: ${stale.length} generated files are out of date: ${stale.slice(0, 10).join(', ')}`)
      process.exit(1)
    }
    console.log(`generate-wire: ${files.size} files are current`)
    return
  }
  rmSync(outDir, { recursive: true, force: true })
  for (const [rel, text] of files) {
    const path = join(outDir, rel)
    mkdirSync(join(path, '..'), { recursive: true })
    writeFileSync(path, text)
  }
  console.log(`generate-wire: wrote ${files.size} files to ${outDir}`)
}

export { generate }

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()

/**
 * A parser for Java's `.properties` format, as Kafka reads server.properties:
 *
 * - a line whose first non-blank character is `#` or `!` is a comment;
 * - `key=value`, `key: value` and `key value` all work; whitespace around the
 *   separator is dropped, leading whitespace of a line is ignored;
 * - a line ending in an odd number of backslashes continues on the next line,
 *   whose leading whitespace is dropped (comment lines never continue);
 * - escapes: `\t \n \r \f`, `\uXXXX`, and `\` before any other character is that
 *   character (so `\=`, `\:`, `\ `, `\#`, `\\`);
 * - a later key replaces an earlier one.
 *
 * One deliberate difference: Java's `Properties.load(InputStream)` decodes bytes as
 * ISO-8859-1; Millrace reads files as UTF-8 (and drops a leading BOM), so non-ASCII
 * text needs no `\u` escapes. Trailing whitespace of values is kept here; config
 * parsing trims it, as Kafka's ConfigDef does.
 */
import { ConfigError } from './errors.js'

export interface PropertyEntry {
  key: string
  value: string
  /** 1-based line where the entry starts. */
  line: number
}

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\f'

/** Split text into logical lines: natural lines joined by continuations, with their starting line numbers. */
function logicalLines(text: string): { text: string; line: number }[] {
  const natural = text.split(/\r\n|\r|\n/)
  const out: { text: string; line: number }[] = []
  let i = 0
  while (i < natural.length) {
    const startLine = i + 1
    let current = natural[i]!.replace(/^[ \t\f]+/, '')
    i++
    if (current === '' || current[0] === '#' || current[0] === '!') continue
    while (endsWithOddBackslashes(current)) {
      current = current.slice(0, -1)
      if (i >= natural.length) break
      current += natural[i]!.replace(/^[ \t\f]+/, '')
      i++
    }
    out.push({ text: current, line: startLine })
  }
  return out
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0
  for (let j = s.length - 1; j >= 0 && s[j] === '\\'; j--) n++
  return n % 2 === 1
}

function unescape(s: string, line: number, source: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c !== '\\') {
      out += c
      continue
    }
    i++
    if (i >= s.length) break // a lone trailing backslash (end of file after a continuation)
    const e = s[i]!
    switch (e) {
      case 't':
        out += '\t'
        break
      case 'n':
        out += '\n'
        break
      case 'r':
        out += '\r'
        break
      case 'f':
        out += '\f'
        break
      case 'u': {
        const hex = s.slice(i + 1, i + 5)
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          throw new ConfigError({
            message: `malformed \\uXXXX escape in ${source} line ${line}`,
            origin: `${source}:${line}`,
          })
        }
        out += String.fromCharCode(parseInt(hex, 16))
        i += 4
        break
      }
      default:
        out += e
    }
  }
  return out
}

/**
 * Parse properties text into entries in file order (a repeated key appears once per
 * occurrence; {@link parseProperties} keeps the last). `source` names the text in errors.
 */
export function parsePropertyEntries(text: string, source = 'properties'): PropertyEntry[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  const entries: PropertyEntry[] = []
  for (const { text: l, line } of logicalLines(text)) {
    // The key runs to the first unescaped '=', ':' or blank.
    let k = 0
    while (k < l.length) {
      const c = l[k]!
      if (c === '\\') {
        k += 2
        continue
      }
      if (c === '=' || c === ':' || isBlank(c)) break
      k++
    }
    const rawKey = l.slice(0, Math.min(k, l.length))
    let v = k
    while (v < l.length && isBlank(l[v])) v++
    if (v < l.length && (l[v] === '=' || l[v] === ':')) v++
    while (v < l.length && isBlank(l[v])) v++
    entries.push({ key: unescape(rawKey, line, source), value: unescape(l.slice(v), line, source), line })
  }
  return entries
}

/** Parse properties text into a key → value map (later keys win). */
export function parseProperties(text: string, source = 'properties'): Map<string, string> {
  const map = new Map<string, string>()
  for (const e of parsePropertyEntries(text, source)) map.set(e.key, e.value)
  return map
}

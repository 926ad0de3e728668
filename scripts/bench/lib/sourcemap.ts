// Just enough of source maps (v3) to map a generated position back to its original file and line.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64_VALUE = new Int8Array(128).fill(-1)
for (let i = 0; i < B64.length; i++) B64_VALUE[B64.charCodeAt(i)] = i

interface RawMap {
  sources: string[]
  sourceRoot?: string
  mappings: string
}

export class SourceMap {
  /** Per generated line: flattened [genCol, srcIdx, origLine, origCol] segments. */
  private readonly lines: Int32Array[] = []
  readonly sources: string[]

  constructor(raw: RawMap, mapUrl?: string) {
    const root = raw.sourceRoot ?? ''
    this.sources = raw.sources.map(s => {
      const joined = root ? root.replace(/\/?$/, '/') + s : s
      try {
        return mapUrl && !mapUrl.startsWith('data:') ? new URL(joined, mapUrl).href : joined
      } catch {
        return joined
      }
    })
    let src = 0
    let oLine = 0
    let oCol = 0
    for (const line of raw.mappings.split(';')) {
      const segs: number[] = []
      let gCol = 0
      for (const seg of line.split(',')) {
        if (!seg) continue
        const v = decodeVlq(seg)
        gCol += v[0]!
        if (v.length >= 4) {
          src += v[1]!
          oLine += v[2]!
          oCol += v[3]!
          segs.push(gCol, src, oLine, oCol)
        }
      }
      this.lines.push(Int32Array.from(segs))
    }
  }

  static fromDataUrl(url: string): SourceMap | null {
    const m = /^data:application\/json[^,]*?(;base64)?,(.*)$/.exec(url)
    if (!m) return null
    const text = m[1] ? Buffer.from(m[2]!, 'base64').toString('utf8') : decodeURIComponent(m[2]!)
    return new SourceMap(JSON.parse(text) as RawMap)
  }

  /** Original position (0-based line and column) for a generated 0-based line and column. */
  lookup(line: number, col: number): { source: string; line: number; col: number } | null {
    const segs = this.lines[line]
    if (!segs || segs.length === 0) {
      // Fall back to the nearest earlier mapped line.
      for (let l = Math.min(line, this.lines.length) - 1; l >= 0 && l > line - 50; l--) {
        const s = this.lines[l]
        if (s && s.length) return { source: this.sources[s[s.length - 3]!]!, line: s[s.length - 2]!, col: s[s.length - 1]! }
      }
      return null
    }
    let best = 0
    for (let i = 0; i < segs.length; i += 4) {
      if (segs[i]! <= col) best = i
      else break
    }
    return { source: this.sources[segs[best + 1]!]!, line: segs[best + 2]!, col: segs[best + 3]! }
  }
}

function decodeVlq(s: string): number[] {
  const out: number[] = []
  let value = 0
  let shift = 0
  for (let i = 0; i < s.length; i++) {
    const d = B64_VALUE[s.charCodeAt(i)]!
    value += (d & 31) << shift
    if (d & 32) shift += 5
    else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1)
      value = 0
      shift = 0
    }
  }
  return out
}

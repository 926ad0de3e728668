import type { Reader } from './reader.js'
import type { Writer } from './writer.js'

/** What the generator knows about one API key: its versions and its four codec functions. */
export interface ApiCodec<Req = unknown, Res = unknown> {
  readonly apiKey: number
  readonly name: string
  readonly minVersion: number
  readonly maxVersion: number
  /** First flexible version, or -1 when no version is flexible. */
  readonly flexibleFrom: number
  /** The spec marks its highest version unstable: not to be advertised. */
  readonly latestVersionUnstable: boolean
  readonly listeners: readonly string[]
  readRequest(r: Reader, version: number): Req
  writeRequest(w: Writer, version: number, m: Req): void
  readResponse(r: Reader, version: number): Res
  writeResponse(w: Writer, version: number, m: Res): void
}

/** A versioned schema that is not an API: KRaft metadata records, internal-topic keys and values. */
export interface SchemaCodec<T = unknown> {
  readonly name: string
  /** The record type for KRaft metadata records; -1 for others. */
  readonly typeId: number
  readonly minVersion: number
  readonly maxVersion: number
  read(r: Reader, version: number): T
  write(w: Writer, version: number, m: T): void
}

// Whole requests and responses: header + body, with the header version each API and version uses.

import { DecodeError, Reader, Writer } from './codec/index.js'
import {
  API_CODECS,
  ApiKey,
  RequestHeaderSchema,
  ResponseHeaderSchema,
  type RequestHeader,
  type RequestTypes,
  type ResponseTypes,
} from './generated/index.js'

export type ApiKeyNumber = keyof RequestTypes & number

/** A request whose API key or version the specs do not define; the server answers or closes. */
export class UnknownApiError extends Error {
  override name = 'UnknownApiError'
  constructor(
    readonly apiKey: number,
    readonly apiVersion: number,
    readonly correlationId: number,
    message: string,
  ) {
    super(message)
  }
}

/** Request header v2 for flexible versions, v1 otherwise; v0 only for ControlledShutdown v0. */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return 0
  const api = API_CODECS.get(apiKey)
  return api && api.flexibleFrom >= 0 && apiVersion >= api.flexibleFrom ? 2 : 1
}

/** Response header v1 for flexible versions, v0 otherwise; ApiVersions always v0 (KIP-511). */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0
  const api = API_CODECS.get(apiKey)
  return api && api.flexibleFrom >= 0 && apiVersion >= api.flexibleFrom ? 1 : 0
}

export type DecodedRequest = {
  [K in ApiKeyNumber]: { apiKey: K; apiVersion: number; header: RequestHeader; body: RequestTypes[K] }
}[ApiKeyNumber]

/** The first 8 bytes of every request: enough to answer even when the rest cannot be read. */
export function peekRequestHeader(frame: Buffer): { apiKey: number; apiVersion: number; correlationId: number } {
  if (frame.length < 8) throw new DecodeError(`request of ${frame.length} bytes is shorter than a request header`)
  return { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) }
}

/**
 * Decodes one request frame (without its 4-byte size). Throws UnknownApiError for API keys and
 * versions the specs do not define, DecodeError for bytes that do not form the message.
 */
export function decodeRequest(frame: Buffer): DecodedRequest {
  const { apiKey, apiVersion, correlationId } = peekRequestHeader(frame)
  const api = API_CODECS.get(apiKey)
  if (!api) throw new UnknownApiError(apiKey, apiVersion, correlationId, `unknown API key ${apiKey}`)
  if (apiVersion < api.minVersion || apiVersion > api.maxVersion) {
    throw new UnknownApiError(apiKey, apiVersion, correlationId, `${api.name} v${apiVersion} does not exist (v${api.minVersion}-${api.maxVersion})`)
  }
  const r = new Reader(frame)
  const header = RequestHeaderSchema.read(r, requestHeaderVersion(apiKey, apiVersion))
  const body = api.readRequest(r, apiVersion)
  return { apiKey, apiVersion, header, body } as DecodedRequest
}

/** Encodes a request body with its header (no size prefix); for clients, tools and benchmarks. */
export function encodeRequest<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  header: { correlationId: number; clientId?: string | null },
  body: RequestTypes[K],
): Writer {
  const api = API_CODECS.get(apiKey)!
  const w = new Writer()
  RequestHeaderSchema.write(w, requestHeaderVersion(apiKey, apiVersion), {
    requestApiKey: apiKey,
    requestApiVersion: apiVersion,
    correlationId: header.correlationId,
    clientId: header.clientId ?? null,
  })
  api.writeRequest(w, apiVersion, body)
  return w
}

/**
 * Encodes a response frame: the 4-byte size, the header, then the body, as a list of buffers
 * (large record data is referenced, not copied) ready for one vectored write.
 */
export function encodeResponse<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  header: { correlationId: number },
  body: ResponseTypes[K],
): Buffer[] {
  const api = API_CODECS.get(apiKey)!
  const w = new Writer(512)
  w.int32(0) // the size, patched below
  ResponseHeaderSchema.write(w, responseHeaderVersion(apiKey, apiVersion), { correlationId: header.correlationId })
  api.writeResponse(w, apiVersion, body)
  const chunks = w.chunks()
  chunks[0].writeInt32BE(w.length - 4, 0)
  return chunks
}

/** Decodes a response frame (without its size) sent for a request of this key and version. */
export function decodeResponse<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  frame: Buffer,
): { correlationId: number; body: ResponseTypes[K] } {
  const api = API_CODECS.get(apiKey)
  if (!api) throw new DecodeError(`unknown API key ${apiKey}`)
  const r = new Reader(frame)
  const header = ResponseHeaderSchema.read(r, responseHeaderVersion(apiKey, apiVersion))
  return { correlationId: header.correlationId, body: api.readResponse(r, apiVersion) as ResponseTypes[K] }
}

/** Adds the 4-byte size prefix to an encoded request. */
export function frameRequest(w: Writer): Buffer[] {
  const size = Buffer.allocUnsafe(4)
  size.writeInt32BE(w.length, 0)
  return [size, ...w.chunks()]
}

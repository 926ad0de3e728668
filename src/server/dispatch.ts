// One request frame in, one response frame (or nothing, or "close") out. Everything a client can
// get wrong ends here as a log line and Kafka's answer, never as an exception in the socket code.

import type { ApiHandler, HandlerTable, RequestContext } from '../apis/index.js'
import { CloseConnection, unsupportedApiVersionsResponse } from '../apis/index.js'
import {
  API_CODECS,
  ApiKey,
  DecodeError,
  decodeRequest,
  encodeResponse,
  peekRequestHeader,
  type ApiKeyNumber,
} from '../wire/index.js'
import type { Logger } from '../util/index.js'

export interface ConnectionInfo {
  readonly connectionId: string
  readonly clientAddress: string
  readonly listenerName: string
}

/** What the connection does next: send these bytes, send nothing, or close the socket. */
export type DispatchResult = { kind: 'respond'; frame: Buffer[] } | { kind: 'none' } | { kind: 'close'; reason: string }

function apiName(apiKey: number): string {
  return API_CODECS.get(apiKey)?.name ?? `unknown(${apiKey})`
}

/**
 * Handles one request frame. Synchronous when the handler answers at once (Produce with acks=1 as a
 * rule), a promise when it waits (long polls, acks=all, I/O): no promise is made where none is
 * needed. Never throws or rejects: every failure becomes a DispatchResult.
 */
export function dispatchRequest(frame: Buffer, conn: ConnectionInfo, handlers: HandlerTable, log: Logger): DispatchResult | Promise<DispatchResult> {
  let apiKey: number, apiVersion: number, correlationId: number
  try {
    ;({ apiKey, apiVersion, correlationId } = peekRequestHeader(frame))
  } catch (err) {
    return { kind: 'close', reason: (err as Error).message }
  }
  const handler: ApiHandler | undefined = handlers.get(apiKey)

  // KIP-511: a too-new ApiVersions gets a v0 answer listing our range, whatever its body holds.
  if (apiKey === ApiKey.ApiVersions && handler && apiVersion > handler.maxVersion) {
    log.info(`${conn.clientAddress}: ApiVersions v${apiVersion} is newer than v${handler.maxVersion}; answering with v0 and UNSUPPORTED_VERSION`)
    return { kind: 'respond', frame: encodeResponse(ApiKey.ApiVersions, 0, { correlationId }, unsupportedApiVersionsResponse(handlers)) }
  }
  if (!handler) {
    // Kafka closes the connection for API keys it does not know or does not serve on a listener.
    return { kind: 'close', reason: `API key ${apiKey} (${apiName(apiKey)}) is not supported by this node` }
  }
  if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
    return {
      kind: 'close',
      reason: `${apiName(apiKey)} v${apiVersion} is not supported (this node serves v${handler.minVersion}-v${handler.maxVersion})`,
    }
  }

  let request
  try {
    request = decodeRequest(frame)
  } catch (err) {
    const why = err instanceof DecodeError ? err.message : String(err)
    return { kind: 'close', reason: `malformed ${apiName(apiKey)} v${apiVersion} request (correlation id ${correlationId}): ${why}` }
  }

  const ctx: RequestContext = {
    apiVersion,
    header: request.header,
    connectionId: conn.connectionId,
    clientAddress: conn.clientAddress,
    listenerName: conn.listenerName,
  }
  let response
  try {
    response = handler.handle(request.body as never, ctx)
  } catch (err) {
    return handlerFailed(err, apiKey, apiVersion, conn, log)
  }
  if (response instanceof Promise) {
    return response.then(
      r => respond(r, apiKey, apiVersion, correlationId, log),
      err => handlerFailed(err, apiKey, apiVersion, conn, log),
    )
  }
  return respond(response, apiKey, apiVersion, correlationId, log)
}

function handlerFailed(err: unknown, apiKey: number, apiVersion: number, conn: ConnectionInfo, log: Logger): DispatchResult {
  if (err instanceof CloseConnection) return { kind: 'close', reason: err.message }
  log.error(`${apiName(apiKey)} v${apiVersion} from ${conn.clientAddress} failed: ${(err as Error).stack ?? err}`)
  return { kind: 'close', reason: `internal error handling ${apiName(apiKey)}` }
}

function respond(response: unknown, apiKey: number, apiVersion: number, correlationId: number, log: Logger): DispatchResult {
  if (response === null) return { kind: 'none' }
  try {
    return { kind: 'respond', frame: encodeResponse(apiKey as ApiKeyNumber, apiVersion, { correlationId }, response as never) }
  } catch (err) {
    log.error(`cannot encode ${apiName(apiKey)} v${apiVersion} response: ${(err as Error).stack ?? err}`)
    return { kind: 'close', reason: `internal error encoding ${apiName(apiKey)} response` }
  }
}

// What every API handler looks like. Handlers validate, call services and build the response;
// they do no I/O of their own (ARCHITECTURE.md), so the server can run them in any order it needs.

import type { ApiKeyNumber, RequestHeader, RequestTypes, ResponseTypes } from '../wire/index.js'

/** Facts about the connection a request came in on. */
export interface RequestContext {
  readonly apiVersion: number
  readonly header: RequestHeader
  readonly connectionId: string
  readonly clientAddress: string
  readonly listenerName: string
}

/**
 * A handler returns the response body, or null when no response is sent (Produce with acks=0).
 * It may return a promise: long polls and acks=all complete when their condition is met.
 */
export interface ApiHandler<K extends ApiKeyNumber = ApiKeyNumber> {
  readonly apiKey: K
  readonly minVersion: number
  readonly maxVersion: number
  handle(req: RequestTypes[K], ctx: RequestContext): ResponseTypes[K] | null | Promise<ResponseTypes[K] | null>
}

/** The handlers a node serves, by API key. */
export type HandlerTable = ReadonlyMap<number, ApiHandler>

export function defineHandler<K extends ApiKeyNumber>(h: ApiHandler<K>): ApiHandler<K> {
  return h
}

/**
 * Thrown by a handler when Kafka's answer is to close the connection (a failed acks=0 produce:
 * the client hears of the failure only through the closed socket).
 */
export class CloseConnection extends Error {
  override name = 'CloseConnection'
}

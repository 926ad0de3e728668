// ApiVersions (key 18): the versions of every API this node serves. Clients negotiate from it,
// so it lists exactly the handlers that exist and their ranges, nothing more.

import { ApiKey, ErrorCode, type ApiVersionsResponse } from '../wire/index.js'
import { defineHandler, type HandlerTable } from './handler.js'

/** Kafka's rule for client software names and versions (KIP-511). */
const SOFTWARE_FIELD = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/

export interface FeatureLevels {
  supported: Array<{ name: string; minVersion: number; maxVersion: number }>
  finalized: Array<{ name: string; minVersionLevel: number; maxVersionLevel: number }>
  epoch: number
}

export function apiVersionList(table: HandlerTable): ApiVersionsResponse.ApiVersion[] {
  return [...table.values()]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map(h => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
}

/**
 * The answer to an ApiVersions request at a version above ours: a v0 body with
 * UNSUPPORTED_VERSION and our ApiVersions range, so the client retries lower (KIP-511).
 */
export function unsupportedApiVersionsResponse(table: HandlerTable): ApiVersionsResponse {
  const own = table.get(ApiKey.ApiVersions)!
  return {
    errorCode: ErrorCode.UNSUPPORTED_VERSION,
    apiKeys: [{ apiKey: ApiKey.ApiVersions, minVersion: own.minVersion, maxVersion: own.maxVersion }],
  }
}

export function apiVersionsHandler(table: () => HandlerTable, features: () => FeatureLevels) {
  return defineHandler({
    apiKey: ApiKey.ApiVersions,
    minVersion: 0,
    maxVersion: 4,
    handle(req, ctx): ApiVersionsResponse {
      const versions = apiVersionList(table())
      if (ctx.apiVersion >= 3) {
        const name = req.clientSoftwareName ?? ''
        const version = req.clientSoftwareVersion ?? ''
        if (!SOFTWARE_FIELD.test(name) || !SOFTWARE_FIELD.test(version)) {
          return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys: versions, throttleTimeMs: 0 }
        }
      }
      const f = features()
      return {
        errorCode: ErrorCode.NONE,
        apiKeys: versions,
        throttleTimeMs: 0,
        supportedFeatures: f.supported,
        finalizedFeaturesEpoch: f.epoch,
        finalizedFeatures: f.finalized,
      }
    },
  })
}

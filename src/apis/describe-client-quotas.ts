// DescribeClientQuotas (key 48), for `kafka-configs.sh --describe --entity-type users/clients/ips`
// and AdminClient.describeClientQuotas(). Quotas are not built yet and none can be set
// (AlterClientQuotas is not served), so a valid filter matches nothing. The filter is checked as
// Kafka's KRaft broker checks it, with its errors and messages.

import { ApiKey, ErrorCode, type DescribeClientQuotasRequest, type DescribeClientQuotasResponse } from '../wire/index.js'
import { defineHandler } from './handler.js'

const ENTITY_TYPES = new Set(['user', 'client-id', 'ip'])
const MATCH_EXACT = 0
const MATCH_DEFAULT = 1
const MATCH_SPECIFIED = 2

/** Kafka's complaint about a filter, or null when it is valid. */
function filterError(components: DescribeClientQuotasRequest.ComponentData[]): { errorCode: number; errorMessage: string } | null {
  const invalid = (errorMessage: string) => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage })
  const seen = new Set<string>()
  for (const c of components) {
    if (c.entityType === '') return invalid('Invalid empty entity type.')
    if (seen.has(c.entityType)) return invalid(`Entity type ${c.entityType} cannot appear more than once in the filter.`)
    if (!ENTITY_TYPES.has(c.entityType)) return { errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: `Unsupported entity type ${c.entityType}` }
    if (c.matchType === MATCH_EXACT && c.match === null) return invalid('Request specified MATCH_TYPE_EXACT, but set match string to null.')
    if (c.matchType === MATCH_DEFAULT && c.match !== null) return invalid('Request specified MATCH_TYPE_DEFAULT, but also specified a match string.')
    if (c.matchType === MATCH_SPECIFIED && c.match !== null) return invalid('Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.')
    if (c.matchType < MATCH_EXACT || c.matchType > MATCH_SPECIFIED) return { errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: `Unknown match type ${c.matchType}` }
    seen.add(c.entityType)
  }
  if (seen.has('ip') && (seen.has('user') || seen.has('client-id'))) {
    return invalid('Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.')
  }
  return null
}

export function describeClientQuotasHandler() {
  return defineHandler({
    apiKey: ApiKey.DescribeClientQuotas,
    minVersion: 0,
    maxVersion: 1,
    async handle(req: DescribeClientQuotasRequest): Promise<DescribeClientQuotasResponse> {
      const error = filterError(req.components)
      if (error) return { throttleTimeMs: 0, ...error, entries: null }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries: [] }
    },
  })
}

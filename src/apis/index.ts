// The public face of src/apis: one handler per API key, and the table a node serves.
export type { ApiHandler, HandlerTable, RequestContext } from './handler.js'
export { defineHandler } from './handler.js'
export { apiVersionsHandler, apiVersionList, unsupportedApiVersionsResponse, type FeatureLevels } from './api-versions.js'

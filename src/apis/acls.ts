// DescribeAcls (key 29), CreateAcls (30), DeleteAcls (31) on a broker without an authorizer:
// Kafka's answer when `authorizer.class.name` is empty. The APIs are advertised, as Kafka does,
// and every call gets SECURITY_DISABLED, so that `kafka-acls.sh`, AdminClient.describeAcls() and
// their kin report "security features are disabled" instead of "not supported by the broker".

import { ApiKey, ErrorCode, type CreateAclsRequest, type CreateAclsResponse, type DeleteAclsRequest, type DeleteAclsResponse, type DescribeAclsRequest, type DescribeAclsResponse } from '../wire/index.js'
import type { ApiHandler } from './handler.js'
import { defineHandler } from './handler.js'

/** Kafka's messages for SecurityDisabledException in these answers. */
const DESCRIBE_MESSAGE = 'No Authorizer is configured on the broker'
const CHANGE_MESSAGE = 'No Authorizer is configured.'

export function describeAclsHandler() {
  return defineHandler({
    apiKey: ApiKey.DescribeAcls,
    minVersion: 0,
    maxVersion: 3,
    async handle(_req: DescribeAclsRequest): Promise<DescribeAclsResponse> {
      return { throttleTimeMs: 0, errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: DESCRIBE_MESSAGE, resources: [] }
    },
  })
}

export function createAclsHandler() {
  return defineHandler({
    apiKey: ApiKey.CreateAcls,
    minVersion: 0,
    maxVersion: 3,
    async handle(req: CreateAclsRequest): Promise<CreateAclsResponse> {
      return { throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: CHANGE_MESSAGE })) }
    },
  })
}

export function deleteAclsHandler() {
  return defineHandler({
    apiKey: ApiKey.DeleteAcls,
    minVersion: 0,
    maxVersion: 3,
    async handle(req: DeleteAclsRequest): Promise<DeleteAclsResponse> {
      return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: CHANGE_MESSAGE, matchingAcls: [] })) }
    },
  })
}

/** The three ACL APIs, answered as by a broker with no authorizer. */
export function aclHandlers(): ApiHandler[] {
  return [describeAclsHandler(), createAclsHandler(), deleteAclsHandler()] as ApiHandler[]
}

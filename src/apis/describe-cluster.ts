// DescribeCluster (key 60): the cluster id, the brokers with their endpoint on the listener the
// request came in on, and the controller id as clients should use it.

import { ApiKey, ErrorCode, type DescribeClusterRequest, type DescribeClusterResponse } from '../wire/index.js'
import type { MetadataImage } from '../kraft/index.js'
import { defineHandler, type RequestContext } from './handler.js'
import { brokerList, CLUSTER_OPERATIONS, AUTHORIZED_OPERATIONS_OMITTED } from './cluster-view.js'

export interface DescribeClusterDeps {
  image: MetadataImage
  clusterId: string
  /** The id clients see as the controller: in KRaft Kafka answers a live broker, as Metadata does. */
  controllerId: () => number
}

/** KIP-919 endpoint types. */
export const EndpointType = { BROKER: 1, CONTROLLER: 2 } as const

export function describeClusterHandler(d: DescribeClusterDeps) {
  return defineHandler({
    apiKey: ApiKey.DescribeCluster,
    minVersion: 0,
    maxVersion: 1,
    handle(req: DescribeClusterRequest, ctx: RequestContext): DescribeClusterResponse {
      const v = ctx.apiVersion
      const endpointType = v >= 1 ? (req.endpointType ?? EndpointType.BROKER) : EndpointType.BROKER
      const refuse = (errorCode: number, errorMessage: string): DescribeClusterResponse => ({
        throttleTimeMs: 0,
        errorCode: v === 0 ? ErrorCode.INVALID_REQUEST : errorCode,
        errorMessage,
        clusterId: '',
        controllerId: -1,
        brokers: [],
        clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      })
      if (endpointType !== EndpointType.BROKER && endpointType !== EndpointType.CONTROLLER) {
        return refuse(ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, `Unsupported endpoint type ${endpointType}`)
      }
      if (endpointType === EndpointType.CONTROLLER) {
        return refuse(ErrorCode.MISMATCHED_ENDPOINT_TYPE, 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER')
      }
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        endpointType: v >= 1 ? EndpointType.BROKER : undefined,
        clusterId: d.clusterId,
        controllerId: d.controllerId(),
        brokers: brokerList(d.image, ctx.listenerName).map(b => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
        clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
      }
    },
  })
}

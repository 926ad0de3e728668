// DescribeQuorum (key 55), for `kafka-metadata-quorum.sh describe --status/--replication`: the
// state of the metadata quorum, which here is this one node, the only voter and always its leader.
// Its metadata log commits as it appends, so the high watermark is the log end.

import { ApiKey, ErrorCode, ZERO_UUID, type DescribeQuorumRequest, type DescribeQuorumResponse } from '../wire/index.js'
import { METADATA_TOPIC, type MetadataImage } from '../kraft/index.js'
import { defineHandler, type RequestContext } from './handler.js'

export interface DescribeQuorumDeps {
  nodeId: number
  image: MetadataImage
  /** The epoch of the metadata log's leader. */
  leaderEpoch: () => number
  now?: () => number
}

export function describeQuorumHandler(d: DescribeQuorumDeps) {
  const now = d.now ?? Date.now
  return defineHandler({
    apiKey: ApiKey.DescribeQuorum,
    minVersion: 0,
    maxVersion: 2,
    async handle(req: DescribeQuorumRequest, ctx: RequestContext): Promise<DescribeQuorumResponse> {
      const v = ctx.apiVersion
      // Kafka answers for __cluster_metadata-0 alone, and only when asked exactly that.
      const asked = req.topics.length === 1 && req.topics[0]!.topicName === METADATA_TOPIC && req.topics[0]!.partitions.length === 1 && req.topics[0]!.partitions[0]!.partitionIndex === 0
      const partition = { partitionIndex: 0, errorMessage: null, leaderId: -1, leaderEpoch: -1, highWatermark: -1, currentVoters: [], observers: [] }
      if (!asked) {
        return { errorCode: ErrorCode.NONE, errorMessage: null, topics: [{ topicName: METADATA_TOPIC, partitions: [{ ...partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] }], nodes: [] }
      }
      const logEnd = d.image.lastOffset + 1
      const t = now()
      // The leader reports itself as fetched and caught up now, as Kafka's leader does (v1+).
      const self = { replicaId: d.nodeId, replicaDirectoryId: ZERO_UUID, logEndOffset: logEnd, lastFetchTimestamp: v >= 1 ? t : -1, lastCaughtUpTimestamp: v >= 1 ? t : -1 }
      const endpoints = d.image.brokers.get(d.nodeId)?.endpoints ?? []
      return {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        topics: [{ topicName: METADATA_TOPIC, partitions: [{ ...partition, errorCode: ErrorCode.NONE, leaderId: d.nodeId, leaderEpoch: d.leaderEpoch(), highWatermark: logEnd, currentVoters: [self] }] }],
        // The voters' endpoints exist from v2 on.
        nodes: v >= 2 ? [{ nodeId: d.nodeId, listeners: endpoints.map(e => ({ name: e.name, host: e.host, port: e.port })) }] : [],
      }
    },
  })
}

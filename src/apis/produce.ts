// Produce (key 0): append record batches to partition leaders.

import { ApiKey, ErrorCode, type ProduceRequest, type ProduceResponse } from '../wire/index.js'
import type { ReplicaManager, ProduceEntry } from '../replication/index.js'
import type { Logger } from '../util/index.js'
import { CloseConnection, defineHandler, type RequestContext } from './handler.js'

export interface ProduceDeps {
  replicas: ReplicaManager
  log: Logger
}

/** The same error for every partition of the request. */
function refuse(req: ProduceRequest, code: number, message: string | null): ProduceResponse {
  return {
    throttleTimeMs: 0,
    responses: req.topicData.map(t => ({
      name: t.name,
      partitionResponses: t.partitionData.map(p => ({ index: p.index, errorCode: code, baseOffset: -1, errorMessage: message })),
    })),
  }
}

export function produceHandler(d: ProduceDeps) {
  return defineHandler({
    apiKey: ApiKey.Produce,
    // v0-2 stay advertised because librdkafka only compresses when Produce v0 is listed; their
    // requests (message formats v0/v1) are refused below, as Kafka 4 does.
    minVersion: 0,
    maxVersion: 11,
    async handle(req: ProduceRequest, ctx: RequestContext): Promise<ProduceResponse | null> {
      if (ctx.apiVersion < 3) {
        d.log.warn(`${ctx.clientAddress}: Produce v${ctx.apiVersion} (message format v0/v1) is no longer supported`)
        return refuse(req, ErrorCode.UNSUPPORTED_VERSION, 'Produce v0-v2 are not supported: upgrade the client to one that sends record batches v2.')
      }
      if (req.acks !== 0 && req.acks !== 1 && req.acks !== -1) {
        d.log.warn(`${ctx.clientAddress}: Produce with acks=${req.acks}`)
        return refuse(req, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1, not ${req.acks}`)
      }

      const entries: ProduceEntry[] = []
      for (const t of req.topicData) for (const p of t.partitionData) entries.push({ topic: t.name, partition: p.index, records: p.records })
      // Written at the end of the turn with the other requests' batches: the connection holds this answer until then.
      const results = await d.replicas.appendRecords(req.acks, req.timeoutMs, entries, true)

      for (const r of results) {
        if (r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER) {
          d.log.warn(`${ctx.clientAddress}: produce to ${r.topic}-${r.partition} failed with error ${r.errorCode}${r.errorMessage ? `: ${r.errorMessage}` : ''}`)
        }
      }
      if (req.acks === 0) {
        const failed = results.find(r => r.errorCode !== ErrorCode.NONE)
        if (failed) throw new CloseConnection(`acks=0 produce to ${failed.topic}-${failed.partition} failed with error ${failed.errorCode}`)
        return null
      }

      const byTopic = new Map<string, ProduceResponse.PartitionProduceResponse[]>()
      for (const r of results) {
        let list = byTopic.get(r.topic)
        if (!list) byTopic.set(r.topic, (list = []))
        list.push({
          index: r.partition,
          errorCode: r.errorCode,
          baseOffset: r.baseOffset,
          logAppendTimeMs: r.logAppendTime,
          logStartOffset: r.logStartOffset,
          recordErrors: r.recordErrors,
          errorMessage: r.errorMessage,
        })
      }
      return { throttleTimeMs: 0, responses: [...byTopic].map(([name, partitionResponses]) => ({ name, partitionResponses })) }
    },
  })
}

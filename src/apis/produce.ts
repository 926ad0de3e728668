// Produce (key 0): append record batches to partition leaders.

import { ApiKey, ErrorCode, type ProduceRequest, type ProduceResponse } from '../wire/index.js'
import type { ReplicaManager, ProduceEntry, ProduceResult } from '../replication/index.js'
import type { Logger } from '../util/index.js'
import { CloseConnection, defineHandler, type RequestContext } from './handler.js'

export interface ProduceDeps {
  replicas: ReplicaManager
  log: Logger
  /** KIP-890's check of writes that begin a transaction in a partition; null when switched off. */
  verifyTransactions: () => ((transactionalId: string, topic: string, partition: number, producerId: number, producerEpoch: number) => number) | null
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

/** The response for the appends' results (none for acks=0, whose failure closes the connection). */
function answer(d: ProduceDeps, req: ProduceRequest, ctx: RequestContext, results: ProduceResult[]): ProduceResponse | null {
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
  if (results.length === 1) {
    const r = results[0]!
    return { throttleTimeMs: 0, responses: [{ name: r.topic, partitionResponses: [partitionResponse(r)] }] }
  }
  const byTopic = new Map<string, ProduceResponse.PartitionProduceResponse[]>()
  for (const r of results) {
    let list = byTopic.get(r.topic)
    if (!list) byTopic.set(r.topic, (list = []))
    list.push(partitionResponse(r))
  }
  return { throttleTimeMs: 0, responses: [...byTopic].map(([name, partitionResponses]) => ({ name, partitionResponses })) }
}

function partitionResponse(r: ProduceResult): ProduceResponse.PartitionProduceResponse {
  return {
    index: r.partition,
    errorCode: r.errorCode,
    baseOffset: r.baseOffset,
    logAppendTimeMs: r.logAppendTime,
    logStartOffset: r.logStartOffset,
    recordErrors: r.recordErrors,
    errorMessage: r.errorMessage,
  }
}

export function produceHandler(d: ProduceDeps) {
  return defineHandler({
    apiKey: ApiKey.Produce,
    // v0-2 stay advertised because librdkafka only compresses when Produce v0 is listed; their
    // requests (message formats v0/v1) are refused below, as Kafka 4 does.
    minVersion: 0,
    maxVersion: 11,
    handle(req: ProduceRequest, ctx: RequestContext): ProduceResponse | null | Promise<ProduceResponse | null> {
      if (ctx.apiVersion < 3) {
        d.log.warn(`${ctx.clientAddress}: Produce v${ctx.apiVersion} (message format v0/v1) is no longer supported`)
        // acks=0 is never answered: as for any failed acks=0 produce, the connection is closed.
        if (req.acks === 0) throw new CloseConnection(`acks=0 Produce v${ctx.apiVersion} is not supported`)
        return refuse(req, ErrorCode.UNSUPPORTED_VERSION, 'Produce v0-v2 are not supported: upgrade the client to one that sends record batches v2.')
      }
      if (req.acks !== 0 && req.acks !== 1 && req.acks !== -1) {
        d.log.warn(`${ctx.clientAddress}: Produce with acks=${req.acks}`)
        return refuse(req, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1, not ${req.acks}`)
      }

      const entries: ProduceEntry[] = []
      for (const t of req.topicData) for (const p of t.partitionData) entries.push({ topic: t.name, partition: p.index, records: p.records })
      // Written at the end of the turn with the other requests' batches: the connection holds this answer until then.
      // Usually synchronous (acks=0/1, the log not busy): then so is the answer.
      const verify = req.transactionalId !== null ? d.verifyTransactions() : null
      const txnId = req.transactionalId ?? ''
      const results = d.replicas.appendRecords(req.acks, req.timeoutMs, entries, true, verify ? (topic, partition, pid, epoch) => verify(txnId, topic, partition, pid, epoch) : undefined)
      if (results instanceof Promise) return results.then(r => answer(d, req, ctx, r))
      return answer(d, req, ctx, results)
    },
  })
}

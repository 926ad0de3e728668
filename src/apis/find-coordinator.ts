// FindCoordinator (key 10): which broker coordinates a group (the leader of its __consumer_offsets
// partition) or a transactional id (the leader of its __transaction_state partition). v0-3 ask
// for one key, v4+ for a batch (KIP-699).

import { ApiKey, ErrorCode, type FindCoordinatorRequest, type FindCoordinatorResponse } from '../wire/index.js'
import type { MetadataImage } from '../kraft/index.js'
import type { GroupCoordinator } from '../groups/index.js'
import type { TransactionCoordinator } from '../txn/index.js'
import type { Logger } from '../util/index.js'
import { brokerList } from './cluster-view.js'
import { defineHandler, type RequestContext } from './handler.js'

export interface FindCoordinatorDeps {
  coordinator: GroupCoordinator
  transactions: TransactionCoordinator
  image: MetadataImage
  log: Logger
}

const KEY_TYPE_GROUP = 0
const KEY_TYPE_TRANSACTION = 1

export function findCoordinatorHandler(d: FindCoordinatorDeps) {
  const lookup = async (key: string, keyType: number, ctx: RequestContext): Promise<FindCoordinatorResponse.Coordinator> => {
    const none = (errorCode: number, errorMessage: string | null): FindCoordinatorResponse.Coordinator => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage })
    if (keyType !== KEY_TYPE_GROUP && keyType !== KEY_TYPE_TRANSACTION) {
      d.log.warn(`${ctx.clientAddress}: FindCoordinator with unknown key type ${keyType}`)
      return none(ErrorCode.INVALID_REQUEST, `Unknown coordinator key type ${keyType}.`)
    }
    if (keyType === KEY_TYPE_TRANSACTION && key === '') return none(ErrorCode.INVALID_REQUEST, 'The transactional id is empty.')
    const c = keyType === KEY_TYPE_GROUP ? await d.coordinator.findGroupCoordinator(key) : await d.transactions.findCoordinator(key)
    if (c.errorCode !== ErrorCode.NONE) return none(c.errorCode, c.errorMessage)
    const broker = brokerList(d.image, ctx.listenerName).find(b => b.nodeId === c.nodeId)
    if (!broker) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, `The coordinator (node ${c.nodeId}) is not available.`)
    return { key, nodeId: broker.nodeId, host: broker.host, port: broker.port, errorCode: ErrorCode.NONE, errorMessage: null }
  }

  return defineHandler({
    apiKey: ApiKey.FindCoordinator,
    minVersion: 0,
    maxVersion: 6,
    async handle(req: FindCoordinatorRequest, ctx: RequestContext): Promise<FindCoordinatorResponse> {
      const v = ctx.apiVersion
      const keyType = v >= 1 ? (req.keyType ?? KEY_TYPE_GROUP) : KEY_TYPE_GROUP
      if (v >= 4) {
        const coordinators = await Promise.all((req.coordinatorKeys ?? []).map(k => lookup(k, keyType, ctx)))
        return { throttleTimeMs: 0, coordinators }
      }
      const r = await lookup(req.key ?? '', keyType, ctx)
      return { throttleTimeMs: 0, errorCode: r.errorCode, errorMessage: r.errorMessage, nodeId: r.nodeId, host: r.host, port: r.port }
    },
  })
}

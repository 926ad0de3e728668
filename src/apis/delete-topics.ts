// DeleteTopics (key 20): delete topics by name (v0-5) or by name or topic id (v6+).

import { ApiKey, ErrorCode, ZERO_UUID, type DeleteTopicsRequest, type DeleteTopicsResponse, type Uuid } from '../wire/index.js'
import type { Controller, MetadataImage } from '../kraft/index.js'
import { defineHandler, type RequestContext } from './handler.js'

export interface DeleteTopicsDeps {
  controller: Controller
  image: MetadataImage
}

type Result = DeleteTopicsResponse.DeletableTopicResult

export function deleteTopicsHandler(d: DeleteTopicsDeps) {
  return defineHandler({
    apiKey: ApiKey.DeleteTopics,
    minVersion: 0,
    maxVersion: 6,
    async handle(req: DeleteTopicsRequest, ctx: RequestContext): Promise<DeleteTopicsResponse> {
      const v = ctx.apiVersion
      const result = (name: string | null, topicId: Uuid | null, errorCode: number, errorMessage: string | null): Result => ({
        name: v >= 6 ? name : (name ?? ''),
        topicId: v >= 6 ? (topicId ?? ZERO_UUID) : undefined,
        errorCode,
        errorMessage: v >= 5 ? errorMessage : undefined,
      })

      const requested: Array<{ name: string | null; topicId: Uuid | null }> =
        v >= 6
          ? (req.topics ?? []).map(t => ({ name: t.name ?? null, topicId: t.topicId && t.topicId !== ZERO_UUID ? t.topicId : null }))
          : (req.topicNames ?? []).map(name => ({ name, topicId: null }))

      // Kafka's checks (ControllerApis.deleteTopics): each topic once, by name or by id, not both.
      const nameCount = new Map<string, number>()
      const idCount = new Map<Uuid, number>()
      for (const t of requested) {
        if (t.topicId) idCount.set(t.topicId, (idCount.get(t.topicId) ?? 0) + 1)
        else if (t.name !== null) nameCount.set(t.name, (nameCount.get(t.name) ?? 0) + 1)
      }
      const requestedIds = new Set(idCount.keys())
      const out: Array<Result | { target: { name: string | null; topicId: Uuid | null } }> = []
      const targets: Array<{ name: string | null; topicId: Uuid | null }> = []
      const reportedNames = new Set<string>()
      const reportedIds = new Set<Uuid>()
      for (const t of requested) {
        if (t.name !== null && t.topicId !== null) {
          out.push(result(t.name, t.topicId, ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.'))
        } else if (t.name === null && t.topicId === null) {
          out.push(result(null, null, ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.'))
        } else if (t.topicId !== null) {
          if (reportedIds.has(t.topicId)) continue
          reportedIds.add(t.topicId)
          if ((idCount.get(t.topicId) ?? 0) > 1) out.push(result(null, t.topicId, ErrorCode.INVALID_REQUEST, 'Duplicate topic id.'))
          else {
            out.push({ target: t })
            targets.push(t)
          }
        } else {
          const name = t.name!
          if (reportedNames.has(name)) continue
          reportedNames.add(name)
          const id = d.image.topicsByName.get(name)?.id
          if ((nameCount.get(name) ?? 0) > 1) out.push(result(name, null, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'))
          else if (id !== undefined && requestedIds.has(id)) {
            out.push(result(name, null, ErrorCode.INVALID_REQUEST, 'The provided topic name maps to an ID that was already supplied.'))
          } else {
            out.push({ target: t })
            targets.push(t)
          }
        }
      }

      const deleted = targets.length > 0 ? await d.controller.deleteTopics(targets) : []
      let next = 0
      const responses = out.map(o => {
        if (!('target' in o)) return o
        const r = deleted[next++]
        if (!r) return result(o.target.name, o.target.topicId, ErrorCode.UNKNOWN_SERVER_ERROR, 'The controller returned no result for this topic.')
        let errorCode = r.errorCode
        const errorMessage = r.errorMessage
        // Before v3, Kafka reports disabled deletion as an invalid request.
        if (errorCode === ErrorCode.TOPIC_DELETION_DISABLED && v < 3) errorCode = ErrorCode.INVALID_REQUEST
        // A topic asked for by id is named in the answer when it was found (as Kafka does).
        return result(r.name ?? o.target.name, r.topicId ?? o.target.topicId, errorCode, errorCode === ErrorCode.NONE ? null : errorMessage)
      })
      return { throttleTimeMs: 0, responses }
    },
  })
}

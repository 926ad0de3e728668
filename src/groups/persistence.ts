// Everything the coordinator writes to __consumer_offsets: group metadata (generation, members,
// assignments), offset commits and tombstones, each as one batch appended with acks=all as Kafka's
// coordinator does, and the mapping of append errors to what group requests answer.

import { buildBatch, errorName, ErrorCode, type GroupMetadataValue } from '../wire/index.js'
import type { CoordinatorContext } from './context.js'
import type { ReplicaAccess } from './deps.js'
import { splitTpKey, type ClassicGroup } from './group.js'
import {
  OFFSETS_TOPIC,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  GROUP_METADATA_VALUE_VERSION,
  type OffsetCommitRecordValue,
} from './records.js'

const EMPTY = Buffer.alloc(0)

interface KeyedRecord {
  key: Buffer
  value: Buffer | null
}

export class GroupPersistence {
  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly replicas: ReplicaAccess,
  ) {}

  /** Persists the group (its generation, members and their assignments); `callback` gets the coordinator-facing error. */
  storeGroup(group: ClassicGroup, assignment: Map<string, Buffer>, callback: (error: number) => void): void {
    const value: GroupMetadataValue = {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      currentStateTimestamp: group.currentStateTimestamp ?? -1,
      members: [...group.members.values()].map(m => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: group.protocolName !== null ? m.metadata(group.protocolName) : EMPTY,
        assignment: assignment.get(m.memberId) ?? EMPTY,
      })),
    }
    let encoded: Buffer
    try {
      encoded = encodeGroupMetadataValue(value, GROUP_METADATA_VALUE_VERSION)
    } catch (err) {
      this.ctx.log.error(`cannot encode metadata of group ${group.groupId}: ${(err as Error).message}`)
      queueMicrotask(() => callback(ErrorCode.UNKNOWN_SERVER_ERROR))
      return
    }
    void this.append(group.partition, [{ key: encodeGroupMetadataKey(group.groupId), value: encoded }]).then(({ errorCode }) => {
      if (errorCode !== ErrorCode.NONE) this.ctx.log.warn(`failed to store metadata of group ${group.groupId} in ${OFFSETS_TOPIC}-${group.partition}: ${errorName(errorCode)}`)
      callback(storeGroupErrorFor(errorCode))
    })
  }

  /** Writes offset commits as one batch; the raw append error and the batch's base offset. */
  writeOffsetCommits(
    group: ClassicGroup,
    commits: Array<{ topic: string; partition: number; value: OffsetCommitRecordValue }>,
    txn?: { producerId: number; producerEpoch: number },
  ): Promise<{ errorCode: number; baseOffset: number }> {
    return this.append(
      group.partition,
      commits.map(c => ({ key: encodeOffsetCommitKey(group.groupId, c.topic, c.partition), value: encodeOffsetCommitValue(c.value) })),
      txn,
    )
  }

  /** Tombstones for the group's offsets under `offsetKeys` (tpKey form) and, with `groupToo`, its metadata. */
  async writeTombstones(group: ClassicGroup, offsetKeys: readonly string[], groupToo: boolean): Promise<void> {
    const records: KeyedRecord[] = offsetKeys.map(k => {
      const { topic, partition } = splitTpKey(k)
      return { key: encodeOffsetCommitKey(group.groupId, topic, partition), value: null }
    })
    if (groupToo) records.push({ key: encodeGroupMetadataKey(group.groupId), value: null })
    if (records.length === 0) return
    const { errorCode } = await this.append(group.partition, records)
    if (errorCode !== ErrorCode.NONE) this.ctx.log.warn(`failed to write ${records.length} tombstones for group ${group.groupId} to ${OFFSETS_TOPIC}-${group.partition}: ${errorName(errorCode)}`)
  }

  /**
   * Appends records as one batch with acks=all, as Kafka's coordinator does. A transactional
   * commit's batch carries the producer's id and epoch (a fenced epoch is refused by the log).
   */
  private async append(partition: number, records: KeyedRecord[], txn?: { producerId: number; producerEpoch: number }): Promise<{ errorCode: number; baseOffset: number }> {
    const timeoutMs = this.ctx.cfg().offsetCommitTimeoutMs
    if (!this.ctx.registry.isLoaded(partition)) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, baseOffset: -1 }
    try {
      const now = this.ctx.now()
      const batch = await buildBatch({
        records: records.map(r => ({ key: r.key, value: r.value, timestamp: now })),
        ...(txn && { producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence: 0, transactional: true }),
      })
      const [res] = await this.replicas.appendRecords(-1, timeoutMs, [{ topic: OFFSETS_TOPIC, partition, records: batch, origin: 'coordinator' }])
      if (!res) return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, baseOffset: -1 }
      if (res.errorCode !== ErrorCode.NONE && res.errorMessage) this.ctx.log.debug(`append to ${OFFSETS_TOPIC}-${partition}: ${res.errorMessage}`)
      return { errorCode: res.errorCode, baseOffset: res.baseOffset }
    } catch (err) {
      this.ctx.log.error(`append to ${OFFSETS_TOPIC}-${partition} failed: ${(err as Error).stack ?? err}`)
      return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, baseOffset: -1 }
    }
  }
}

/** Kafka's mapping of __consumer_offsets append errors; `tooLarge` answers for writes over the size limits. */
function appendErrorFor(code: number, tooLarge: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return tooLarge
    default:
      return code
  }
}

/** Kafka's mapping of append errors for group metadata writes. */
function storeGroupErrorFor(code: number): number {
  return code === ErrorCode.REQUEST_TIMED_OUT ? ErrorCode.REBALANCE_IN_PROGRESS : appendErrorFor(code, ErrorCode.UNKNOWN_SERVER_ERROR)
}

/** Kafka's mapping of append errors for offset commits. */
export function commitErrorFor(code: number): number {
  return appendErrorFor(code, ErrorCode.INVALID_COMMIT_OFFSET_SIZE)
}

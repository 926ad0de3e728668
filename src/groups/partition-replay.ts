// Reading a __consumer_offsets partition back: replaying its records from the log start (the last
// record for each key wins, tombstones delete) and turning what is left into groups.

import {
  BATCH_MAGIC,
  decodeBatchRecords,
  isControlBatch,
  splitBatches,
  type GroupMetadataValue,
  type Record as BatchRecord,
} from '../wire/index.js'
import type { Logger } from '../util/index.js'
import type { OffsetsPartitionAccess } from './deps.js'
import { ClassicGroup, MemberMetadata, tpKey, type CommittedOffset } from './group.js'
import { decodeGroupMetadataValue, decodeOffsetCommitValue, decodeOffsetsKey } from './records.js'

/** What a partition holds: each group's last metadata record and its committed offsets by tpKey. */
export interface ReplayedPartition {
  groups: Map<string, GroupMetadataValue>
  offsets: Map<string, Map<string, CommittedOffset>>
}

/** Replays one partition from its log start: the last record for each key wins, tombstones delete. */
export async function replayOffsetsPartition(part: OffsetsPartitionAccess, name: string, loadBufferSize: number, log: Logger): Promise<ReplayedPartition> {
  const groups = new Map<string, GroupMetadataValue>()
  const offsets = new Map<string, Map<string, CommittedOffset>>()
  const bufSize = Math.max(1024, loadBufferSize)
  const end = part.logEndOffset
  let offset = part.logStartOffset
  let skipped = 0
  while (offset < end) {
    const { records } = await part.log.read(offset, bufSize, end, true)
    if (records.length === 0) break
    const before = offset
    for (const b of splitBatches(records)) {
      const next = b.header.baseOffset + b.header.lastOffsetDelta + 1
      if (b.header.magic === BATCH_MAGIC && !isControlBatch(b.header.attributes) && next > offset) {
        for (const r of await decodeBatchRecords(records, b)) {
          if (r.offset < offset) continue
          try {
            if (!replayRecord(r, groups, offsets)) skipped++
          } catch (err) {
            log.warn(`${name}: skipping unreadable record at offset ${r.offset}: ${(err as Error).message}`)
          }
        }
      }
      if (next > offset) offset = next
    }
    if (offset === before) break
  }
  if (skipped > 0) log.info(`${name}: skipped ${skipped} records of group types this coordinator does not serve`)
  return { groups, offsets }
}

function replayRecord(r: BatchRecord, groups: Map<string, GroupMetadataValue>, offsets: Map<string, Map<string, CommittedOffset>>): boolean {
  if (!r.key) throw new Error('record without a key')
  const key = decodeOffsetsKey(r.key)
  if (key.kind === 'offset') {
    const k = tpKey(key.topic, key.partition)
    let m = offsets.get(key.group)
    if (r.value === null) {
      m?.delete(k)
      if (m && m.size === 0) offsets.delete(key.group)
    } else {
      const v = decodeOffsetCommitValue(r.value)
      if (!m) offsets.set(key.group, (m = new Map()))
      m.set(k, { ...v, appendedBatchOffset: r.offset })
    }
    return true
  }
  if (key.kind === 'group') {
    if (r.value === null) groups.delete(key.group)
    else groups.set(key.group, decodeGroupMetadataValue(r.value))
    return true
  }
  return false
}

/**
 * The groups a replay describes: those with a metadata record (Empty without members, else
 * Stable) and those that only hold offsets (Empty), each with its committed offsets.
 */
export function groupsOf(replayed: ReplayedPartition, now: number): ClassicGroup[] {
  const out: ClassicGroup[] = []
  for (const [groupId, value] of replayed.groups) {
    const g = groupFromRecord(groupId, value, now)
    for (const [k, o] of replayed.offsets.get(groupId) ?? []) g.offsets.set(k, o)
    out.push(g)
  }
  for (const [groupId, offs] of replayed.offsets) {
    if (replayed.groups.has(groupId) || offs.size === 0) continue
    const g = new ClassicGroup(groupId, 'Empty', now)
    g.currentStateTimestamp = null
    for (const [k, o] of offs) g.offsets.set(k, o)
    out.push(g)
  }
  return out
}

/** A group as stored in its last metadata record: Empty without members, else Stable. */
function groupFromRecord(groupId: string, v: GroupMetadataValue, now: number): ClassicGroup {
  const g = new ClassicGroup(groupId, v.members.length === 0 ? 'Empty' : 'Stable', now)
  g.currentStateTimestamp = v.currentStateTimestamp !== undefined && v.currentStateTimestamp >= 0 ? v.currentStateTimestamp : null
  g.generationId = v.generation
  g.protocolType = v.protocolType === '' ? null : v.protocolType
  g.protocolName = v.protocol
  g.leaderId = v.leader
  const protocolType = g.protocolType ?? ''
  for (const m of v.members) {
    const member = new MemberMetadata(
      m.memberId,
      m.groupInstanceId ?? null,
      m.clientId,
      m.clientHost,
      m.rebalanceTimeout !== undefined && m.rebalanceTimeout >= 0 ? m.rebalanceTimeout : m.sessionTimeout,
      m.sessionTimeout,
      protocolType,
      v.protocol !== null ? [{ name: v.protocol, metadata: m.subscription }] : [],
    )
    member.assignment = m.assignment
    g.members.set(member.memberId, member)
    if (member.groupInstanceId !== null) g.staticMembers.set(member.groupInstanceId, member.memberId)
  }
  g.subscribedTopics = g.computeSubscribedTopics()
  return g
}

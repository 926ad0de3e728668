// Reading a __consumer_offsets partition back: replaying its records from the log start (the last
// record for each key wins, tombstones delete) and turning what is left into groups. Offsets
// committed inside transactions wait for their transaction's marker: COMMIT makes them count,
// ABORT drops them, and those of transactions still open stay pending in their groups.

import { ControlRecordType, decodeControlRecordKey, isControlBatch, isTransactional, type BatchHeader, type GroupMetadataValue, type Record as BatchRecord } from '../wire/index.js'
import { replayBatches } from '../storage/index.js'
import type { Logger } from '../util/index.js'
import type { OffsetsPartitionAccess } from './deps.js'
import { ClassicGroup, MemberMetadata, tpKey, type CommittedOffset } from './group.js'
import { decodeGroupMetadataValue, decodeOffsetCommitValue, decodeOffsetsKey } from './records.js'

type OffsetsByGroup = Map<string, Map<string, CommittedOffset>>

/** What a partition holds: each group's last metadata record and its committed offsets by tpKey. */
export interface ReplayedPartition {
  groups: Map<string, GroupMetadataValue>
  offsets: OffsetsByGroup
  /** Offsets of transactions with no marker yet, by producer id. */
  pendingTxn: Map<number, OffsetsByGroup>
}

/** Replays one partition from its log start: the last record for each key wins, tombstones delete. */
export async function replayOffsetsPartition(part: OffsetsPartitionAccess, name: string, loadBufferSize: number, log: Logger): Promise<ReplayedPartition> {
  const out: ReplayedPartition = { groups: new Map(), offsets: new Map(), pendingTxn: new Map() }
  let skipped = 0
  await replayBatches(part, loadBufferSize, (h, records) => {
    if (isControlBatch(h.attributes)) {
      replayMarker(h, records, out)
      return
    }
    const txn = isTransactional(h.attributes) ? txnOffsetsOf(out, h.producerId) : null
    for (const r of records) {
      try {
        if (!replayRecord(r, out, txn)) skipped++
      } catch (err) {
        log.warn(`${name}: skipping unreadable record at offset ${r.offset}: ${(err as Error).message}`)
      }
    }
  })
  if (skipped > 0) log.info(`${name}: skipped ${skipped} records of group types this coordinator does not serve`)
  return out
}

function txnOffsetsOf(out: ReplayedPartition, producerId: number): OffsetsByGroup {
  let m = out.pendingTxn.get(producerId)
  if (!m) out.pendingTxn.set(producerId, (m = new Map()))
  return m
}

/** A COMMIT or ABORT marker ends the producer's pending offsets here. */
function replayMarker(h: BatchHeader, records: BatchRecord[], out: ReplayedPartition): void {
  const pending = out.pendingTxn.get(h.producerId)
  const r = records[0]
  if (!pending || !r) return
  let type: number
  try {
    type = decodeControlRecordKey(r.key).type
  } catch {
    return
  }
  if (type !== ControlRecordType.Commit && type !== ControlRecordType.Abort) return
  out.pendingTxn.delete(h.producerId)
  if (type === ControlRecordType.Abort) return
  for (const [group, offs] of pending) {
    let m = out.offsets.get(group)
    if (!m) out.offsets.set(group, (m = new Map()))
    for (const [k, o] of offs) {
      const prev = m.get(k)
      if (!prev || prev.appendedBatchOffset < o.appendedBatchOffset) m.set(k, o)
    }
  }
}

/** One record; `txn` holds the offsets of its transaction when the batch is transactional. */
function replayRecord(r: BatchRecord, out: ReplayedPartition, txn: OffsetsByGroup | null): boolean {
  if (!r.key) throw new Error('record without a key')
  const { groups } = out
  const key = decodeOffsetsKey(r.key)
  if (key.kind === 'offset') {
    const k = tpKey(key.topic, key.partition)
    const offsets = txn ?? out.offsets
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
  const byId = new Map(out.map(g => [g.groupId, g]))
  const offsetsOnly = (groupId: string): ClassicGroup => {
    let g = byId.get(groupId)
    if (!g) {
      g = new ClassicGroup(groupId, 'Empty', now)
      g.currentStateTimestamp = null
      byId.set(groupId, g)
      out.push(g)
    }
    return g
  }
  for (const [groupId, offs] of replayed.offsets) {
    if (offs.size === 0) continue
    const g = offsetsOnly(groupId)
    if (!replayed.groups.has(groupId)) for (const [k, o] of offs) g.offsets.set(k, o)
  }
  for (const [producerId, byGroup] of replayed.pendingTxn) {
    for (const [groupId, offs] of byGroup) if (offs.size > 0) offsetsOnly(groupId).pendingTxnOffsets.set(producerId, offs)
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

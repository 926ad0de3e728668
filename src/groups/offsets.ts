// Committed offsets: OffsetCommit (from members, or from simple consumers and admin tools for
// groups without members), OffsetFetch, OffsetDelete, and dropping the offsets of deleted topics.

import type { MetadataImage } from '../kraft/index.js'
import { errorName, ErrorCode } from '../wire/index.js'
import type { CoordinatorContext } from './context.js'
import { splitTpKey, tpKey, type ClassicGroup } from './group.js'
import { commitErrorFor, type GroupPersistence } from './persistence.js'
import type { Rebalancer } from './rebalance.js'
import { OFFSETS_TOPIC } from './records.js'
import type { FetchedOffset, OffsetCommitParams } from './requests.js'

export class OffsetManager {
  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly image: MetadataImage,
    private readonly persistence: GroupPersistence,
    private readonly rebalance: Rebalancer,
  ) {}

  /** Commits offsets; one error code per entry of `r.offsets`, in order. */
  async commitOffsets(r: OffsetCommitParams): Promise<number[]> {
    const api = r.txn ? 'TxnOffsetCommit' : 'OffsetCommit'
    const all = (code: number): number[] => r.offsets.map(() => code)
    const err = this.ctx.registry.validateGroupStatus(r.groupId)
    if (err !== null) {
      this.ctx.refuse(api, r.groupId, err)
      return all(err)
    }
    const errors: number[] = r.offsets.map(o => (this.image.partition(o.topic, o.partition) ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))
    const unknown = r.offsets.filter((_, i) => errors[i] !== ErrorCode.NONE)
    if (unknown.length > 0) {
      this.ctx.log.info(`${api} for group ${this.ctx.describeId(r.groupId)}: UNKNOWN_TOPIC_OR_PARTITION for ${unknown.map(o => `${o.topic}-${o.partition}`).join(', ')}`)
    }
    const wanted = r.offsets.map((o, i) => ({ o, i })).filter(x => errors[x.i] === ErrorCode.NONE)
    if (wanted.length === 0) return errors
    const setAll = (code: number): number[] => {
      for (const w of wanted) errors[w.i] = code
      return errors
    }

    let group = this.ctx.registry.groups.get(r.groupId)
    if (!group) {
      // A transactional commit creates the group, whatever its generation (Kafka does the same).
      if (r.generationId >= 0 && !r.txn) {
        this.ctx.refuse(api, r.groupId, ErrorCode.ILLEGAL_GENERATION, `generation ${r.generationId} of a group that does not exist`)
        return setAll(ErrorCode.ILLEGAL_GENERATION)
      }
      // Not managed by the coordinator (simple consumer or admin): the group exists to hold offsets.
      group = this.ctx.registry.getOrCreateGroup(r.groupId)
    }
    const invalid = this.validateOffsetCommit(group, r)
    if (invalid !== null) {
      this.ctx.refuse(api, r.groupId, invalid, `member '${r.memberId}' generation ${r.generationId} (group at ${group.generationId}, ${group.state})`)
      this.ctx.registry.dropIfUnused(group)
      return setAll(invalid)
    }
    if (!r.txn) switch (group.state) {
      case 'CompletingRebalance':
        // The member is valid and has its JoinGroup answer: it must finish the rebalance first.
        return setAll(ErrorCode.REBALANCE_IN_PROGRESS)
      case 'Stable':
      case 'PreparingRebalance': {
        // Commits are allowed while preparing: the heartbeat tells the member to rejoin.
        const member = group.members.get(r.memberId)
        if (member) this.rebalance.scheduleHeartbeat(group, member)
        break
      }
      default:
        break
    }
    const codes = await this.storeOffsets(group, r, wanted.map(w => w.o))
    wanted.forEach((w, j) => (errors[w.i] = codes[j]))
    this.ctx.registry.dropIfUnused(group)
    return errors
  }

  private validateOffsetCommit(group: ClassicGroup, r: OffsetCommitParams): number | null {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if (r.generationId >= 0 || r.memberId !== '' || r.groupInstanceId !== null) {
      if (group.isStaticMemberFenced(r.groupInstanceId, r.memberId)) return ErrorCode.FENCED_INSTANCE_ID
      if ((r.generationId >= 0 || r.memberId !== '') && !group.members.has(r.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID
      if (r.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
      return null
    }
    // Without member id and generation, only an empty group takes commits; not so for
    // transactional commits, whose older versions carry neither.
    if (!group.is('Empty') && !r.txn) return ErrorCode.UNKNOWN_MEMBER_ID
    return null
  }

  private async storeOffsets(group: ClassicGroup, r: OffsetCommitParams, offsets: OffsetCommitParams['offsets']): Promise<number[]> {
    const cfg = this.ctx.cfg()
    const now = this.ctx.now()
    const tooLarge = (o: OffsetCommitParams['offsets'][number]) => o.metadata !== null && Buffer.byteLength(o.metadata, 'utf8') > cfg.offsetMetadataMaxBytes
    const results: number[] = offsets.map(o => (tooLarge(o) ? ErrorCode.OFFSET_METADATA_TOO_LARGE : ErrorCode.NONE))
    if (results.some(c => c !== ErrorCode.NONE)) {
      this.ctx.log.info(`${r.txn ? 'TxnOffsetCommit' : 'OffsetCommit'} for group ${this.ctx.describeId(group.groupId)}: metadata larger than offset.metadata.max.bytes (${cfg.offsetMetadataMaxBytes}): OFFSET_METADATA_TOO_LARGE`)
    }
    const toWrite = offsets
      .map((o, i) => ({ i, key: tpKey(o.topic, o.partition), o }))
      .filter(x => results[x.i] === ErrorCode.NONE)
      .map(x => ({
        ...x,
        value: {
          offset: x.o.offset,
          leaderEpoch: x.o.leaderEpoch,
          metadata: x.o.metadata ?? '',
          commitTimestamp: x.o.commitTimestamp < 0 ? now : x.o.commitTimestamp,
          // Capped where the sum leaves the exact integers (a retention of ~285,000 years is forever).
          expireTimestamp: r.retentionTimeMs >= 0 ? Math.min(now + r.retentionTimeMs, Number.MAX_SAFE_INTEGER) : null,
        },
      }))
    if (toWrite.length === 0) return results
    for (const w of toWrite) group.pendingOffsetCommits.set(w.key, (group.pendingOffsetCommits.get(w.key) ?? 0) + 1)
    const { errorCode, baseOffset } = await this.persistence.writeOffsetCommits(
      group,
      toWrite.map(w => ({ topic: w.o.topic, partition: w.o.partition, value: w.value })),
      r.txn,
    )
    for (const w of toWrite) {
      const n = (group.pendingOffsetCommits.get(w.key) ?? 1) - 1
      if (n <= 0) group.pendingOffsetCommits.delete(w.key)
      else group.pendingOffsetCommits.set(w.key, n)
    }
    let code = errorCode
    if (code === ErrorCode.NONE && r.txn) {
      // Held until the transaction's marker reaches this partition (completeTransaction).
      if (!group.is('Dead')) {
        let pending = group.pendingTxnOffsets.get(r.txn.producerId)
        if (!pending) group.pendingTxnOffsets.set(r.txn.producerId, (pending = new Map()))
        for (const w of toWrite) pending.set(w.key, { ...w.value, appendedBatchOffset: baseOffset })
      }
    } else if (code === ErrorCode.NONE) {
      if (!group.is('Dead')) {
        for (const w of toWrite) {
          const prev = group.offsets.get(w.key)
          if (!prev || prev.appendedBatchOffset < baseOffset) group.offsets.set(w.key, { ...w.value, appendedBatchOffset: baseOffset })
        }
      }
    } else {
      code = commitErrorFor(code)
      this.ctx.log.warn(`failed to store offsets of group ${group.groupId} in ${OFFSETS_TOPIC}-${group.partition}: ${errorName(errorCode)} (answering ${errorName(code)})`)
    }
    for (const w of toWrite) results[w.i] = code
    return results
  }

  /** Committed offsets; `topics` null means all of the group's. Partitions without a commit get offset -1. */
  fetchOffsets(groupId: string, topics: Array<{ topic: string; partitions: number[] }> | null, requireStable: boolean): { errorCode: number; offsets: FetchedOffset[] } {
    const err = this.ctx.registry.validateGroupStatus(groupId)
    if (err !== null) {
      this.ctx.refuse('OffsetFetch', groupId, err)
      return { errorCode: err, offsets: [] }
    }
    const group = this.ctx.registry.groups.get(groupId)
    const live = group && !group.is('Dead') ? group : null
    const out: FetchedOffset[] = []
    const entry = (topic: string, partition: number): FetchedOffset => {
      const key = tpKey(topic, partition)
      // require_stable (KIP-447): an offset an open transaction may still change is not answered.
      if (requireStable && live?.hasPendingTxnOffset(key)) return { topic, partition, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT }
      const o = live?.offsets.get(key)
      return o
        ? { topic, partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE }
        : { topic, partition, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE }
    }
    if (topics === null) {
      if (live) {
        const keys = [...live.offsets.keys()].map(splitTpKey).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
        for (const k of keys) out.push(entry(k.topic, k.partition))
      }
    } else {
      for (const t of topics) for (const p of t.partitions) out.push(entry(t.topic, p))
    }
    return { errorCode: ErrorCode.NONE, offsets: out }
  }

  /** OffsetDelete: removes committed offsets of partitions the group does not consume. */
  async deleteOffsets(groupId: string, partitions: Array<{ topic: string; partition: number }>): Promise<{ errorCode: number; partitions: Array<{ topic: string; partition: number; errorCode: number }> }> {
    const err = this.ctx.registry.validateGroupStatus(groupId)
    if (err !== null) {
      this.ctx.refuse('OffsetDelete', groupId, err)
      return { errorCode: err, partitions: [] }
    }
    const group = this.ctx.registry.groups.get(groupId)
    if (!group || group.is('Dead')) {
      this.ctx.refuse('OffsetDelete', groupId, ErrorCode.GROUP_ID_NOT_FOUND)
      return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, partitions: [] }
    }
    const results: Array<{ topic: string; partition: number; errorCode: number }> = partitions.map(p => ({ ...p, errorCode: this.image.partition(p.topic, p.partition) ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }))
    if (!group.is('Empty')) {
      if (!group.isConsumerGroup) {
        this.ctx.refuse('OffsetDelete', groupId, ErrorCode.NON_EMPTY_GROUP, `the group is ${group.state}`)
        return { errorCode: ErrorCode.NON_EMPTY_GROUP, partitions: [] }
      }
      for (const r of results) {
        if (r.errorCode === ErrorCode.NONE && group.isSubscribedToTopic(r.topic)) {
          r.errorCode = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC
          this.ctx.refuse('OffsetDelete', groupId, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, `topic ${r.topic}`)
        }
      }
    }
    const eligible = results.filter(r => r.errorCode === ErrorCode.NONE).map(r => tpKey(r.topic, r.partition))
    const removed = eligible.filter(k => group.offsets.delete(k))
    if (removed.length > 0) {
      await this.persistence.writeTombstones(group, removed, false)
      this.ctx.log.info(`removed ${removed.length} offsets of group ${groupId} on OffsetDelete`)
    }
    return { errorCode: ErrorCode.NONE, partitions: results }
  }

  /**
   * A transaction's marker reached __consumer_offsets partition `partition`: the offsets producer
   * `producerId` committed in it there count now (commit) or are dropped (abort).
   */
  completeTransaction(partition: number, producerId: number, commit: boolean): void {
    for (const g of this.ctx.registry.groups.values()) {
      if (g.partition !== partition || !g.pendingTxnOffsets.has(producerId)) continue
      const n = g.completeTxnOffsets(producerId, commit)
      this.ctx.log.debug(`group ${this.ctx.describeId(g.groupId)}: transaction of producer ${producerId} ${commit ? `committed ${n} offsets` : 'aborted'}`)
      this.ctx.registry.dropIfUnused(g)
    }
  }

  /** A topic was deleted: its committed offsets go too. */
  async removeOffsetsOfTopic(topic: string): Promise<void> {
    const writes: Promise<void>[] = []
    for (const g of this.ctx.registry.groups.values()) {
      const keys = [...g.offsets.keys()].filter(k => splitTpKey(k).topic === topic)
      if (keys.length === 0) continue
      for (const k of keys) g.offsets.delete(k)
      writes.push(this.persistence.writeTombstones(g, keys, false))
    }
    await Promise.all(writes)
  }
}

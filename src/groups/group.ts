// One classic consumer group as the coordinator holds it in memory: its state, generation,
// members (dynamic and static), the protocol they agreed on, and its committed offsets.
// This is plain state with Kafka's rules (transitions, protocol selection, leader choice);
// timers, persistence and requests live in the coordinator's modules (see coordinator.ts).

import { ConsumerProtocolSubscriptionSchema, ErrorCode, Reader } from '../wire/index.js'
import type { Timer } from '../util/index.js'

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

export const GROUP_STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead']

/** Kafka's GroupState.validPreviousStates. */
const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  Empty: ['PreparingRebalance'],
}

export const CONSUMER_PROTOCOL_TYPE = 'consumer'
const EMPTY = Buffer.alloc(0)

export interface Protocol {
  name: string
  metadata: Buffer
}

export interface JoinGroupResult {
  errorCode: number
  memberId: string
  generationId: number
  protocolType: string | null
  protocolName: string | null
  leaderId: string
  skipAssignment: boolean
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>
}

export interface SyncGroupResult {
  errorCode: number
  protocolType: string | null
  protocolName: string | null
  assignment: Buffer
}

export function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return { errorCode, memberId, generationId: -1, protocolType: null, protocolName: null, leaderId: '', skipAssignment: false, members: [] }
}

export function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY }
}

export class MemberMetadata {
  assignment: Buffer = EMPTY
  awaitingJoin: ((r: JoinGroupResult) => void) | null = null
  awaitingSync: ((r: SyncGroupResult) => void) | null = null
  /** Joined in the current rebalance and has not yet got its first JoinGroup answer. */
  isNew = false
  heartbeatTimer: Timer | null = null

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public supportedProtocols: Protocol[],
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null
  }

  metadata(protocol: string): Buffer {
    const p = this.supportedProtocols.find(x => x.name === protocol)
    if (!p) throw new Error(`member ${this.memberId} does not support protocol ${protocol}`)
    return p.metadata
  }

  /** Same protocols, in the same order, with the same metadata. */
  matches(protocols: Protocol[]): boolean {
    if (protocols.length !== this.supportedProtocols.length) return false
    for (let i = 0; i < protocols.length; i++) {
      const a = protocols[i]
      const b = this.supportedProtocols[i]
      if (a.name !== b.name || !a.metadata.equals(b.metadata)) return false
    }
    return true
  }

  /** The member's most preferred protocol among the candidates. */
  vote(candidates: Set<string>): string {
    const p = this.supportedProtocols.find(x => candidates.has(x.name))
    if (!p) throw new Error(`member ${this.memberId} supports none of the candidate protocols`)
    return p.name
  }
}

export interface CommittedOffset {
  offset: number
  leaderEpoch: number
  metadata: string
  commitTimestamp: number
  expireTimestamp: number | null
  /** Offset in __consumer_offsets of the batch that holds this commit (newer batches win). */
  appendedBatchOffset: number
}

export function tpKey(topic: string, partition: number): string {
  return `${partition}:${topic}`
}

export function splitTpKey(key: string): { topic: string; partition: number } {
  const i = key.indexOf(':')
  return { topic: key.slice(i + 1), partition: Number(key.slice(0, i)) }
}

export interface JoinOperation {
  /** The first rebalance of a new group waits group.initial.rebalance.delay.ms for more members. */
  initial: boolean
  timer: Timer
}

export class ClassicGroup {
  state: GroupState
  currentStateTimestamp: number | null
  protocolType: string | null = null
  protocolName: string | null = null
  generationId = 0
  leaderId: string | null = null
  readonly members = new Map<string, MemberMetadata>()
  /** group.instance.id → member id. */
  readonly staticMembers = new Map<string, string>()
  /** Members told MEMBER_ID_REQUIRED that have not joined yet, with their expiry timers. */
  readonly pendingMembers = new Map<string, Timer>()
  readonly pendingSyncMembers = new Set<string>()
  newMemberAdded = false
  subscribedTopics: Set<string> | null = null
  readonly offsets = new Map<string, CommittedOffset>()
  /** Commits being written, by partition key (their count). */
  readonly pendingOffsetCommits = new Map<string, number>()
  /**
   * Offsets committed inside open transactions (TxnOffsetCommit), by producer id: they become
   * committed offsets when the transaction's COMMIT marker reaches this group's partition, and
   * are dropped at its ABORT marker (Kafka's pendingTransactionalOffsetCommits).
   */
  readonly pendingTxnOffsets = new Map<number, Map<string, CommittedOffset>>()
  join: JoinOperation | null = null
  syncTimer: Timer | null = null
  /** The __consumer_offsets partition that holds this group. */
  partition = -1

  constructor(
    readonly groupId: string,
    initialState: GroupState,
    now: number,
  ) {
    this.state = initialState
    this.currentStateTimestamp = now
  }

  is(state: GroupState): boolean {
    return this.state === state
  }

  transitionTo(state: GroupState, now: number): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) {
      throw new Error(`group ${this.groupId} should be in one of ${VALID_PREVIOUS[state].join(', ')} before moving to ${state}, but is ${this.state}`)
    }
    this.state = state
    this.currentStateTimestamp = now
  }

  get size(): number {
    return this.members.size
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId
  }

  get numAwaitingJoin(): number {
    let n = 0
    for (const m of this.members.values()) if (m.awaitingJoin) n++
    return n
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.numAwaitingJoin && this.pendingMembers.size === 0
  }

  /** The largest rebalance timeout of the members: how long a rebalance may wait for them. */
  get rebalanceTimeoutMs(): number {
    let t = 0
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs)
    return t
  }

  get isConsumerGroup(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE
  }

  hasOffsets(): boolean {
    return this.offsets.size > 0 || this.pendingOffsetCommits.size > 0 || this.pendingTxnOffsets.size > 0
  }

  /** Whether an open transaction holds an offset of this partition (OffsetFetch's require_stable). */
  hasPendingTxnOffset(key: string): boolean {
    for (const m of this.pendingTxnOffsets.values()) if (m.has(key)) return true
    return false
  }

  /**
   * Ends producer `producerId`'s transaction in this group: on commit its pending offsets become
   * committed unless a later commit (by log position) already replaced them.
   */
  completeTxnOffsets(producerId: number, commit: boolean): number {
    const pending = this.pendingTxnOffsets.get(producerId)
    if (!pending) return 0
    this.pendingTxnOffsets.delete(producerId)
    if (!commit) return 0
    for (const [key, o] of pending) {
      const prev = this.offsets.get(key)
      if (!prev || prev.appendedBatchOffset < o.appendedBatchOffset) this.offsets.set(key, o)
    }
    return pending.size
  }

  isStaticMemberFenced(groupInstanceId: string | null, memberId: string): boolean {
    if (groupInstanceId === null) return false
    const current = this.staticMembers.get(groupInstanceId)
    return current !== undefined && current !== memberId
  }

  add(member: MemberMetadata, callback: ((r: JoinGroupResult) => void) | null): void {
    if (this.members.size === 0) this.protocolType = member.protocolType
    if (this.leaderId === null) this.leaderId = member.memberId
    this.members.set(member.memberId, member)
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId)
    member.awaitingJoin = callback
    const pending = this.pendingMembers.get(member.memberId)
    if (pending) {
      pending.cancel()
      this.pendingMembers.delete(member.memberId)
    }
  }

  /**
   * Removes a member. Any request of it still waiting is answered with UNKNOWN_MEMBER_ID, so no
   * connection is left hanging.
   */
  remove(memberId: string): MemberMetadata | undefined {
    const m = this.members.get(memberId)
    if (m) {
      this.members.delete(memberId)
      if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId) this.staticMembers.delete(m.groupInstanceId)
      m.heartbeatTimer?.cancel()
      m.heartbeatTimer = null
      this.maybeInvokeJoinCallback(m, joinError('', ErrorCode.UNKNOWN_MEMBER_ID))
      this.maybeInvokeSyncCallback(m, syncError(ErrorCode.UNKNOWN_MEMBER_ID))
    }
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null
    const pending = this.pendingMembers.get(memberId)
    if (pending) {
      pending.cancel()
      this.pendingMembers.delete(memberId)
    }
    this.pendingSyncMembers.delete(memberId)
    return m
  }

  /**
   * Changes a member's protocols and timeouts; `callback` becomes its waiting JoinGroup. A JoinGroup
   * it replaces (a retry on another connection) is answered REBALANCE_IN_PROGRESS so it does not hang.
   */
  updateMember(member: MemberMetadata, protocols: Protocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number, callback: ((r: JoinGroupResult) => void) | null): void {
    member.supportedProtocols = protocols
    member.rebalanceTimeoutMs = rebalanceTimeoutMs
    member.sessionTimeoutMs = sessionTimeoutMs
    const old = member.awaitingJoin
    member.awaitingJoin = callback
    if (old && old !== callback) old(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS))
  }

  maybeInvokeJoinCallback(member: MemberMetadata, result: JoinGroupResult): boolean {
    const cb = member.awaitingJoin
    if (!cb) return false
    member.awaitingJoin = null
    cb(result)
    return true
  }

  maybeInvokeSyncCallback(member: MemberMetadata, result: SyncGroupResult): boolean {
    const cb = member.awaitingSync
    if (!cb) return false
    member.awaitingSync = null
    cb(result)
    return true
  }

  /** A static member rejoined with a new member id: the old id is fenced, the member keeps its state. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): MemberMetadata {
    const m = this.members.get(oldMemberId)
    if (!m) throw new Error(`cannot replace static member ${oldMemberId} of group ${this.groupId}: not a member`)
    this.members.delete(oldMemberId)
    this.maybeInvokeJoinCallback(m, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID))
    this.maybeInvokeSyncCallback(m, syncError(ErrorCode.FENCED_INSTANCE_ID))
    m.memberId = newMemberId
    this.members.set(newMemberId, m)
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId
    this.staticMembers.set(groupInstanceId, newMemberId)
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId)
    return m
  }

  /** Protocols every member supports. */
  candidateProtocols(): Set<string> {
    let common: string[] | null = null
    for (const m of this.members.values()) {
      const names = m.supportedProtocols.map(p => p.name)
      common = common === null ? names : common.filter((n: string) => names.includes(n))
    }
    return new Set<string>(common ?? [])
  }

  /**
   * Kafka's rule: among the protocols all members support, each member votes for its most
   * preferred one; the most votes win. Ties go to the protocol the leader prefers most.
   */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error(`cannot select a protocol for empty group ${this.groupId}`)
    const candidates = this.candidateProtocols()
    const votes = new Map<string, number>()
    for (const m of this.members.values()) {
      const v = m.vote(candidates)
      votes.set(v, (votes.get(v) ?? 0) + 1)
    }
    const leader = (this.leaderId !== null ? this.members.get(this.leaderId) : undefined) ?? this.members.values().next().value!
    let best: string | null = null
    let bestVotes = -1
    for (const p of leader.supportedProtocols) {
      const n = votes.get(p.name)
      if (n !== undefined && n > bestVotes) {
        best = p.name
        bestVotes = n
      }
    }
    return best!
  }

  /** Whether a joining member's protocols fit this group (INCONSISTENT_GROUP_PROTOCOL otherwise). */
  supportsProtocols(protocolType: string, protocols: Protocol[]): boolean {
    if (this.is('Empty')) return protocolType.length > 0 && protocols.length > 0
    if (this.protocolType !== protocolType) return false
    const candidates = this.candidateProtocols()
    return protocols.some(p => candidates.has(p.name))
  }

  /** If the leader did not rejoin, another member that did takes over; false when none rejoined. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false
    const leader = this.members.get(this.leaderId)
    if (leader && leader.awaitingJoin) return true
    for (const m of this.members.values()) {
      if (m.awaitingJoin) {
        this.leaderId = m.memberId
        return true
      }
    }
    return false
  }

  initNextGeneration(now: number): void {
    this.generationId += 1
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol()
      this.subscribedTopics = this.computeSubscribedTopics()
      this.transitionTo('CompletingRebalance', now)
    } else {
      this.protocolName = null
      this.subscribedTopics = null
      this.transitionTo('Empty', now)
    }
    this.pendingSyncMembers.clear()
  }

  /** The topics consumer-protocol members subscribe to; null when unknown (other protocols, bad metadata). */
  computeSubscribedTopics(): Set<string> | null {
    if (!this.isConsumerGroup || this.protocolName === null || this.members.size === 0) return null
    const topics = new Set<string>()
    try {
      for (const m of this.members.values()) for (const t of decodeSubscriptionTopics(m.metadata(this.protocolName))) topics.add(t)
    } catch {
      return null
    }
    return topics
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics !== null && this.subscribedTopics.has(topic)
  }

  /** Members and their metadata for the chosen protocol: what the leader assigns from. */
  currentMemberMetadata(): JoinGroupResult['members'] {
    const protocol = this.protocolName
    if (protocol === null) return []
    return [...this.members.values()].map(m => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(protocol) }))
  }

  /**
   * Offsets past their retention (Kafka's removeExpiredOffsets): for an empty group, counted from
   * when it became empty; for a stable consumer group, offsets of topics it no longer subscribes
   * to, counted from their commit; for a group with no protocol (offsets only), from their commit.
   * Removes and returns them.
   */
  removeExpiredOffsets(now: number, retentionMs: number): string[] {
    const expired = (base: (o: CommittedOffset) => number, subscribed: Set<string> | null): string[] => {
      const out: string[] = []
      for (const [key, o] of this.offsets) {
        if (subscribed && subscribed.has(splitTpKey(key).topic)) continue
        if (this.pendingOffsetCommits.has(key)) continue
        const isExpired = o.expireTimestamp !== null ? now >= o.expireTimestamp : now - base(o) >= retentionMs
        if (isExpired) out.push(key)
      }
      return out
    }
    let keys: string[] = []
    if (this.protocolType !== null && this.is('Empty')) {
      const stateTs = this.currentStateTimestamp
      keys = expired(o => stateTs ?? o.commitTimestamp, null)
    } else if (this.protocolType === CONSUMER_PROTOCOL_TYPE && this.subscribedTopics !== null && this.is('Stable')) {
      keys = expired(o => o.commitTimestamp, this.subscribedTopics)
    } else if (this.protocolType === null) {
      keys = expired(o => o.commitTimestamp, null)
    }
    for (const k of keys) this.offsets.delete(k)
    return keys
  }
}

/** The topics of a ConsumerProtocolSubscription (int16 version, then the body; newer versions only append fields). */
export function decodeSubscriptionTopics(metadata: Buffer): string[] {
  const r = new Reader(metadata)
  const version = r.int16()
  if (version < 0) throw new Error(`bad subscription version ${version}`)
  const v = Math.min(version, ConsumerProtocolSubscriptionSchema.maxVersion)
  return ConsumerProtocolSubscriptionSchema.read(r, v).topics
}

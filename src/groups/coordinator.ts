// The group coordinator for classic consumer groups (Kafka's GroupCoordinator and
// GroupMetadataManager): JoinGroup/SyncGroup/Heartbeat/LeaveGroup rebalances with long-poll
// joins, session expiry, static membership, and committed offsets, all stored in
// __consumer_offsets and loaded back from it when this node leads one of its partitions.
//
// Each group lives in the __consumer_offsets partition abs(hash(groupId)) % partitions; this node
// answers for the groups of the partitions it leads, once it has replayed them from the log.

import { randomUUID } from 'node:crypto'
import type { BrokerConfig } from '../config/index.js'
import type { CreateTopicSpec, ImageChange, MetadataImage } from '../kraft/index.js'
import type { Logger } from '../util/logger.js'
import {
  buildBatch,
  decodeBatchRecords,
  errorName,
  ErrorCode,
  isControlBatch,
  splitBatches,
  BATCH_MAGIC,
  type GroupMetadataValue,
  type Record as BatchRecord,
} from '../wire/index.js'
import {
  ClassicGroup,
  GROUP_STATES,
  MemberMetadata,
  joinError,
  splitTpKey,
  syncError,
  tpKey,
  type CommittedOffset,
  type GroupState,
  type JoinGroupResult,
  type Protocol,
  type SyncGroupResult,
} from './group.js'
import { partitionForGroup } from './hash.js'
import {
  OFFSETS_TOPIC,
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  GROUP_METADATA_VALUE_VERSION,
} from './records.js'
import { systemTime, type Time, type Timer } from './time.js'

/** A new member's JoinGroup is answered (UNKNOWN_MEMBER_ID) if the rebalance takes longer than this. */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000
/** Group ids longer than this (UTF-8 bytes) get INVALID_GROUP_ID: they must fit a record key comfortably. */
export const MAX_GROUP_ID_BYTES = 1024
/** How long FindCoordinator waits for a partition of this node to finish loading before answering COORDINATOR_NOT_AVAILABLE. */
const FIND_COORDINATOR_LOAD_WAIT_MS = 1000
const EMPTY = Buffer.alloc(0)

// ---------------------------------------------------------------------------------------------
// What the coordinator needs from the rest of the broker (narrow, so tests can fake it).

export interface OffsetsPartitionAccess {
  readonly isLeader: boolean
  readonly logStartOffset: number
  readonly logEndOffset: number
  readonly log: { read(offset: number, maxBytes: number, upperBound?: number, minOneMessage?: boolean): Promise<{ records: Buffer }> }
}

export interface ReplicaAccess {
  getPartition(topic: string, partition: number): OffsetsPartitionAccess | undefined
  appendRecords(
    requiredAcks: number,
    timeoutMs: number,
    entries: Array<{ topic: string; partition: number; records: Buffer | null }>,
  ): Promise<Array<{ errorCode: number; errorMessage: string | null; baseOffset: number }>>
  /** Resolves once every partition log the image asked for is open. */
  ready(): Promise<void>
}

export interface TopicCreator {
  createTopics(specs: CreateTopicSpec[], validateOnly: boolean): Promise<Array<{ name: string; errorCode: number; errorMessage: string | null }>>
}

export interface GroupCoordinatorDeps {
  nodeId: number
  image: MetadataImage
  controller: TopicCreator
  replicas: ReplicaAccess
  config: () => BrokerConfig
  log: Logger
  time?: Time
}

export interface GroupConfig {
  initialRebalanceDelayMs: number
  minSessionTimeoutMs: number
  maxSessionTimeoutMs: number
  maxSize: number
  offsetsTopicNumPartitions: number
  offsetsTopicReplicationFactor: number
  offsetsTopicSegmentBytes: number
  offsetsRetentionMs: number
  offsetsRetentionCheckIntervalMs: number
  offsetCommitTimeoutMs: number
  offsetMetadataMaxBytes: number
  loadBufferSize: number
}

export function groupConfigOf(c: BrokerConfig): GroupConfig {
  return {
    initialRebalanceDelayMs: c.get('group.initial.rebalance.delay.ms') as number,
    minSessionTimeoutMs: c.get('group.min.session.timeout.ms') as number,
    maxSessionTimeoutMs: c.get('group.max.session.timeout.ms') as number,
    maxSize: c.get('group.max.size') as number,
    offsetsTopicNumPartitions: c.get('offsets.topic.num.partitions') as number,
    offsetsTopicReplicationFactor: c.get('offsets.topic.replication.factor') as number,
    offsetsTopicSegmentBytes: c.get('offsets.topic.segment.bytes') as number,
    offsetsRetentionMs: c.offsetsRetentionMs(),
    offsetsRetentionCheckIntervalMs: c.get('offsets.retention.check.interval.ms') as number,
    offsetCommitTimeoutMs: c.get('offsets.commit.timeout.ms') as number,
    offsetMetadataMaxBytes: c.get('offset.metadata.max.bytes') as number,
    loadBufferSize: c.get('offsets.load.buffer.size') as number,
  }
}

// ---------------------------------------------------------------------------------------------
// Requests and answers, independent of API versions (the handlers map them to the wire).

export interface JoinGroupParams {
  groupId: string
  memberId: string
  groupInstanceId: string | null
  /** JoinGroup v4+ without a group.instance.id: a new member first gets MEMBER_ID_REQUIRED (KIP-394). */
  requireKnownMemberId: boolean
  clientId: string
  clientHost: string
  rebalanceTimeoutMs: number
  sessionTimeoutMs: number
  protocolType: string
  protocols: Protocol[]
  reason: string | null
}

export interface SyncGroupParams {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
  protocolType: string | null
  protocolName: string | null
  assignments: Array<{ memberId: string; assignment: Buffer }>
}

export interface HeartbeatParams {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
}

export interface LeavingMember {
  memberId: string
  groupInstanceId: string | null
  reason: string | null
}

export interface LeaveGroupResult {
  errorCode: number
  members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }>
}

export interface OffsetCommitParams {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
  /** -1: the broker's offsets.retention.minutes (after the group empties). */
  retentionTimeMs: number
  offsets: Array<{ topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string | null; commitTimestamp: number }>
}

export interface FetchedOffset {
  topic: string
  partition: number
  offset: number
  leaderEpoch: number
  metadata: string
  errorCode: number
}

export interface ListedGroup {
  groupId: string
  protocolType: string
  state: GroupState
  type: string
}

export interface DescribedGroup {
  errorCode: number
  groupId: string
  state: string
  protocolType: string
  protocol: string
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }>
}

interface PartitionStatus {
  state: 'loading' | 'loaded'
  epoch: number
  done: Promise<void>
}

function isKnownState(s: string): boolean {
  return GROUP_STATES.some(x => x.toLowerCase() === s.toLowerCase())
}

export class GroupCoordinator {
  private readonly groups = new Map<string, ClassicGroup>()
  private readonly partitions = new Map<number, PartitionStatus>()
  private readonly time: Time
  private readonly log: Logger
  private active = true
  private creatingTopic: Promise<void> | null = null
  private cleanupTimer: Timer | null = null

  constructor(private readonly deps: GroupCoordinatorDeps) {
    this.time = deps.time ?? systemTime
    this.log = deps.log
    deps.image.onChange(c => this.onImageChange(c))
    this.scheduleCleanup()
  }

  private cfg(): GroupConfig {
    return groupConfigOf(this.deps.config())
  }

  private now(): number {
    return this.time.now()
  }

  // -------------------------------------------------------------------------------------------
  // Partition ownership and loading

  /** Partitions of __consumer_offsets: the topic's, once it exists; the configured count before. */
  partitionCount(): number {
    const t = this.deps.image.topicsByName.get(OFFSETS_TOPIC)
    if (t && t.partitions.size > 0) return t.partitions.size
    return this.cfg().offsetsTopicNumPartitions
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.partitionCount())
  }

  /** Loads every __consumer_offsets partition this node leads (call after the replica manager is ready). */
  async loadAll(): Promise<void> {
    const t = this.deps.image.topicsByName.get(OFFSETS_TOPIC)
    if (!t) return
    for (const p of t.partitions.values()) if (p.leader === this.deps.nodeId) this.scheduleLoad(p.partition, p.leaderEpoch)
    await Promise.all([...this.partitions.values()].map(s => s.done))
  }

  /** Whether this node has finished loading partition `p` (tests and tools). */
  isLoaded(p: number): boolean {
    return this.partitions.get(p)?.state === 'loaded'
  }

  private onImageChange(c: ImageChange): void {
    if (!this.active) return
    if (c.kind === 'partition-changed' && c.partition.topicName === OFFSETS_TOPIC) {
      if (c.partition.leader === this.deps.nodeId) this.scheduleLoad(c.partition.partition, c.partition.leaderEpoch)
      else this.unloadPartition(c.partition.partition, 'it now leads elsewhere')
    } else if (c.kind === 'topic-deleted') {
      if (c.topic.name === OFFSETS_TOPIC) {
        for (const p of [...this.partitions.keys()]) this.unloadPartition(p, 'the topic was deleted')
      } else {
        void this.removeOffsetsOfTopic(c.topic.name)
      }
    }
  }

  private scheduleLoad(p: number, epoch: number): void {
    if (!this.active) return
    const existing = this.partitions.get(p)
    if (existing) {
      existing.epoch = epoch
      return
    }
    const status: PartitionStatus = { state: 'loading', epoch, done: Promise.resolve() }
    this.partitions.set(p, status)
    status.done = this.loadPartition(p, status)
  }

  private async loadPartition(p: number, status: PartitionStatus): Promise<void> {
    const started = Date.now()
    const name = `${OFFSETS_TOPIC}-${p}`
    try {
      await this.deps.replicas.ready()
      if (this.partitions.get(p) !== status) return
      const part = this.deps.replicas.getPartition(OFFSETS_TOPIC, p)
      if (!part || !part.isLeader) {
        this.log.warn(`cannot load ${name}: its log is not open here as leader`)
        this.partitions.delete(p)
        return
      }
      const { groups, offsets } = await this.readPartition(part, name)
      if (this.partitions.get(p) !== status) return
      const now = this.now()
      let count = 0
      for (const [groupId, value] of groups) {
        const g = groupFromRecord(groupId, value, now)
        for (const [k, o] of offsets.get(groupId) ?? []) g.offsets.set(k, o)
        this.installLoadedGroup(g, p)
        count++
      }
      for (const [groupId, offs] of offsets) {
        if (groups.has(groupId) || offs.size === 0) continue
        const g = new ClassicGroup(groupId, 'Empty', now)
        g.currentStateTimestamp = null
        for (const [k, o] of offs) g.offsets.set(k, o)
        this.installLoadedGroup(g, p)
        count++
      }
      status.state = 'loaded'
      const line = `finished loading offsets and group metadata from ${name} in ${Date.now() - started} ms (${count} groups)`
      if (count > 0) this.log.info(line)
      else this.log.debug(line)
    } catch (err) {
      this.log.error(`error loading offsets from ${name}: ${(err as Error).stack ?? err}`)
      if (this.partitions.get(p) === status) this.partitions.delete(p)
    }
  }

  private installLoadedGroup(g: ClassicGroup, p: number): void {
    g.partition = p
    this.groups.set(g.groupId, g)
    for (const m of g.members.values()) this.scheduleHeartbeat(g, m)
    this.log.debug(`loaded group ${g.groupId} generation ${g.generationId} (${g.state}, ${g.size} members, ${g.offsets.size} offsets)`)
  }

  /** Replays one partition from its log start: the last record for each key wins, tombstones delete. */
  private async readPartition(
    part: OffsetsPartitionAccess,
    name: string,
  ): Promise<{ groups: Map<string, GroupMetadataValue>; offsets: Map<string, Map<string, CommittedOffset>> }> {
    const groups = new Map<string, GroupMetadataValue>()
    const offsets = new Map<string, Map<string, CommittedOffset>>()
    const bufSize = Math.max(1024, this.cfg().loadBufferSize)
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
              if (!this.replayRecord(r, groups, offsets)) skipped++
            } catch (err) {
              this.log.warn(`${name}: skipping unreadable record at offset ${r.offset}: ${(err as Error).message}`)
            }
          }
        }
        if (next > offset) offset = next
      }
      if (offset === before) break
    }
    if (skipped > 0) this.log.info(`${name}: skipped ${skipped} records of group types this coordinator does not serve`)
    return { groups, offsets }
  }

  private replayRecord(r: BatchRecord, groups: Map<string, GroupMetadataValue>, offsets: Map<string, Map<string, CommittedOffset>>): boolean {
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

  private unloadPartition(p: number, why: string): void {
    if (!this.partitions.has(p)) return
    this.partitions.delete(p)
    let n = 0
    for (const g of [...this.groups.values()]) {
      if (g.partition !== p) continue
      this.onGroupUnloaded(g)
      this.groups.delete(g.groupId)
      n++
    }
    const line = `unloaded ${n} groups of ${OFFSETS_TOPIC}-${p}: ${why}`
    if (n > 0) this.log.info(line)
    else this.log.debug(line)
  }

  private onGroupUnloaded(g: ClassicGroup): void {
    g.state = 'Dead'
    g.currentStateTimestamp = this.now()
    for (const m of g.members.values()) {
      g.maybeInvokeJoinCallback(m, joinError(m.memberId, ErrorCode.NOT_COORDINATOR))
      g.maybeInvokeSyncCallback(m, syncError(ErrorCode.NOT_COORDINATOR))
      m.heartbeatTimer?.cancel()
      m.heartbeatTimer = null
    }
    for (const t of g.pendingMembers.values()) t.cancel()
    g.pendingMembers.clear()
    g.join?.timer.cancel()
    g.join = null
    g.syncTimer?.cancel()
    g.syncTimer = null
  }

  /** Stops serving: waiting joins and syncs are answered (so connections can close), timers stop. */
  shutdown(): void {
    if (!this.active) return
    for (const p of [...this.partitions.keys()]) this.unloadPartition(p, 'the broker is shutting down')
    this.active = false
    this.cleanupTimer?.cancel()
    this.cleanupTimer = null
  }

  // -------------------------------------------------------------------------------------------
  // FindCoordinator

  /** Creates __consumer_offsets if it does not exist yet (once at a time). */
  private ensureOffsetsTopic(): Promise<void> {
    if (this.deps.image.topicsByName.has(OFFSETS_TOPIC)) return Promise.resolve()
    if (this.creatingTopic) return this.creatingTopic
    const cfg = this.cfg()
    this.log.info(`creating ${OFFSETS_TOPIC} with ${cfg.offsetsTopicNumPartitions} partitions and replication factor ${cfg.offsetsTopicReplicationFactor}`)
    this.creatingTopic = this.deps.controller
      .createTopics(
        [
          {
            name: OFFSETS_TOPIC,
            numPartitions: cfg.offsetsTopicNumPartitions,
            replicationFactor: cfg.offsetsTopicReplicationFactor,
            assignments: [],
            configs: [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'segment.bytes', value: String(cfg.offsetsTopicSegmentBytes) },
              { name: 'compression.type', value: 'producer' },
            ],
          },
        ],
        false,
      )
      .then(results => {
        const r = results[0]
        if (r && r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
          this.log.warn(`cannot create ${OFFSETS_TOPIC}: ${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`)
        }
      })
      .catch(err => this.log.error(`cannot create ${OFFSETS_TOPIC}: ${(err as Error).stack ?? err}`))
      .finally(() => {
        this.creatingTopic = null
      })
    return this.creatingTopic
  }

  /**
   * The node that coordinates a group: the leader of its __consumer_offsets partition (creating
   * the topic on first use). COORDINATOR_NOT_AVAILABLE while the topic is created or, when this
   * node leads the partition, while it is still loading.
   */
  async findGroupCoordinator(groupId: string): Promise<{ errorCode: number; errorMessage: string | null; nodeId: number }> {
    const unavailable = (why: string) => ({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: why, nodeId: -1 })
    if (!this.active) return unavailable('The coordinator is shutting down.')
    await this.ensureOffsetsTopic()
    if (!this.deps.image.topicsByName.has(OFFSETS_TOPIC)) return unavailable(`The ${OFFSETS_TOPIC} topic could not be created yet.`)
    const p = this.partitionFor(groupId)
    const state = this.deps.image.partition(OFFSETS_TOPIC, p)
    if (!state || state.leader < 0) return unavailable(`${OFFSETS_TOPIC}-${p} has no leader.`)
    if (state.leader === this.deps.nodeId && !this.isLoaded(p)) {
      // Not loading (an earlier load failed, or the log opened late): try again now.
      if (!this.partitions.has(p)) this.scheduleLoad(p, state.leaderEpoch)
      const status = this.partitions.get(p)
      if (status) {
        let timer: Timer | null = null
        await Promise.race([status.done, new Promise<void>(r => (timer = this.time.schedule(FIND_COORDINATOR_LOAD_WAIT_MS, r)))])
        ;(timer as Timer | null)?.cancel()
      }
      if (!this.isLoaded(p)) return unavailable(`${OFFSETS_TOPIC}-${p} is still loading.`)
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: state.leader }
  }

  // -------------------------------------------------------------------------------------------
  // Checks shared by every group request

  static isValidGroupId(groupId: string | null | undefined): boolean {
    return typeof groupId === 'string' && groupId.length > 0 && Buffer.byteLength(groupId, 'utf8') <= MAX_GROUP_ID_BYTES
  }

  /** INVALID_GROUP_ID, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR, or null when this node serves the group. */
  private validateGroupStatus(groupId: string): number | null {
    if (!GroupCoordinator.isValidGroupId(groupId)) return ErrorCode.INVALID_GROUP_ID
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const st = this.partitions.get(this.partitionFor(groupId))
    if (!st) return ErrorCode.NOT_COORDINATOR
    if (st.state === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    return null
  }

  private describeId(groupId: string): string {
    return groupId.length > 100 ? `'${groupId.slice(0, 100)}…' (${groupId.length} chars)` : `'${groupId}'`
  }

  private refuse(api: string, groupId: string, errorCode: number, detail = ''): void {
    const quiet = errorCode === ErrorCode.NOT_COORDINATOR || errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE
    const line = `${api} for group ${this.describeId(groupId)}: ${errorName(errorCode)}${detail ? ` (${detail})` : ''}`
    if (quiet) this.log.debug(line)
    else this.log.info(line)
  }

  private getOrCreateGroup(groupId: string): ClassicGroup {
    let g = this.groups.get(groupId)
    if (!g) {
      g = new ClassicGroup(groupId, 'Empty', this.now())
      g.partition = this.partitionFor(groupId)
      this.groups.set(groupId, g)
    }
    return g
  }

  /** Drops a group that a failed request created and that holds nothing. */
  private dropIfUnused(g: ClassicGroup): void {
    if (g.is('Empty') && g.size === 0 && g.pendingMembers.size === 0 && !g.hasOffsets() && g.generationId === 0 && this.groups.get(g.groupId) === g) {
      g.state = 'Dead'
      this.groups.delete(g.groupId)
    }
  }

  // -------------------------------------------------------------------------------------------
  // JoinGroup

  joinGroup(r: JoinGroupParams): Promise<JoinGroupResult> {
    const err = this.validateGroupStatus(r.groupId)
    if (err !== null) {
      this.refuse('JoinGroup', r.groupId, err)
      return Promise.resolve(joinError(r.memberId, err))
    }
    const cfg = this.cfg()
    if (r.sessionTimeoutMs < cfg.minSessionTimeoutMs || r.sessionTimeoutMs > cfg.maxSessionTimeoutMs) {
      this.log.warn(
        `JoinGroup for group ${this.describeId(r.groupId)} from ${r.clientId}: session timeout ${r.sessionTimeoutMs} ms is outside [${cfg.minSessionTimeoutMs}, ${cfg.maxSessionTimeoutMs}] (group.min/max.session.timeout.ms): INVALID_SESSION_TIMEOUT`,
      )
      return Promise.resolve(joinError(r.memberId, ErrorCode.INVALID_SESSION_TIMEOUT))
    }
    const isUnknown = r.memberId === ''
    const existing = this.groups.get(r.groupId)
    if (!existing && !isUnknown) {
      this.refuse('JoinGroup', r.groupId, ErrorCode.UNKNOWN_MEMBER_ID, `member ${r.memberId} of a group that does not exist`)
      return Promise.resolve(joinError(r.memberId, ErrorCode.UNKNOWN_MEMBER_ID))
    }
    const group = existing ?? this.getOrCreateGroup(r.groupId)
    return new Promise<JoinGroupResult>(resolve => {
      const respond = (res: JoinGroupResult): void => {
        if (res.errorCode !== ErrorCode.NONE && res.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) {
          this.refuse('JoinGroup', r.groupId, res.errorCode, `member '${r.memberId || res.memberId}'`)
        }
        resolve(res)
      }
      if (!this.acceptJoiningMember(group, r.memberId, cfg.maxSize)) {
        group.remove(r.memberId)
        this.log.info(`JoinGroup for group ${this.describeId(r.groupId)}: the group has reached its maximum size of ${cfg.maxSize} (group.max.size)`)
        respond(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED))
      } else if (isUnknown) {
        this.doNewMemberJoin(group, r, respond)
      } else {
        this.doCurrentMemberJoin(group, r, respond)
      }
      if (group.is('PreparingRebalance')) this.tryCompleteJoin(group)
      this.dropIfUnused(group)
    })
  }

  private acceptJoiningMember(group: ClassicGroup, memberId: string, maxSize: number): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true
      case 'PreparingRebalance': {
        const m = group.members.get(memberId)
        return (m !== undefined && m.awaitingJoin !== null) || group.numAwaitingJoin < maxSize
      }
      case 'CompletingRebalance':
      case 'Stable':
        return group.members.has(memberId) || group.size < maxSize
    }
  }

  private doNewMemberJoin(group: ClassicGroup, r: JoinGroupParams, respond: (res: JoinGroupResult) => void): void {
    if (group.is('Dead')) return respond(joinError(r.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE))
    if (!group.supportsProtocols(r.protocolType, r.protocols)) {
      this.log.warn(
        `JoinGroup for group ${this.describeId(r.groupId)} from ${r.clientId}: protocol type '${r.protocolType}' with protocols [${r.protocols.map(p => p.name).join(', ')}] ` +
          `does not match the group's (type '${group.protocolType ?? ''}', common protocols [${[...group.candidateProtocols()].join(', ')}]): INCONSISTENT_GROUP_PROTOCOL`,
      )
      return respond(joinError(r.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
    }
    const newMemberId = `${r.groupInstanceId ?? r.clientId}-${randomUUID()}`
    if (r.groupInstanceId !== null) {
      const oldMemberId = group.staticMembers.get(r.groupInstanceId)
      if (oldMemberId !== undefined) {
        this.log.info(
          `static member with group.instance.id ${r.groupInstanceId} and unknown member id joins group ${r.groupId} in ${group.state} state; replacing previously mapped member ${oldMemberId} with this group.instance.id`,
        )
        this.updateStaticMemberAndRebalance(group, oldMemberId, newMemberId, r, respond)
      } else {
        this.log.info(`static member with group.instance.id ${r.groupInstanceId} and unknown member id joins group ${r.groupId} in ${group.state} state; created member id ${newMemberId}`)
        this.addMemberAndRebalance(group, newMemberId, r, respond)
      }
    } else if (r.requireKnownMemberId) {
      // KIP-394: the member must come back with this id; until then it holds up the rebalance for at most its session timeout.
      const timer = this.time.schedule(r.sessionTimeoutMs, () => {
        if (!group.pendingMembers.has(newMemberId)) return
        this.log.info(`pending member ${newMemberId} in group ${group.groupId} has been removed after session timeout expiration`)
        this.removePendingMemberAndUpdateGroup(group, newMemberId)
      })
      group.pendingMembers.set(newMemberId, timer)
      respond(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED))
    } else {
      this.addMemberAndRebalance(group, newMemberId, r, respond)
    }
  }

  private doCurrentMemberJoin(group: ClassicGroup, r: JoinGroupParams, respond: (res: JoinGroupResult) => void): void {
    const memberId = r.memberId
    if (group.is('Dead')) return respond(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE))
    if (!group.supportsProtocols(r.protocolType, r.protocols)) {
      this.log.warn(
        `JoinGroup for group ${this.describeId(r.groupId)} from member ${memberId}: protocol type '${r.protocolType}' with protocols [${r.protocols.map(p => p.name).join(', ')}] does not match the group's: INCONSISTENT_GROUP_PROTOCOL`,
      )
      return respond(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
    }
    if (group.pendingMembers.has(memberId)) {
      if (r.groupInstanceId !== null) return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID))
      return this.addMemberAndRebalance(group, memberId, r, respond)
    }
    const instanceNotFound = r.groupInstanceId !== null && !group.staticMembers.has(r.groupInstanceId)
    if (group.isStaticMemberFenced(r.groupInstanceId, memberId)) return respond(joinError(memberId, ErrorCode.FENCED_INSTANCE_ID))
    const member = group.members.get(memberId)
    if (!member || instanceNotFound) return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID))
    const current = (members: JoinGroupResult['members']): JoinGroupResult => ({
      errorCode: ErrorCode.NONE,
      memberId,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leaderId: group.leaderId ?? '',
      skipAssignment: false,
      members,
    })
    const why = (what: string) => `${what}; client reason: ${r.reason ?? 'not provided'}`
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, r, respond, why(`member ${memberId} joining group during PreparingRebalance`))
      case 'CompletingRebalance':
        // The same metadata again (it missed the JoinGroup answer): the current generation's answer.
        if (member.matches(r.protocols)) return respond(current(group.isLeader(memberId) ? group.currentMemberMetadata() : []))
        return this.updateMemberAndRebalance(group, member, r, respond, why(`updating metadata for member ${memberId} during CompletingRebalance`))
      case 'Stable':
        // A leader's rejoin starts a rebalance (its view of the topics may have changed); so do changed metadata.
        if (group.isLeader(memberId)) return this.updateMemberAndRebalance(group, member, r, respond, why(`leader ${memberId} re-joining group during Stable`))
        if (!member.matches(r.protocols)) return this.updateMemberAndRebalance(group, member, r, respond, why(`updating metadata for member ${memberId} during Stable`))
        return respond(current([]))
      case 'Empty':
      case 'Dead':
        this.log.warn(`attempt to add rejoining member ${memberId} of group ${group.groupId} in unexpected state ${group.state}`)
        return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID))
    }
  }

  private addMemberAndRebalance(group: ClassicGroup, memberId: string, r: JoinGroupParams, respond: (res: JoinGroupResult) => void): void {
    const member = new MemberMetadata(memberId, r.groupInstanceId, r.clientId, r.clientHost, r.rebalanceTimeoutMs, r.sessionTimeoutMs, r.protocolType, r.protocols)
    member.isNew = true
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true
    group.add(member, respond)
    // A new member has no id to heartbeat with; its join times out instead (it retries if still there).
    this.scheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS)
    this.maybePrepareRebalance(group, `adding new member ${memberId} with group instance id ${r.groupInstanceId ?? 'none'}; client reason: ${r.reason ?? 'not provided'}`)
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: MemberMetadata, r: JoinGroupParams, respond: (res: JoinGroupResult) => void, reason: string): void {
    group.updateMember(member, r.protocols, r.rebalanceTimeoutMs, r.sessionTimeoutMs, respond)
    this.maybePrepareRebalance(group, reason)
  }

  private updateStaticMemberAndRebalance(
    group: ClassicGroup,
    oldMemberId: string,
    newMemberId: string,
    r: JoinGroupParams,
    respond: (res: JoinGroupResult) => void,
  ): void {
    const instanceId = r.groupInstanceId!
    const currentLeader = group.leaderId
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId)
    this.scheduleHeartbeat(group, member)
    const old = { protocols: member.supportedProtocols, rebalance: member.rebalanceTimeoutMs, session: member.sessionTimeoutMs }
    group.updateMember(member, r.protocols, r.rebalanceTimeoutMs, r.sessionTimeoutMs, respond)
    const reason = `updating metadata for static member ${newMemberId} with instance id ${instanceId}; client reason: ${r.reason ?? 'not provided'}`
    switch (group.state) {
      case 'Stable': {
        if (group.protocolName !== group.selectProtocol()) {
          this.maybePrepareRebalance(group, `group's selected protocol will change because static member ${newMemberId} with instance id ${instanceId} joined with a change of protocol`)
          return
        }
        // Same protocol: persist the new member id and keep the group stable. The answer names the
        // old leader id, so a rejoining static leader does not run a pointless assignment.
        const assignment = new Map([...group.members.values()].map(m => [m.memberId, m.assignment]))
        const generation = group.generationId
        this.storeGroup(group, assignment, error => {
          if (error !== ErrorCode.NONE) {
            this.log.warn(`failed to persist metadata for group ${group.groupId}: ${errorName(error)}`)
            if (group.members.get(newMemberId) === member) {
              member.awaitingJoin = null
              member.supportedProtocols = old.protocols
              member.rebalanceTimeoutMs = old.rebalance
              member.sessionTimeoutMs = old.session
              const reverted = group.replaceStaticMember(instanceId, newMemberId, oldMemberId)
              this.scheduleHeartbeat(group, reverted)
            }
            respond({ ...joinError('', error), generationId: group.generationId, protocolType: group.protocolType, protocolName: group.protocolName, leaderId: currentLeader ?? '' })
            return
          }
          group.maybeInvokeJoinCallback(member, {
            errorCode: ErrorCode.NONE,
            memberId: newMemberId,
            generationId: generation,
            protocolType: group.protocolType,
            protocolName: group.protocolName,
            leaderId: currentLeader ?? '',
            skipAssignment: false,
            members: [],
          })
        })
        return
      }
      case 'CompletingRebalance':
        // The leader may already be assigning with the old member id: start over.
        this.prepareRebalance(group, reason)
        return
      case 'PreparingRebalance':
        return
      default:
        this.log.error(`static member ${newMemberId} rejoined group ${group.groupId} in unexpected state ${group.state}`)
        group.maybeInvokeJoinCallback(member, joinError(newMemberId, ErrorCode.UNKNOWN_MEMBER_ID))
    }
  }

  private maybePrepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is('Stable') || group.is('CompletingRebalance') || group.is('Empty')) this.prepareRebalance(group, reason)
  }

  private prepareRebalance(group: ClassicGroup, reason: string): void {
    // Members waiting for their assignment must rejoin.
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS)
    group.syncTimer?.cancel()
    group.syncTimer = null
    const wasEmpty = group.is('Empty')
    group.transitionTo('PreparingRebalance', this.now())
    this.log.info(
      `preparing to rebalance group ${group.groupId} in state PreparingRebalance with old generation ${group.generationId} (${OFFSETS_TOPIC}-${group.partition}) (reason: ${reason})`,
    )
    if (wasEmpty) {
      const delay = this.cfg().initialRebalanceDelayMs
      this.startInitialJoin(group, delay, delay, Math.max(group.rebalanceTimeoutMs - delay, 0))
    } else {
      this.startJoin(group, group.rebalanceTimeoutMs)
    }
  }

  /** Kafka's InitialDelayedJoin: waits, and keeps waiting while new members arrive (up to the rebalance timeout). */
  private startInitialJoin(group: ClassicGroup, configuredDelay: number, delay: number, remaining: number): void {
    group.join?.timer.cancel()
    const op = {
      initial: true,
      timer: this.time.schedule(delay, () => {
        if (group.join !== op) return
        group.join = null
        if (group.newMemberAdded && remaining !== 0) {
          group.newMemberAdded = false
          const next = Math.min(configuredDelay, remaining)
          this.startInitialJoin(group, configuredDelay, next, Math.max(remaining - delay, 0))
        } else {
          this.onCompleteJoin(group)
        }
      }),
    }
    group.join = op
  }

  /** Kafka's DelayedJoin: completes when every member has rejoined, or after the rebalance timeout. */
  private startJoin(group: ClassicGroup, timeoutMs: number): void {
    group.join?.timer.cancel()
    const op = {
      initial: false,
      timer: this.time.schedule(timeoutMs, () => {
        if (group.join !== op) return
        group.join = null
        this.onCompleteJoin(group)
      }),
    }
    group.join = op
    this.tryCompleteJoin(group)
  }

  private tryCompleteJoin(group: ClassicGroup): void {
    const op = group.join
    if (!op || op.initial) return
    if (!group.hasAllMembersJoined()) return
    op.timer.cancel()
    group.join = null
    this.onCompleteJoin(group)
  }

  private onCompleteJoin(group: ClassicGroup): void {
    // Dynamic members that did not rejoin in time are out; static ones keep their place.
    const gone: string[] = []
    for (const m of [...group.members.values()]) {
      if (m.awaitingJoin || m.isStatic) continue
      group.remove(m.memberId)
      gone.push(m.memberId)
    }
    if (gone.length > 0) this.log.info(`group ${group.groupId} removed dynamic members who haven't joined: ${gone.join(', ')}`)
    if (group.is('Dead')) {
      this.log.info(`group ${group.groupId} is dead, skipping rebalance stage`)
      return
    }
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      this.log.error(`group ${group.groupId} could not complete rebalance because no members rejoined`)
      this.startJoin(group, group.rebalanceTimeoutMs)
      return
    }
    group.initNextGeneration(this.now())
    if (group.is('Empty')) {
      this.log.info(`group ${group.groupId} with generation ${group.generationId} is now empty (${OFFSETS_TOPIC}-${group.partition})`)
      this.storeGroup(group, new Map(), error => {
        if (error !== ErrorCode.NONE) this.log.warn(`failed to write empty metadata for group ${group.groupId}: ${errorName(error)}`)
      })
      return
    }
    this.log.info(`stabilized group ${group.groupId} generation ${group.generationId} (${OFFSETS_TOPIC}-${group.partition}) with ${group.size} members, protocol ${group.protocolName}`)
    for (const m of group.members.values()) {
      group.maybeInvokeJoinCallback(m, {
        errorCode: ErrorCode.NONE,
        memberId: m.memberId,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leaderId: group.leaderId ?? '',
        skipAssignment: false,
        members: group.isLeader(m.memberId) ? group.currentMemberMetadata() : [],
      })
      this.scheduleHeartbeat(group, m)
      m.isNew = false
      group.pendingSyncMembers.add(m.memberId)
    }
    this.schedulePendingSync(group)
  }

  // -------------------------------------------------------------------------------------------
  // Session expiry

  private scheduleHeartbeat(group: ClassicGroup, member: MemberMetadata, timeoutMs = member.sessionTimeoutMs): void {
    member.heartbeatTimer?.cancel()
    member.heartbeatTimer = this.time.schedule(timeoutMs, () => {
      member.heartbeatTimer = null
      this.onHeartbeatExpired(group, member)
    })
  }

  private onHeartbeatExpired(group: ClassicGroup, member: MemberMetadata): void {
    if (group.is('Dead') || group.members.get(member.memberId) !== member) return
    // Members waiting in a rebalance count as alive (unless they are new: their join timed out).
    if (!member.isNew && (member.awaitingJoin || member.awaitingSync)) return
    this.log.info(`member ${member.memberId} in group ${group.groupId} has failed (no heartbeat within ${member.isNew ? NEW_MEMBER_JOIN_TIMEOUT_MS : member.sessionTimeoutMs} ms), removing it from the group`)
    this.removeMemberAndUpdateGroup(group, member, `removing member ${member.memberId} on heartbeat expiration`)
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: MemberMetadata, reason: string): void {
    // A new member may still wait in JoinGroup: UNKNOWN_MEMBER_ID makes it retry if it is alive.
    group.maybeInvokeJoinCallback(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID))
    group.remove(member.memberId)
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.maybePrepareRebalance(group, reason)
        break
      case 'PreparingRebalance':
        this.tryCompleteJoin(group)
        break
      default:
        break
    }
  }

  private removePendingMemberAndUpdateGroup(group: ClassicGroup, memberId: string): void {
    group.remove(memberId)
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group)
  }

  // -------------------------------------------------------------------------------------------
  // SyncGroup

  private schedulePendingSync(group: ClassicGroup): void {
    group.syncTimer?.cancel()
    const generation = group.generationId
    const timer = this.time.schedule(group.rebalanceTimeoutMs, () => {
      if (group.syncTimer !== timer) return
      group.syncTimer = null
      this.onExpirePendingSync(group, generation)
    })
    group.syncTimer = timer
  }

  private tryCompletePendingSync(group: ClassicGroup): void {
    if (!group.syncTimer) return
    if (group.is('CompletingRebalance') || group.is('Stable')) {
      if (group.pendingSyncMembers.size > 0) return
    }
    group.syncTimer.cancel()
    group.syncTimer = null
  }

  private onExpirePendingSync(group: ClassicGroup, generation: number): void {
    if (generation !== group.generationId) return
    if (!(group.is('CompletingRebalance') || group.is('Stable')) || group.pendingSyncMembers.size === 0) return
    const pending = [...group.pendingSyncMembers]
    this.log.info(`group ${group.groupId} removed members who haven't sent their sync requests: ${pending.join(', ')}`)
    for (const id of pending) group.remove(id)
    this.prepareRebalance(group, `removing ${pending.join(', ')} on pending sync request expiration`)
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId)
    this.tryCompletePendingSync(group)
  }

  syncGroup(r: SyncGroupParams): Promise<SyncGroupResult> {
    const err = this.validateGroupStatus(r.groupId)
    if (err !== null) {
      // While loading the rebalance state is lost: REBALANCE_IN_PROGRESS makes the member rejoin.
      const code = err === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? ErrorCode.REBALANCE_IN_PROGRESS : err
      this.refuse('SyncGroup', r.groupId, code)
      return Promise.resolve(syncError(code))
    }
    const group = this.groups.get(r.groupId)
    const fail = (code: number, detail: string): Promise<SyncGroupResult> => {
      this.refuse('SyncGroup', r.groupId, code, detail)
      return Promise.resolve(syncError(code))
    }
    if (!group) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${r.memberId}: no such group`)
    if (group.is('Dead')) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the group is being removed')
    if (group.isStaticMemberFenced(r.groupInstanceId, r.memberId)) return fail(ErrorCode.FENCED_INSTANCE_ID, `member ${r.memberId} with instance id ${r.groupInstanceId}`)
    const member = group.members.get(r.memberId)
    if (!member) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${r.memberId}`)
    if (r.generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION, `member ${r.memberId} sent generation ${r.generationId}, the group is at ${group.generationId}`)
    if (r.protocolType !== null && r.protocolType !== group.protocolType) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `protocol type ${r.protocolType} is not the group's ${group.protocolType}`)
    if (r.protocolName !== null && r.protocolName !== group.protocolName) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `protocol ${r.protocolName} is not the group's ${group.protocolName}`)
    switch (group.state) {
      case 'Empty':
        return fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${r.memberId} of an empty group`)
      case 'PreparingRebalance':
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS))
      case 'Stable': {
        this.removePendingSyncMember(group, r.memberId)
        this.scheduleHeartbeat(group, member)
        return Promise.resolve({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment })
      }
      case 'CompletingRebalance':
      default:
        return new Promise<SyncGroupResult>(resolve => {
          const previous = member.awaitingSync
          member.awaitingSync = resolve
          if (previous) previous(syncError(ErrorCode.REBALANCE_IN_PROGRESS))
          this.removePendingSyncMember(group, r.memberId)
          if (!group.isLeader(r.memberId)) return
          const given = new Map(r.assignments.map(a => [a.memberId, a.assignment]))
          const assignment = new Map<string, Buffer>()
          const missing: string[] = []
          for (const id of group.members.keys()) {
            const a = given.get(id)
            if (a === undefined) missing.push(id)
            assignment.set(id, a ?? EMPTY)
          }
          this.log.info(
            `assignment received from leader ${r.memberId} for group ${group.groupId} for generation ${group.generationId}; the group has ${group.size} members, ${group.staticMembers.size} of which are static`,
          )
          if (missing.length > 0) this.log.warn(`setting empty assignments for members ${missing.join(', ')} of ${group.groupId} for generation ${group.generationId}`)
          const generation = group.generationId
          this.storeGroup(group, assignment, error => {
            if (!group.is('CompletingRebalance') || group.generationId !== generation) return
            if (error !== ErrorCode.NONE) {
              this.resetAndPropagateAssignmentError(group, error)
              this.maybePrepareRebalance(group, `error ${errorName(error)} when storing group assignment during SyncGroup (member: ${r.memberId})`)
            } else {
              for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY
              this.propagateAssignment(group, ErrorCode.NONE)
              group.transitionTo('Stable', this.now())
            }
          })
        })
    }
  }

  private resetAndPropagateAssignmentError(group: ClassicGroup, error: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY
    this.propagateAssignment(group, error)
  }

  private propagateAssignment(group: ClassicGroup, error: number): void {
    const ok = error === ErrorCode.NONE
    for (const m of group.members.values()) {
      const result: SyncGroupResult = ok
        ? { errorCode: error, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment }
        : syncError(error)
      // Restart the session clock: an expiry while it waited for the assignment was ignored.
      if (group.maybeInvokeSyncCallback(m, result)) this.scheduleHeartbeat(group, m)
    }
  }

  // -------------------------------------------------------------------------------------------
  // Heartbeat and LeaveGroup

  heartbeat(r: HeartbeatParams): number {
    const err = this.validateGroupStatus(r.groupId)
    if (err !== null) {
      // While loading, answer blindly: the member carries on and finds out once the group is back.
      if (err === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE
      this.refuse('Heartbeat', r.groupId, err)
      return err
    }
    const group = this.groups.get(r.groupId)
    const fail = (code: number, detail: string): number => {
      this.refuse('Heartbeat', r.groupId, code, detail)
      return code
    }
    if (!group) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${r.memberId}: no such group`)
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if (group.isStaticMemberFenced(r.groupInstanceId, r.memberId)) return fail(ErrorCode.FENCED_INSTANCE_ID, `member ${r.memberId} with instance id ${r.groupInstanceId}`)
    const member = group.members.get(r.memberId)
    if (!member) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${r.memberId}`)
    if (r.generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION, `member ${r.memberId} sent generation ${r.generationId}, the group is at ${group.generationId}`)
    switch (group.state) {
      case 'Empty':
        return fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${r.memberId} of an empty group`)
      case 'PreparingRebalance':
        this.scheduleHeartbeat(group, member)
        return ErrorCode.REBALANCE_IN_PROGRESS
      default:
        this.scheduleHeartbeat(group, member)
        return ErrorCode.NONE
    }
  }

  leaveGroup(groupId: string, leaving: LeavingMember[]): LeaveGroupResult {
    const err = this.validateGroupStatus(groupId)
    if (err !== null) {
      this.refuse('LeaveGroup', groupId, err)
      return { errorCode: err, members: [] }
    }
    const group = this.groups.get(groupId)
    const each = (m: LeavingMember, errorCode: number) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode })
    if (!group) {
      this.refuse('LeaveGroup', groupId, ErrorCode.UNKNOWN_MEMBER_ID, 'no such group')
      return { errorCode: ErrorCode.NONE, members: leaving.map(m => each(m, ErrorCode.UNKNOWN_MEMBER_ID)) }
    }
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] }
    const members = leaving.map(l => {
      const reason = l.reason ?? 'not provided'
      if (l.memberId === '') {
        // Administrative removal by group.instance.id (KIP-345).
        const current = l.groupInstanceId !== null ? group.staticMembers.get(l.groupInstanceId) : undefined
        if (current === undefined) {
          this.refuse('LeaveGroup', groupId, ErrorCode.UNKNOWN_MEMBER_ID, `no member with instance id ${l.groupInstanceId}`)
          return each(l, ErrorCode.UNKNOWN_MEMBER_ID)
        }
        this.removeCurrentMember(group, current, reason)
        return each(l, ErrorCode.NONE)
      }
      if (group.pendingMembers.has(l.memberId)) {
        this.removePendingMemberAndUpdateGroup(group, l.memberId)
        this.log.info(`pending member ${l.memberId} has left group ${groupId} through explicit LeaveGroup; client reason: ${reason}`)
        return each(l, ErrorCode.NONE)
      }
      if (group.isStaticMemberFenced(l.groupInstanceId, l.memberId)) {
        this.refuse('LeaveGroup', groupId, ErrorCode.FENCED_INSTANCE_ID, `member ${l.memberId} with instance id ${l.groupInstanceId}`)
        return each(l, ErrorCode.FENCED_INSTANCE_ID)
      }
      if (group.members.has(l.memberId)) {
        this.removeCurrentMember(group, l.memberId, reason)
        return each(l, ErrorCode.NONE)
      }
      this.refuse('LeaveGroup', groupId, ErrorCode.UNKNOWN_MEMBER_ID, `member ${l.memberId}`)
      return each(l, ErrorCode.UNKNOWN_MEMBER_ID)
    })
    return { errorCode: ErrorCode.NONE, members }
  }

  private removeCurrentMember(group: ClassicGroup, memberId: string, reason: string): void {
    const member = group.members.get(memberId)!
    this.removeMemberAndUpdateGroup(group, member, `removing member ${memberId} on LeaveGroup; client reason: ${reason}`)
    this.log.info(`member ${memberId} has left group ${group.groupId} through explicit LeaveGroup; client reason: ${reason}`)
  }

  // -------------------------------------------------------------------------------------------
  // Offsets

  /** Commits offsets; one error code per entry of `r.offsets`, in order. */
  async commitOffsets(r: OffsetCommitParams): Promise<number[]> {
    const all = (code: number): number[] => r.offsets.map(() => code)
    const err = this.validateGroupStatus(r.groupId)
    if (err !== null) {
      this.refuse('OffsetCommit', r.groupId, err)
      return all(err)
    }
    const errors: number[] = r.offsets.map(o => (this.deps.image.partition(o.topic, o.partition) ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))
    const unknown = r.offsets.filter((_, i) => errors[i] !== ErrorCode.NONE)
    if (unknown.length > 0) {
      this.log.info(`OffsetCommit for group ${this.describeId(r.groupId)}: UNKNOWN_TOPIC_OR_PARTITION for ${unknown.map(o => `${o.topic}-${o.partition}`).join(', ')}`)
    }
    const wanted = r.offsets.map((o, i) => ({ o, i })).filter(x => errors[x.i] === ErrorCode.NONE)
    if (wanted.length === 0) return errors
    const setAll = (code: number): number[] => {
      for (const w of wanted) errors[w.i] = code
      return errors
    }

    let group = this.groups.get(r.groupId)
    if (!group) {
      if (r.generationId >= 0) {
        this.refuse('OffsetCommit', r.groupId, ErrorCode.ILLEGAL_GENERATION, `generation ${r.generationId} of a group that does not exist`)
        return setAll(ErrorCode.ILLEGAL_GENERATION)
      }
      // Not managed by the coordinator (simple consumer or admin): the group exists to hold offsets.
      group = this.getOrCreateGroup(r.groupId)
    }
    const invalid = this.validateOffsetCommit(group, r)
    if (invalid !== null) {
      this.refuse('OffsetCommit', r.groupId, invalid, `member '${r.memberId}' generation ${r.generationId} (group at ${group.generationId}, ${group.state})`)
      this.dropIfUnused(group)
      return setAll(invalid)
    }
    switch (group.state) {
      case 'CompletingRebalance':
        // The member is valid and has its JoinGroup answer: it must finish the rebalance first.
        return setAll(ErrorCode.REBALANCE_IN_PROGRESS)
      case 'Stable':
      case 'PreparingRebalance': {
        // Commits are allowed while preparing: the heartbeat tells the member to rejoin.
        const member = group.members.get(r.memberId)
        if (member) this.scheduleHeartbeat(group, member)
        break
      }
      default:
        break
    }
    const codes = await this.storeOffsets(group, r, wanted.map(w => w.o))
    wanted.forEach((w, j) => (errors[w.i] = codes[j]))
    this.dropIfUnused(group)
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
    // Without member id and generation, only an empty group takes commits.
    if (!group.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID
    return null
  }

  private async storeOffsets(group: ClassicGroup, r: OffsetCommitParams, offsets: OffsetCommitParams['offsets']): Promise<number[]> {
    const cfg = this.cfg()
    const now = this.now()
    const tooLarge = (o: OffsetCommitParams['offsets'][number]) => o.metadata !== null && Buffer.byteLength(o.metadata, 'utf8') > cfg.offsetMetadataMaxBytes
    const results: number[] = offsets.map(o => (tooLarge(o) ? ErrorCode.OFFSET_METADATA_TOO_LARGE : ErrorCode.NONE))
    if (results.some(c => c !== ErrorCode.NONE)) {
      this.log.info(`OffsetCommit for group ${this.describeId(group.groupId)}: metadata larger than offset.metadata.max.bytes (${cfg.offsetMetadataMaxBytes}): OFFSET_METADATA_TOO_LARGE`)
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
          expireTimestamp: r.retentionTimeMs >= 0 ? now + r.retentionTimeMs : null,
        },
      }))
    if (toWrite.length === 0) return results
    for (const w of toWrite) group.pendingOffsetCommits.set(w.key, (group.pendingOffsetCommits.get(w.key) ?? 0) + 1)
    const { errorCode, baseOffset } = await this.append(
      group.partition,
      toWrite.map(w => ({ key: encodeOffsetCommitKey(group.groupId, w.o.topic, w.o.partition), value: encodeOffsetCommitValue(w.value) })),
      cfg.offsetCommitTimeoutMs,
    )
    for (const w of toWrite) {
      const n = (group.pendingOffsetCommits.get(w.key) ?? 1) - 1
      if (n <= 0) group.pendingOffsetCommits.delete(w.key)
      else group.pendingOffsetCommits.set(w.key, n)
    }
    let code = errorCode
    if (code === ErrorCode.NONE) {
      if (!group.is('Dead')) {
        for (const w of toWrite) {
          const prev = group.offsets.get(w.key)
          if (!prev || prev.appendedBatchOffset < baseOffset) group.offsets.set(w.key, { ...w.value, appendedBatchOffset: baseOffset })
        }
      }
    } else {
      code = commitErrorFor(code)
      this.log.warn(`failed to store offsets of group ${group.groupId} in ${OFFSETS_TOPIC}-${group.partition}: ${errorName(errorCode)} (answering ${errorName(code)})`)
    }
    for (const w of toWrite) results[w.i] = code
    return results
  }

  /** Committed offsets; `topics` null means all of the group's. Partitions without a commit get offset -1. */
  fetchOffsets(groupId: string, topics: Array<{ topic: string; partitions: number[] }> | null, _requireStable: boolean): { errorCode: number; offsets: FetchedOffset[] } {
    const err = this.validateGroupStatus(groupId)
    if (err !== null) {
      this.refuse('OffsetFetch', groupId, err)
      return { errorCode: err, offsets: [] }
    }
    const group = this.groups.get(groupId)
    const live = group && !group.is('Dead') ? group : null
    const out: FetchedOffset[] = []
    const entry = (topic: string, partition: number): FetchedOffset => {
      const o = live?.offsets.get(tpKey(topic, partition))
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
    const err = this.validateGroupStatus(groupId)
    if (err !== null) {
      this.refuse('OffsetDelete', groupId, err)
      return { errorCode: err, partitions: [] }
    }
    const group = this.groups.get(groupId)
    if (!group || group.is('Dead')) {
      this.refuse('OffsetDelete', groupId, ErrorCode.GROUP_ID_NOT_FOUND)
      return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, partitions: [] }
    }
    const results: Array<{ topic: string; partition: number; errorCode: number }> = partitions.map(p => ({ ...p, errorCode: this.deps.image.partition(p.topic, p.partition) ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }))
    if (!group.is('Empty')) {
      if (!group.isConsumerGroup) {
        this.refuse('OffsetDelete', groupId, ErrorCode.NON_EMPTY_GROUP, `the group is ${group.state}`)
        return { errorCode: ErrorCode.NON_EMPTY_GROUP, partitions: [] }
      }
      for (const r of results) {
        if (r.errorCode === ErrorCode.NONE && group.isSubscribedToTopic(r.topic)) {
          r.errorCode = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC
          this.refuse('OffsetDelete', groupId, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, `topic ${r.topic}`)
        }
      }
    }
    const eligible = results.filter(r => r.errorCode === ErrorCode.NONE).map(r => tpKey(r.topic, r.partition))
    const removed = eligible.filter(k => group.offsets.delete(k))
    if (removed.length > 0) {
      await this.writeTombstones(group.partition, removed.map(k => ({ group: group.groupId, ...splitTpKey(k) })), false, group.groupId)
      this.log.info(`removed ${removed.length} offsets of group ${groupId} on OffsetDelete`)
    }
    return { errorCode: ErrorCode.NONE, partitions: results }
  }

  // -------------------------------------------------------------------------------------------
  // ListGroups, DescribeGroups, DeleteGroups

  listGroups(statesFilter: string[], typesFilter: string[]): { errorCode: number; groups: ListedGroup[] } {
    const states = new Set(statesFilter.map(s => s.toLowerCase()))
    const types = new Set(typesFilter.map(s => s.toLowerCase()))
    for (const s of statesFilter) if (!isKnownState(s)) this.log.debug(`ListGroups: unknown state filter '${s}' matches no classic group`)
    const loading = [...this.partitions.values()].some(p => p.state === 'loading')
    const groups: ListedGroup[] = []
    for (const g of this.groups.values()) {
      if (g.is('Dead')) continue
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue
      if (types.size > 0 && !types.has('classic')) continue
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state, type: 'classic' })
    }
    return { errorCode: loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, groups }
  }

  describeGroup(groupId: string): DescribedGroup {
    const base = { groupId, state: '', protocolType: '', protocol: '', members: [] }
    const err = this.validateGroupStatus(groupId)
    if (err !== null) {
      this.refuse('DescribeGroups', groupId, err)
      return { ...base, errorCode: err }
    }
    const g = this.groups.get(groupId)
    if (!g || g.is('Dead')) return { ...base, errorCode: ErrorCode.NONE, state: 'Dead' }
    const stable = g.is('Stable') && g.protocolName !== null
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      state: g.state,
      protocolType: g.protocolType ?? '',
      protocol: stable ? g.protocolName! : '',
      members: [...g.members.values()].map(m => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadata(g.protocolName!) : EMPTY,
        assignment: stable ? m.assignment : EMPTY,
      })),
    }
  }

  async deleteGroups(groupIds: string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    const out: Array<{ groupId: string; errorCode: number }> = []
    const eligible: ClassicGroup[] = []
    for (const groupId of groupIds) {
      const err = this.validateGroupStatus(groupId)
      if (err !== null) {
        this.refuse('DeleteGroups', groupId, err)
        out.push({ groupId, errorCode: err })
        continue
      }
      const g = this.groups.get(groupId)
      if (!g || g.is('Dead')) {
        this.refuse('DeleteGroups', groupId, ErrorCode.GROUP_ID_NOT_FOUND)
        out.push({ groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND })
        continue
      }
      if (!g.is('Empty')) {
        this.refuse('DeleteGroups', groupId, ErrorCode.NON_EMPTY_GROUP, `the group is ${g.state} with ${g.size} members`)
        out.push({ groupId, errorCode: ErrorCode.NON_EMPTY_GROUP })
        continue
      }
      g.transitionTo('Dead', this.now())
      eligible.push(g)
      out.push({ groupId, errorCode: ErrorCode.NONE })
    }
    await Promise.all(
      eligible.map(async g => {
        const keys = [...g.offsets.keys()].map(k => ({ group: g.groupId, ...splitTpKey(k) }))
        g.offsets.clear()
        this.groups.delete(g.groupId)
        await this.writeTombstones(g.partition, keys, true, g.groupId)
        this.log.info(`deleted group ${g.groupId} and its ${keys.length} offsets`)
      }),
    )
    return out
  }

  // -------------------------------------------------------------------------------------------
  // Expiry and cleanup

  private scheduleCleanup(): void {
    if (!this.active) return
    const interval = Math.max(1, this.cfg().offsetsRetentionCheckIntervalMs)
    this.cleanupTimer = this.time.schedule(interval, () => {
      this.cleanupTimer = null
      void this.cleanupGroupMetadata().finally(() => this.scheduleCleanup())
    })
  }

  /** Removes expired offsets and the empty groups left with none, writing their tombstones. Returns how many offsets went. */
  async cleanupGroupMetadata(): Promise<number> {
    const now = this.now()
    const retention = this.cfg().offsetsRetentionMs
    let removed = 0
    const writes: Promise<void>[] = []
    for (const g of [...this.groups.values()]) {
      if (g.is('Dead') || this.partitions.get(g.partition)?.state !== 'loaded') continue
      const expired = g.removeExpiredOffsets(now, retention)
      let dead = false
      if (g.is('Empty') && !g.hasOffsets() && g.pendingMembers.size === 0) {
        g.transitionTo('Dead', now)
        this.groups.delete(g.groupId)
        dead = true
        this.log.info(`group ${g.groupId} transitioned to Dead in generation ${g.generationId}`)
      }
      if (expired.length > 0 || dead) {
        removed += expired.length
        writes.push(this.writeTombstones(g.partition, expired.map(k => ({ group: g.groupId, ...splitTpKey(k) })), dead, g.groupId))
      }
    }
    await Promise.all(writes)
    if (removed > 0) this.log.info(`removed ${removed} expired offsets`)
    return removed
  }

  /** A topic was deleted: its committed offsets go too. */
  private async removeOffsetsOfTopic(topic: string): Promise<void> {
    const writes: Promise<void>[] = []
    for (const g of this.groups.values()) {
      const keys = [...g.offsets.keys()].filter(k => splitTpKey(k).topic === topic)
      if (keys.length === 0) continue
      for (const k of keys) g.offsets.delete(k)
      writes.push(this.writeTombstones(g.partition, keys.map(k => ({ group: g.groupId, ...splitTpKey(k) })), false, g.groupId))
    }
    await Promise.all(writes)
  }

  private async writeTombstones(partition: number, offsets: Array<{ group: string; topic: string; partition: number }>, groupToo: boolean, groupId: string): Promise<void> {
    const records = offsets.map(o => ({ key: encodeOffsetCommitKey(o.group, o.topic, o.partition), value: null }))
    if (groupToo) records.push({ key: encodeGroupMetadataKey(groupId), value: null })
    if (records.length === 0) return
    const { errorCode } = await this.append(partition, records, this.cfg().offsetCommitTimeoutMs)
    if (errorCode !== ErrorCode.NONE) this.log.warn(`failed to write ${records.length} tombstones for group ${groupId} to ${OFFSETS_TOPIC}-${partition}: ${errorName(errorCode)}`)
  }

  // -------------------------------------------------------------------------------------------
  // Writing to __consumer_offsets

  /** Persists the group (its generation, members and their assignments); `callback` gets the coordinator-facing error. */
  private storeGroup(group: ClassicGroup, assignment: Map<string, Buffer>, callback: (error: number) => void): void {
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
      this.log.error(`cannot encode metadata of group ${group.groupId}: ${(err as Error).message}`)
      queueMicrotask(() => callback(ErrorCode.UNKNOWN_SERVER_ERROR))
      return
    }
    void this.append(group.partition, [{ key: encodeGroupMetadataKey(group.groupId), value: encoded }], this.cfg().offsetCommitTimeoutMs).then(
      ({ errorCode }) => {
        if (errorCode !== ErrorCode.NONE) this.log.warn(`failed to store metadata of group ${group.groupId} in ${OFFSETS_TOPIC}-${group.partition}: ${errorName(errorCode)}`)
        callback(storeGroupErrorFor(errorCode))
      },
    )
  }

  /** Appends records as one batch with acks=all, as Kafka's coordinator does. */
  private async append(partition: number, records: Array<{ key: Buffer; value: Buffer | null }>, timeoutMs: number): Promise<{ errorCode: number; baseOffset: number }> {
    const st = this.partitions.get(partition)
    if (!st || st.state !== 'loaded') return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, baseOffset: -1 }
    try {
      const now = this.now()
      const batch = await buildBatch({ records: records.map(r => ({ key: r.key, value: r.value, timestamp: now })) })
      const [res] = await this.deps.replicas.appendRecords(-1, timeoutMs, [{ topic: OFFSETS_TOPIC, partition, records: batch }])
      if (!res) return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, baseOffset: -1 }
      if (res.errorCode !== ErrorCode.NONE && res.errorMessage) this.log.debug(`append to ${OFFSETS_TOPIC}-${partition}: ${res.errorMessage}`)
      return { errorCode: res.errorCode, baseOffset: res.baseOffset }
    } catch (err) {
      this.log.error(`append to ${OFFSETS_TOPIC}-${partition} failed: ${(err as Error).stack ?? err}`)
      return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, baseOffset: -1 }
    }
  }

  /** The group, for tests and tools (undefined when not served here). */
  group(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId)
  }
}

/** Kafka's mapping of append errors for group metadata writes. */
function storeGroupErrorFor(code: number): number {
  switch (code) {
    case ErrorCode.NONE:
      return code
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.REBALANCE_IN_PROGRESS
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR
    default:
      return code
  }
}

/** Kafka's mapping of append errors for offset commits. */
function commitErrorFor(code: number): number {
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
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE
    default:
      return code
  }
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

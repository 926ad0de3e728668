// The group coordinator for classic consumer groups (Kafka's GroupCoordinator and
// GroupMetadataManager): JoinGroup/SyncGroup/Heartbeat/LeaveGroup rebalances with long-poll
// joins, session expiry, static membership, and committed offsets, all stored in
// __consumer_offsets and loaded back from it when this node leads one of its partitions.
//
// Each group lives in the __consumer_offsets partition abs(hash(groupId)) % partitions; this node
// answers for the groups of the partitions it leads, once it has replayed them from the log.
//
// This class is the face the API handlers and the broker use; the work is done by
//   registry.ts            the groups served here and the checks every request starts with
//   partition-loader.ts    loading and unloading __consumer_offsets partitions (partition-replay.ts reads them)
//   coordinator-lookup.ts  FindCoordinator, creating __consumer_offsets on first use
//   membership.ts          JoinGroup, SyncGroup, Heartbeat, LeaveGroup
//   rebalance.ts           the rebalance state machine, its timers and session expiry
//   offsets.ts             OffsetCommit, OffsetFetch, OffsetDelete
//   expiry.ts              offset retention and removal of empty groups
//   admin.ts               ListGroups, DescribeGroups, DeleteGroups
//   persistence.ts         the records written to __consumer_offsets

import type { ImageChange } from '../kraft/index.js'
import { GroupAdmin } from './admin.js'
import { CoordinatorContext } from './context.js'
import { CoordinatorLookup } from './coordinator-lookup.js'
import type { GroupCoordinatorDeps } from './deps.js'
import { GroupExpiry } from './expiry.js'
import type { ClassicGroup, JoinGroupResult, SyncGroupResult } from './group.js'
import { Membership } from './membership.js'
import { OffsetManager } from './offsets.js'
import { PartitionLoader } from './partition-loader.js'
import { GroupPersistence } from './persistence.js'
import { Rebalancer } from './rebalance.js'
import { OFFSETS_TOPIC } from './records.js'
import { isValidGroupId } from './registry.js'
import type {
  DescribedGroup,
  FetchedOffset,
  HeartbeatParams,
  JoinGroupParams,
  LeaveGroupResult,
  LeavingMember,
  ListedGroup,
  OffsetCommitParams,
  SyncGroupParams,
} from './requests.js'

export class GroupCoordinator {
  private readonly ctx: CoordinatorContext
  private readonly nodeId: number
  private readonly loader: PartitionLoader
  private readonly lookup: CoordinatorLookup
  private readonly membership: Membership
  private readonly offsets: OffsetManager
  private readonly expiry: GroupExpiry
  private readonly admin: GroupAdmin

  constructor(deps: GroupCoordinatorDeps) {
    const ctx = new CoordinatorContext(deps)
    const persistence = new GroupPersistence(ctx, deps.replicas)
    const rebalance = new Rebalancer(ctx, persistence)
    this.ctx = ctx
    this.nodeId = deps.nodeId
    this.loader = new PartitionLoader(ctx, deps.nodeId, deps.image, deps.replicas, rebalance)
    this.lookup = new CoordinatorLookup(ctx, deps.nodeId, deps.image, deps.controller, this.loader)
    this.membership = new Membership(ctx, rebalance, persistence)
    this.offsets = new OffsetManager(ctx, deps.image, persistence, rebalance)
    this.expiry = new GroupExpiry(ctx, persistence)
    this.admin = new GroupAdmin(ctx, persistence)
    deps.image.onChange(c => this.onImageChange(c))
    this.expiry.start()
  }

  // -------------------------------------------------------------------------------------------
  // Partition ownership and loading

  /** Partitions of __consumer_offsets: the topic's, once it exists; the configured count before. */
  partitionCount(): number {
    return this.ctx.registry.partitionCount()
  }

  partitionFor(groupId: string): number {
    return this.ctx.registry.partitionFor(groupId)
  }

  /** Loads every __consumer_offsets partition this node leads (call after the replica manager is ready). */
  loadAll(): Promise<void> {
    return this.loader.loadAll()
  }

  /** Whether this node has finished loading partition `p` (tests and tools). */
  isLoaded(p: number): boolean {
    return this.ctx.registry.isLoaded(p)
  }

  private onImageChange(c: ImageChange): void {
    if (!this.ctx.registry.active) return
    if (c.kind === 'partition-changed' && c.partition.topicName === OFFSETS_TOPIC) {
      if (c.partition.leader === this.nodeId) this.loader.scheduleLoad(c.partition.partition, c.partition.leaderEpoch)
      else this.loader.unloadPartition(c.partition.partition, 'it now leads elsewhere')
    } else if (c.kind === 'topic-deleted') {
      if (c.topic.name === OFFSETS_TOPIC) this.loader.unloadAll('the topic was deleted')
      else void this.offsets.removeOffsetsOfTopic(c.topic.name)
    }
  }

  /** Stops serving: waiting joins and syncs are answered (so connections can close), timers stop. */
  shutdown(): void {
    if (!this.ctx.registry.active) return
    this.loader.unloadAll('the broker is shutting down')
    this.ctx.registry.active = false
    this.expiry.stop()
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  /**
   * The node that coordinates a group: the leader of its __consumer_offsets partition (creating
   * the topic on first use). COORDINATOR_NOT_AVAILABLE while the topic is created or, when this
   * node leads the partition, while it is still loading.
   */
  findGroupCoordinator(groupId: string): Promise<{ errorCode: number; errorMessage: string | null; nodeId: number }> {
    return this.lookup.findGroupCoordinator(groupId)
  }

  static isValidGroupId(groupId: string | null | undefined): boolean {
    return isValidGroupId(groupId)
  }

  joinGroup(r: JoinGroupParams): Promise<JoinGroupResult> {
    return this.membership.joinGroup(r)
  }

  syncGroup(r: SyncGroupParams): Promise<SyncGroupResult> {
    return this.membership.syncGroup(r)
  }

  heartbeat(r: HeartbeatParams): number {
    return this.membership.heartbeat(r)
  }

  leaveGroup(groupId: string, leaving: LeavingMember[]): LeaveGroupResult {
    return this.membership.leaveGroup(groupId, leaving)
  }

  /** Commits offsets; one error code per entry of `r.offsets`, in order. */
  commitOffsets(r: OffsetCommitParams): Promise<number[]> {
    return this.offsets.commitOffsets(r)
  }

  /** TxnOffsetCommit: offsets held by producer `r.txn`'s transaction until its marker. */
  commitTransactionalOffsets(r: OffsetCommitParams & { txn: { producerId: number; producerEpoch: number } }): Promise<number[]> {
    return this.offsets.commitOffsets(r)
  }

  /**
   * A COMMIT or ABORT marker of producer `producerId` was written to __consumer_offsets
   * partition `partition` (Kafka's onTransactionCompleted): its pending offsets there resolve.
   */
  onTransactionCompleted(partition: number, producerId: number, commit: boolean): void {
    this.offsets.completeTransaction(partition, producerId, commit)
  }

  /** Committed offsets; `topics` null means all of the group's. Partitions without a commit get offset -1. */
  fetchOffsets(groupId: string, topics: Array<{ topic: string; partitions: number[] }> | null, requireStable: boolean): { errorCode: number; offsets: FetchedOffset[] } {
    return this.offsets.fetchOffsets(groupId, topics, requireStable)
  }

  /** OffsetDelete: removes committed offsets of partitions the group does not consume. */
  deleteOffsets(groupId: string, partitions: Array<{ topic: string; partition: number }>): Promise<{ errorCode: number; partitions: Array<{ topic: string; partition: number; errorCode: number }> }> {
    return this.offsets.deleteOffsets(groupId, partitions)
  }

  listGroups(statesFilter: string[], typesFilter: string[]): { errorCode: number; groups: ListedGroup[] } {
    return this.admin.listGroups(statesFilter, typesFilter)
  }

  describeGroup(groupId: string): DescribedGroup {
    return this.admin.describeGroup(groupId)
  }

  deleteGroups(groupIds: string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    return this.admin.deleteGroups(groupIds)
  }

  /** Removes expired offsets and the empty groups left with none, writing their tombstones. Returns how many offsets went. */
  cleanupGroupMetadata(): Promise<number> {
    return this.expiry.cleanupGroupMetadata()
  }

  /** The group, for tests and tools (undefined when not served here). */
  group(groupId: string): ClassicGroup | undefined {
    return this.ctx.registry.groups.get(groupId)
  }
}

// The groups this node coordinates and the __consumer_offsets partitions they live in (loading or
// loaded here), with the checks every group request starts with.

import type { MetadataImage } from '../kraft/index.js'
import { ErrorCode } from '../wire/index.js'
import type { GroupConfig } from './config.js'
import { ClassicGroup } from './group.js'
import { partitionForGroup } from '../util/index.js'
import { OFFSETS_TOPIC } from './records.js'
import type { Time } from '../util/index.js'

/** Group ids longer than this (UTF-8 bytes) get INVALID_GROUP_ID: they must fit a record key comfortably. */
export const MAX_GROUP_ID_BYTES = 1024

export interface PartitionStatus {
  state: 'loading' | 'loaded'
  epoch: number
  done: Promise<void>
}

export function isValidGroupId(groupId: string | null | undefined): boolean {
  return typeof groupId === 'string' && groupId.length > 0 && Buffer.byteLength(groupId, 'utf8') <= MAX_GROUP_ID_BYTES
}

export class GroupRegistry {
  readonly groups = new Map<string, ClassicGroup>()
  /** The __consumer_offsets partitions this node leads, by partition number. */
  readonly partitions = new Map<number, PartitionStatus>()
  /** False once the coordinator has shut down. */
  active = true

  constructor(
    private readonly image: MetadataImage,
    private readonly cfg: () => GroupConfig,
    private readonly time: Time,
  ) {}

  /** Partitions of __consumer_offsets: the topic's, once it exists; the configured count before. */
  partitionCount(): number {
    const t = this.image.topicsByName.get(OFFSETS_TOPIC)
    if (t && t.partitions.size > 0) return t.partitions.size
    return this.cfg().offsetsTopicNumPartitions
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.partitionCount())
  }

  /** Whether this node has finished loading partition `p`. */
  isLoaded(p: number): boolean {
    return this.partitions.get(p)?.state === 'loaded'
  }

  /** INVALID_GROUP_ID, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR, or null when this node serves the group. */
  validateGroupStatus(groupId: string): number | null {
    if (!isValidGroupId(groupId)) return ErrorCode.INVALID_GROUP_ID
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const st = this.partitions.get(this.partitionFor(groupId))
    if (!st) return ErrorCode.NOT_COORDINATOR
    if (st.state === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    return null
  }

  getOrCreateGroup(groupId: string): ClassicGroup {
    let g = this.groups.get(groupId)
    if (!g) {
      g = new ClassicGroup(groupId, 'Empty', this.time.now())
      g.partition = this.partitionFor(groupId)
      this.groups.set(groupId, g)
    }
    return g
  }

  /** Drops a group that a failed request created and that holds nothing. */
  dropIfUnused(g: ClassicGroup): void {
    if (g.is('Empty') && g.size === 0 && g.pendingMembers.size === 0 && !g.hasOffsets() && g.generationId === 0 && this.groups.get(g.groupId) === g) {
      g.state = 'Dead'
      this.groups.delete(g.groupId)
    }
  }
}

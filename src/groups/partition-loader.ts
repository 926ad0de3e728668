// Ownership of __consumer_offsets partitions: loading the groups of each partition this node
// leads (replayed from its log) and unloading them when leadership moves away or the broker stops.

import type { MetadataImage } from '../kraft/index.js'
import type { CoordinatorContext } from './context.js'
import type { ReplicaAccess } from './deps.js'
import type { ClassicGroup } from './group.js'
import { groupsOf, replayOffsetsPartition } from './partition-replay.js'
import type { Rebalancer } from './rebalance.js'
import { OFFSETS_TOPIC } from './records.js'
import type { PartitionStatus } from './registry.js'

export class PartitionLoader {
  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly nodeId: number,
    private readonly image: MetadataImage,
    private readonly replicas: ReplicaAccess,
    private readonly rebalance: Rebalancer,
  ) {}

  /** Loads every __consumer_offsets partition this node leads (call after the replica manager is ready). */
  async loadAll(): Promise<void> {
    const t = this.image.topicsByName.get(OFFSETS_TOPIC)
    if (!t) return
    for (const p of t.partitions.values()) if (p.leader === this.nodeId) this.scheduleLoad(p.partition, p.leaderEpoch)
    await Promise.all([...this.ctx.registry.partitions.values()].map(s => s.done))
  }

  /** Starts loading partition `p` unless it is loading or loaded already (then only its epoch moves). */
  scheduleLoad(p: number, epoch: number): void {
    if (!this.ctx.registry.active) return
    const partitions = this.ctx.registry.partitions
    const existing = partitions.get(p)
    if (existing) {
      existing.epoch = epoch
      return
    }
    const status: PartitionStatus = { state: 'loading', epoch, done: Promise.resolve() }
    partitions.set(p, status)
    status.done = this.loadPartition(p, status)
  }

  private async loadPartition(p: number, status: PartitionStatus): Promise<void> {
    const partitions = this.ctx.registry.partitions
    const started = Date.now()
    const name = `${OFFSETS_TOPIC}-${p}`
    try {
      await this.replicas.ready()
      if (partitions.get(p) !== status) return
      const part = this.replicas.getPartition(OFFSETS_TOPIC, p)
      if (!part || !part.isLeader) {
        this.ctx.log.warn(`cannot load ${name}: its log is not open here as leader`)
        partitions.delete(p)
        return
      }
      const replayed = await replayOffsetsPartition(part, name, this.ctx.cfg().loadBufferSize, this.ctx.log)
      if (partitions.get(p) !== status) return
      const groups = groupsOf(replayed, this.ctx.now())
      for (const g of groups) this.installLoadedGroup(g, p)
      status.state = 'loaded'
      const line = `finished loading offsets and group metadata from ${name} in ${Date.now() - started} ms (${groups.length} groups)`
      if (groups.length > 0) this.ctx.log.info(line)
      else this.ctx.log.debug(line)
    } catch (err) {
      this.ctx.log.error(`error loading offsets from ${name}: ${(err as Error).stack ?? err}`)
      if (partitions.get(p) === status) partitions.delete(p)
    }
  }

  private installLoadedGroup(g: ClassicGroup, p: number): void {
    g.partition = p
    this.ctx.registry.groups.set(g.groupId, g)
    for (const m of g.members.values()) this.rebalance.scheduleHeartbeat(g, m)
    this.ctx.log.debug(`loaded group ${g.groupId} generation ${g.generationId} (${g.state}, ${g.size} members, ${g.offsets.size} offsets)`)
  }

  /** Stops serving the groups of partition `p`: their waiting requests are answered NOT_COORDINATOR. */
  unloadPartition(p: number, why: string): void {
    const { groups, partitions } = this.ctx.registry
    if (!partitions.has(p)) return
    partitions.delete(p)
    let n = 0
    for (const g of [...groups.values()]) {
      if (g.partition !== p) continue
      this.rebalance.onGroupUnloaded(g)
      groups.delete(g.groupId)
      n++
    }
    const line = `unloaded ${n} groups of ${OFFSETS_TOPIC}-${p}: ${why}`
    if (n > 0) this.ctx.log.info(line)
    else this.ctx.log.debug(line)
  }

  /** Unloads every partition this node holds. */
  unloadAll(why: string): void {
    for (const p of [...this.ctx.registry.partitions.keys()]) this.unloadPartition(p, why)
  }
}

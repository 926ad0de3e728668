// FindCoordinator for groups: the leader of the group's __consumer_offsets partition, creating the
// topic on first use and, when this node leads the partition, waiting briefly for it to load.

import { InternalTopic, type MetadataImage, type TopicCreator } from '../kraft/index.js'
import { ErrorCode } from '../wire/index.js'
import type { CoordinatorContext } from './context.js'
import type { PartitionLoader } from './partition-loader.js'
import { OFFSETS_TOPIC } from './records.js'
import type { Timer } from '../util/index.js'

/** How long FindCoordinator waits for a partition of this node to finish loading before answering COORDINATOR_NOT_AVAILABLE. */
const FIND_COORDINATOR_LOAD_WAIT_MS = 1000

export class CoordinatorLookup {
  private readonly offsetsTopic: InternalTopic

  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly nodeId: number,
    private readonly image: MetadataImage,
    controller: TopicCreator,
    private readonly loader: PartitionLoader,
  ) {
    this.offsetsTopic = new InternalTopic(
      image,
      controller,
      () => {
        const cfg = this.ctx.cfg()
        return {
          name: OFFSETS_TOPIC,
          numPartitions: cfg.offsetsTopicNumPartitions,
          replicationFactor: cfg.offsetsTopicReplicationFactor,
          assignments: [],
          configs: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.bytes', value: String(cfg.offsetsTopicSegmentBytes) },
            { name: 'compression.type', value: 'producer' },
          ],
        }
      },
      ctx.log,
    )
  }

  /**
   * The node that coordinates a group: the leader of its __consumer_offsets partition (creating
   * the topic on first use). COORDINATOR_NOT_AVAILABLE while the topic is created or, when this
   * node leads the partition, while it is still loading.
   */
  async findGroupCoordinator(groupId: string): Promise<{ errorCode: number; errorMessage: string | null; nodeId: number }> {
    const unavailable = (why: string) => ({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: why, nodeId: -1 })
    if (!this.ctx.registry.active) return unavailable('The coordinator is shutting down.')
    await this.offsetsTopic.ensure()
    if (!this.image.topicsByName.has(OFFSETS_TOPIC)) return unavailable(`The ${OFFSETS_TOPIC} topic could not be created yet.`)
    const p = this.ctx.registry.partitionFor(groupId)
    const state = this.image.partition(OFFSETS_TOPIC, p)
    if (!state || state.leader < 0) return unavailable(`${OFFSETS_TOPIC}-${p} has no leader.`)
    if (state.leader === this.nodeId && !this.ctx.registry.isLoaded(p)) {
      // Not loading (an earlier load failed, or the log opened late): try again now.
      if (!this.ctx.registry.partitions.has(p)) this.loader.scheduleLoad(p, state.leaderEpoch)
      const status = this.ctx.registry.partitions.get(p)
      if (status) {
        let timer: Timer | null = null
        await Promise.race([status.done, new Promise<void>(r => (timer = this.ctx.time.schedule(FIND_COORDINATOR_LOAD_WAIT_MS, r)))])
        ;(timer as Timer | null)?.cancel()
      }
      if (!this.ctx.registry.isLoaded(p)) return unavailable(`${OFFSETS_TOPIC}-${p} is still loading.`)
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: state.leader }
  }
}

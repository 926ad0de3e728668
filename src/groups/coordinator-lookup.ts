// FindCoordinator for groups: the leader of the group's __consumer_offsets partition, creating the
// topic on first use and, when this node leads the partition, waiting briefly for it to load.

import type { MetadataImage } from '../kraft/index.js'
import { errorName, ErrorCode } from '../wire/index.js'
import type { CoordinatorContext } from './context.js'
import type { TopicCreator } from './deps.js'
import type { PartitionLoader } from './partition-loader.js'
import { OFFSETS_TOPIC } from './records.js'
import type { Timer } from '../util/index.js'

/** How long FindCoordinator waits for a partition of this node to finish loading before answering COORDINATOR_NOT_AVAILABLE. */
const FIND_COORDINATOR_LOAD_WAIT_MS = 1000

export class CoordinatorLookup {
  private creatingTopic: Promise<void> | null = null

  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly nodeId: number,
    private readonly image: MetadataImage,
    private readonly controller: TopicCreator,
    private readonly loader: PartitionLoader,
  ) {}

  /** Creates __consumer_offsets if it does not exist yet (once at a time). */
  private ensureOffsetsTopic(): Promise<void> {
    if (this.image.topicsByName.has(OFFSETS_TOPIC)) return Promise.resolve()
    if (this.creatingTopic) return this.creatingTopic
    const cfg = this.ctx.cfg()
    this.ctx.log.info(`creating ${OFFSETS_TOPIC} with ${cfg.offsetsTopicNumPartitions} partitions and replication factor ${cfg.offsetsTopicReplicationFactor}`)
    this.creatingTopic = this.controller
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
          this.ctx.log.warn(`cannot create ${OFFSETS_TOPIC}: ${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`)
        }
      })
      .catch(err => this.ctx.log.error(`cannot create ${OFFSETS_TOPIC}: ${(err as Error).stack ?? err}`))
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
    if (!this.ctx.registry.active) return unavailable('The coordinator is shutting down.')
    await this.ensureOffsetsTopic()
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

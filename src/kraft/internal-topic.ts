// An internal topic (__consumer_offsets, __transaction_state) created on first use, as Kafka's
// coordinators create theirs: one creation at a time, a failure logged; callers look in the
// metadata image afterwards to see whether the topic exists.

import { errorName, ErrorCode } from '../wire/index.js'
import type { Logger } from '../util/index.js'
import type { CreateTopicSpec } from './controller.js'
import type { MetadataImage } from './metadata-image.js'

export interface TopicCreator {
  createTopics(specs: CreateTopicSpec[], validateOnly: boolean): Promise<Array<{ name: string; errorCode: number; errorMessage: string | null }>>
}

export class InternalTopic {
  private creating: Promise<void> | null = null

  constructor(
    private readonly image: MetadataImage,
    private readonly controller: TopicCreator,
    /** The topic as it is to be created (read at creation, so config changes count). */
    private readonly spec: () => CreateTopicSpec,
    private readonly log: Logger,
  ) {}

  /** Creates the topic unless it exists or is being created; resolves when that attempt ends. */
  ensure(): Promise<void> {
    const spec = this.spec()
    if (this.image.topicsByName.has(spec.name)) return Promise.resolve()
    if (this.creating) return this.creating
    this.log.info(`creating ${spec.name} with ${spec.numPartitions} partitions and replication factor ${spec.replicationFactor}`)
    this.creating = this.controller
      .createTopics([spec], false)
      .then(results => {
        const r = results[0]
        if (r && r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
          this.log.warn(`cannot create ${spec.name}: ${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`)
        }
      })
      .catch(err => this.log.error(`cannot create ${spec.name}: ${(err as Error).stack ?? err}`))
      .finally(() => (this.creating = null))
    return this.creating
  }
}

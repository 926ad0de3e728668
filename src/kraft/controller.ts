// The controller: the only writer of cluster metadata. It validates admin operations against the
// current image, turns them into metadata records, and commits them through the metadata log;
// the image changes only when records are replayed, on this node as on every other.

import { ErrorCode, randomUuid, type Uuid } from '../wire/index.js'
import { ConfigResourceType, type MetadataImage } from './metadata-image.js'
import type { MetadataRecord } from './metadata-record.js'
import { invalidTopicNameReason, unifyCollisionChars } from './topic-names.js'
import { METADATA_TOPIC } from './metadata-log.js'

export interface ControllerOptions {
  /** num.partitions: used when a request asks for -1. */
  defaultPartitions: () => number
  /** default.replication.factor: used when a request asks for -1. */
  defaultReplicationFactor: () => number
  deleteTopicEnable: () => boolean
  /** Checks topic configs; returns an error message (INVALID_CONFIG) or null. */
  validateTopicConfigs: (configs: Map<string, string>) => string | null
  /** Checks dynamic broker configs; returns an error message or null. */
  validateBrokerConfigs: (configs: Map<string, string>) => string | null
  /** Appends records atomically, makes them durable, and replays them into the image. */
  commit: (records: MetadataRecord[]) => Promise<void>
}

export interface Failure {
  errorCode: number
  errorMessage: string | null
}

const ok: Failure = { errorCode: ErrorCode.NONE, errorMessage: null }
const fail = (errorCode: number, errorMessage: string): Failure => ({ errorCode, errorMessage })

/**
 * Kafka's limit on the partitions one CreateTopics or CreatePartitions request may add (its
 * controller's records per metadata batch): a larger request fails whole, before anything is
 * built, rather than make millions of records of one bad request.
 */
export const MAX_PARTITIONS_PER_REQUEST = 10_000
/**
 * One manually assigned replica list, checked as Kafka's validateManualPartitionAssignment does
 * (in broker id order, so the first offending id is the smallest): null when it is usable.
 */
function checkReplicaList(replicas: readonly number[], live: ReadonlySet<number>): Failure | null {
  if (replicas.length === 0) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.')
  const sorted = [...replicas].sort((a, b) => a - b)
  for (let i = 0; i < sorted.length; i++) {
    const b = sorted[i]!
    if (!live.has(b)) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${b}, but no such broker is registered.`)
    if (i > 0 && sorted[i - 1] === b) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${b} more than once.`)
  }
  return null
}

const tooManyPartitions = (): Failure => fail(ErrorCode.POLICY_VIOLATION, 'Excessively large number of partitions per request.')
const notNeeded: Failure = { errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: null }

export interface CreateTopicSpec {
  name: string
  numPartitions: number
  replicationFactor: number
  assignments: Array<{ partitionIndex: number; brokerIds: number[] }>
  configs: Array<{ name: string; value: string | null }>
}

export interface CreatedTopic extends Failure {
  name: string
  topicId: Uuid
  numPartitions: number
  replicationFactor: number
}

export type AlterOp = 0 | 1 | 2 | 3 // SET, DELETE, APPEND, SUBTRACT (IncrementalAlterConfigs)

export interface ConfigAlteration {
  resourceType: number
  resourceName: string
  /** For AlterConfigs (non-incremental) every key not listed is removed. */
  replaceAll: boolean
  changes: Array<{ name: string; op: AlterOp; value: string | null }>
}

/** Kafka's list-type configs, for APPEND and SUBTRACT. */
const LIST_CONFIGS = new Set(['cleanup.policy', 'leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'])

export class Controller {
  /** Serializes mutations: each sees the image as the previous one left it. */
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly image: MetadataImage,
    private readonly opts: ControllerOptions,
  ) {}

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => undefined)
    return run
  }

  /** Unfenced brokers, in id order: the candidates for new replicas. */
  private usableBrokers(): number[] {
    return [...this.image.brokers.values()]
      .filter(b => !b.fenced)
      .map(b => b.id)
      .sort((a, b) => a - b)
  }

  private placeReplicas(count: number, rf: number, firstPartition: number): number[][] | Failure {
    const brokers = this.usableBrokers()
    if (rf < 1) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.')
    if (rf > brokers.length) {
      return fail(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${brokers.length} broker(s) are registered.`,
      )
    }
    // Striped placement: leaders rotate over the brokers, followers are the next ones along.
    const start = Math.floor(Math.random() * brokers.length)
    const out: number[][] = []
    for (let p = 0; p < count; p++) {
      const replicas: number[] = []
      for (let i = 0; i < rf; i++) replicas.push(brokers[(start + firstPartition + p + i) % brokers.length])
      out.push(replicas)
    }
    return out
  }

  /** CreateTopics/CreatePartitions with manual assignments: Kafka's checks and messages, the replica lists in partition order. */
  private checkManualAssignment(assignments: CreateTopicSpec['assignments']): number[][] | Failure {
    const live = new Set(this.usableBrokers())
    const byIndex = new Map<number, number[]>()
    for (const a of assignments) {
      if (byIndex.has(a.partitionIndex)) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Found multiple manual partition assignments for partition ${a.partitionIndex}`)
      byIndex.set(a.partitionIndex, a.brokerIds)
    }
    const out: number[][] = []
    for (let i = 0; i < byIndex.size; i++) {
      const replicas = byIndex.get(i)
      if (!replicas) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence')
      const bad = checkReplicaList(replicas, live)
      if (bad) return bad
      if (out.length > 0 && replicas.length !== out[0]!.length) {
        return fail(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `The manual partition assignment includes a partition with ${replicas.length} replica(s), but this is not consistent with previous partitions, which have ${out[0]!.length} replica(s).`,
        )
      }
      out.push(replicas)
    }
    return out
  }

  createTopics(specs: CreateTopicSpec[], validateOnly: boolean): Promise<CreatedTopic[]> {
    return this.serialized(async () => {
      const results: CreatedTopic[] = []
      const records: MetadataRecord[] = []
      const requested = specs.reduce((n, s) => n + (s.assignments.length > 0 ? s.assignments.length : s.numPartitions === -1 ? this.opts.defaultPartitions() : Math.max(0, s.numPartitions)), 0)
      if (requested > MAX_PARTITIONS_PER_REQUEST) {
        return specs.map(s => ({ name: s.name, topicId: '' as Uuid, numPartitions: -1, replicationFactor: -1, ...tooManyPartitions() }))
      }
      const seen = new Map<string, number>()
      for (const s of specs) seen.set(s.name, (seen.get(s.name) ?? 0) + 1)
      const collisions = new Map<string, string>()
      for (const t of this.image.topicsByName.keys()) collisions.set(unifyCollisionChars(t), t)

      for (const s of specs) {
        const base = { name: s.name, topicId: '' as Uuid, numPartitions: -1, replicationFactor: -1 }
        const reject = (f: Failure): void => void results.push({ ...base, ...f })
        if ((seen.get(s.name) ?? 0) > 1) {
          reject(fail(ErrorCode.INVALID_REQUEST, `Create topics request from client contains duplicate topic ${s.name}.`))
          continue
        }
        const nameError = invalidTopicNameReason(s.name)
        if (nameError) {
          reject(fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError))
          continue
        }
        // The metadata log's own partition directory: a topic of that name would be this log.
        if (s.name === METADATA_TOPIC) {
          reject(fail(ErrorCode.INVALID_REQUEST, `Creation of internal topic ${METADATA_TOPIC} is prohibited.`))
          continue
        }
        if (this.image.topicsByName.has(s.name)) {
          reject(fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${s.name}' already exists.`))
          continue
        }
        const clash = collisions.get(unifyCollisionChars(s.name))
        if (clash !== undefined) {
          reject(fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${s.name}' collides with existing topic: ${clash}`))
          continue
        }
        let placement: number[][] | Failure
        if (s.assignments.length > 0) {
          if (s.numPartitions !== -1 || s.replicationFactor !== -1) {
            reject(fail(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions or replicationFactor was not set to -1.'))
            continue
          }
          placement = this.checkManualAssignment(s.assignments)
        } else {
          const count = s.numPartitions === -1 ? this.opts.defaultPartitions() : s.numPartitions
          const rf = s.replicationFactor === -1 ? this.opts.defaultReplicationFactor() : s.replicationFactor
          if (count < 1) {
            reject(fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.'))
            continue
          }
          placement = this.placeReplicas(count, rf, 0)
        }
        if (!Array.isArray(placement)) {
          reject(placement)
          continue
        }
        const configs = new Map<string, string>()
        for (const c of s.configs) if (c.value !== null) configs.set(c.name, c.value)
        const configError = this.opts.validateTopicConfigs(configs)
        if (configError) {
          reject(fail(ErrorCode.INVALID_CONFIG, configError))
          continue
        }
        const topicId = randomUuid()
        results.push({ ...ok, name: s.name, topicId, numPartitions: placement.length, replicationFactor: placement[0].length })
        collisions.set(unifyCollisionChars(s.name), s.name)
        if (validateOnly) continue
        records.push({ type: 'TopicRecord', data: { name: s.name, topicId } })
        for (const [name, value] of configs) {
          records.push({ type: 'ConfigRecord', data: { resourceType: ConfigResourceType.TOPIC, resourceName: s.name, name, value } })
        }
        placement.forEach((replicas, partitionId) => records.push(partitionRecord(topicId, partitionId, replicas)))
      }
      if (records.length > 0) await this.opts.commit(records)
      return results
    })
  }

  /** Deletes topics named by name or id; one result per request entry, in order. */
  deleteTopics(targets: Array<{ name: string | null; topicId: Uuid | null }>): Promise<Array<Failure & { name: string | null; topicId: Uuid | null }>> {
    return this.serialized(async () => {
      const records: MetadataRecord[] = []
      const results = []
      const deleting = new Set<Uuid>()
      for (const target of targets) {
        const topic = target.topicId ? this.image.topicsById.get(target.topicId) : this.image.topicsByName.get(target.name ?? '')
        if (!topic) {
          const f = target.topicId
            ? fail(ErrorCode.UNKNOWN_TOPIC_ID, 'This server does not host this topic ID.')
            : fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.')
          results.push({ ...f, name: target.name, topicId: target.topicId })
          continue
        }
        if (!this.opts.deleteTopicEnable()) {
          results.push({ ...fail(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.'), name: topic.name, topicId: topic.id })
          continue
        }
        results.push({ ...ok, name: topic.name, topicId: topic.id })
        if (deleting.has(topic.id)) continue
        deleting.add(topic.id)
        records.push({ type: 'RemoveTopicRecord', data: { topicId: topic.id } })
      }
      if (records.length > 0) await this.opts.commit(records)
      return results
    })
  }

  createPartitions(
    specs: Array<{ name: string; count: number; assignments: Array<{ brokerIds: number[] }> | null }>,
    validateOnly: boolean,
  ): Promise<Array<Failure & { name: string }>> {
    return this.serialized(async () => {
      const records: MetadataRecord[] = []
      const results: Array<Failure & { name: string }> = []
      const added = specs.reduce((n, s) => n + Math.max(0, s.count - (this.image.topicsByName.get(s.name)?.partitions.size ?? s.count)), 0)
      if (added > MAX_PARTITIONS_PER_REQUEST) return specs.map(s => ({ name: s.name, ...tooManyPartitions() }))
      for (const s of specs) {
        const topic = this.image.topicsByName.get(s.name)
        if (!topic) {
          results.push({ name: s.name, ...fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.') })
          continue
        }
        const current = topic.partitions.size
        if (s.count < current) {
          results.push({ name: s.name, ...fail(ErrorCode.INVALID_PARTITIONS, `The topic ${s.name} currently has ${current} partition(s); ${s.count} would not be an increase.`) })
          continue
        }
        if (s.count === current) {
          results.push({ name: s.name, ...fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`) })
          continue
        }
        const rf = topic.partitions.get(0)?.replicas.length ?? 1
        let placement: number[][] | Failure
        if (s.assignments) {
          if (s.assignments.length !== s.count - current) {
            results.push({
              name: s.name,
              ...fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${s.count - current} additional partition(s), but only ${s.assignments.length} assignment(s) were specified.`),
            })
            continue
          }
          placement = this.checkManualAssignment(s.assignments.map((a, i) => ({ partitionIndex: i, brokerIds: a.brokerIds })))
        } else {
          placement = this.placeReplicas(s.count - current, rf, current)
        }
        if (!Array.isArray(placement)) {
          results.push({ name: s.name, ...placement })
          continue
        }
        results.push({ name: s.name, ...ok })
        if (validateOnly) continue
        placement.forEach((replicas, i) => records.push(partitionRecord(topic.id, current + i, replicas)))
      }
      if (records.length > 0) await this.opts.commit(records)
      return results
    })
  }

  /** AlterConfigs and IncrementalAlterConfigs for topics and brokers. */
  alterConfigs(alterations: ConfigAlteration[], validateOnly: boolean): Promise<Failure[]> {
    return this.serialized(async () => {
      const records: MetadataRecord[] = []
      const results: Failure[] = []
      for (const a of alterations) {
        let current: ReadonlyMap<string, string>
        if (a.resourceType === ConfigResourceType.TOPIC) {
          if (!this.image.topicsByName.has(a.resourceName)) {
            results.push(fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${a.resourceName} does not exist.`))
            continue
          }
          current = this.image.topicConfigs(a.resourceName)
        } else if (a.resourceType === ConfigResourceType.BROKER) {
          if (a.resourceName !== '' && !/^\d+$/.test(a.resourceName)) {
            results.push(fail(ErrorCode.INVALID_REQUEST, `Broker resource name '${a.resourceName}' is not a broker id.`))
            continue
          }
          current = this.image.brokerConfigs(a.resourceName)
        } else {
          results.push(fail(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${a.resourceType}.`))
          continue
        }
        const next = new Map(a.replaceAll ? [] : current)
        let bad: Failure | null = null
        for (const c of a.changes) {
          if (c.op === 0) {
            if (c.value === null) bad = fail(ErrorCode.INVALID_REQUEST, `Null value not supported for ${c.name}`)
            else next.set(c.name, c.value)
          } else if (c.op === 1) next.delete(c.name)
          else {
            if (!LIST_CONFIGS.has(c.name)) {
              bad = fail(ErrorCode.INVALID_CONFIG, `Config ${c.name} is not a list, so APPEND and SUBTRACT do not apply to it.`)
              break
            }
            const items = (next.get(c.name) ?? '').split(',').filter(Boolean)
            const values = (c.value ?? '').split(',').filter(Boolean)
            const updated = c.op === 2 ? [...items, ...values.filter(v => !items.includes(v))] : items.filter(v => !values.includes(v))
            next.set(c.name, updated.join(','))
          }
        }
        if (!bad) {
          const err = a.resourceType === ConfigResourceType.TOPIC ? this.opts.validateTopicConfigs(next) : this.opts.validateBrokerConfigs(next)
          if (err) bad = fail(ErrorCode.INVALID_CONFIG, err)
        }
        if (bad) {
          results.push(bad)
          continue
        }
        results.push(ok)
        if (validateOnly) continue
        for (const [name, value] of next) {
          if (current.get(name) !== value) records.push(configRecord(a, name, value))
        }
        for (const name of current.keys()) if (!next.has(name)) records.push(configRecord(a, name, null))
      }
      if (records.length > 0) await this.opts.commit(records)
      return results
    })
  }

  /** Hands out the next block of producer ids (Kafka's AllocateProducerIds, blocks of 1000). */
  /**
   * AlterPartitionReassignments for one partition. This controller does not move replicas yet:
   * a target that is the current replica list is Kafka's no-op, cancelling finds nothing in
   * progress, and a bad target gets Kafka's INVALID_REPLICA_ASSIGNMENT and message.
   */
  checkReassignment(topic: string, partition: number, target: number[] | null): Failure {
    const state = this.image.partition(topic, partition)
    if (!state) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${topic}-${partition}.`)
    if (target === null) return { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: null }
    const bad = checkReplicaList(target, new Set(this.usableBrokers()))
    if (bad) return bad
    const same = target.length === state.replicas.length && target.every((b, i) => b === state.replicas[i])
    return same ? ok : fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `This cluster does not move replicas yet: ${topic}-${partition} stays on [${state.replicas.join(', ')}].`)
  }

  /**
   * ElectLeaders for one partition (type 0 preferred, 1 unclean). This controller never moves
   * leadership, so an election is not needed, or impossible because the replica to lead is away.
   */
  checkElection(topic: string, partition: number, electionType: number): Failure {
    const state = this.image.partition(topic, partition)
    if (!state) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The partition ${topic}-${partition} does not exist.`)
    if (electionType === 0) {
      if (state.leader === state.replicas[0]) return notNeeded
      return fail(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, `Failed to elect leader for partition ${topic}-${partition}: the preferred replica ${state.replicas[0]} is not available.`)
    }
    if (state.leader >= 0) return notNeeded
    return fail(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, `Failed to elect leader for partition ${topic}-${partition}: no replica is available.`)
  }

  allocateProducerIds(brokerId: number, brokerEpoch: number): Promise<{ first: number; size: number }> {
    return this.serialized(async () => {
      const first = this.image.nextProducerIdBlock
      const size = 1000
      await this.opts.commit([{ type: 'ProducerIdsRecord', data: { brokerId, brokerEpoch, nextProducerId: first + size } }])
      return { first, size }
    })
  }

  /** Registers (or re-registers) a broker and unfences it. */
  registerBroker(reg: {
    brokerId: number
    incarnationId: Uuid
    endpoints: Array<{ name: string; host: string; port: number; securityProtocol: number }>
    rack: string | null
  }): Promise<number> {
    return this.serialized(async () => {
      const epoch = this.image.lastOffset + 1
      await this.opts.commit([
        {
          type: 'RegisterBrokerRecord',
          data: {
            brokerId: reg.brokerId,
            incarnationId: reg.incarnationId,
            brokerEpoch: epoch,
            endPoints: reg.endpoints,
            features: [],
            rack: reg.rack,
            fenced: false,
          },
        },
      ])
      return epoch
    })
  }

  /** Writes feature levels (metadata.version) that are not yet set. */
  ensureFeatures(levels: Record<string, number>): Promise<void> {
    return this.serialized(async () => {
      const records: MetadataRecord[] = []
      for (const [name, level] of Object.entries(levels)) {
        if (this.image.features.get(name) !== level) records.push({ type: 'FeatureLevelRecord', data: { name, featureLevel: level } })
      }
      if (records.length > 0) await this.opts.commit(records)
    })
  }
}

function partitionRecord(topicId: Uuid, partitionId: number, replicas: number[]): MetadataRecord {
  return {
    type: 'PartitionRecord',
    data: {
      partitionId,
      topicId,
      replicas,
      isr: [...replicas],
      removingReplicas: [],
      addingReplicas: [],
      leader: replicas[0],
      leaderEpoch: 0,
      partitionEpoch: 0,
    },
  }
}

function configRecord(a: ConfigAlteration, name: string, value: string | null): MetadataRecord {
  return { type: 'ConfigRecord', data: { resourceType: a.resourceType, resourceName: a.resourceName, name, value } }
}

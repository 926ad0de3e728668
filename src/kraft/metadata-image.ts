// The cluster as every node sees it: the result of replaying __cluster_metadata. Records are
// applied in log order; listeners hear about each change so the broker side can act on it
// (create a partition's log, delete a topic's data, step up as leader).

import type { Uuid } from '../wire/index.js'
import type { MetadataRecord } from './metadata-record.js'

export const ConfigResourceType = { TOPIC: 2, BROKER: 4 } as const

export interface PartitionState {
  readonly topicId: Uuid
  readonly topicName: string
  readonly partition: number
  replicas: number[]
  isr: number[]
  leader: number
  leaderEpoch: number
  partitionEpoch: number
}

export interface TopicImage {
  readonly name: string
  readonly id: Uuid
  readonly partitions: Map<number, PartitionState>
}

export interface BrokerEndpoint {
  name: string
  host: string
  port: number
  securityProtocol: number
}

export interface BrokerRegistration {
  id: number
  epoch: number
  incarnationId: Uuid
  endpoints: BrokerEndpoint[]
  rack: string | null
  fenced: boolean
}

export type ImageChange =
  | { kind: 'topic-created'; topic: TopicImage }
  | { kind: 'topic-deleted'; topic: TopicImage }
  | { kind: 'partition-changed'; partition: PartitionState; created: boolean }
  | { kind: 'config-changed'; resourceType: number; resourceName: string; key: string }
  | { kind: 'broker-changed'; brokerId: number }

export class MetadataImage {
  readonly topicsByName = new Map<string, TopicImage>()
  readonly topicsById = new Map<Uuid, TopicImage>()
  readonly brokers = new Map<number, BrokerRegistration>()
  /** Dynamic configs by resource: `${type}:${name}` → key → value. */
  private readonly configs = new Map<string, Map<string, string>>()
  readonly features = new Map<string, number>()
  /** The first producer id not yet handed out in a block. */
  nextProducerIdBlock = 0
  /** Offset of the last record applied, -1 before any. */
  lastOffset = -1
  private readonly listeners: Array<(c: ImageChange) => void> = []

  onChange(fn: (c: ImageChange) => void): void {
    this.listeners.push(fn)
  }

  private emit(c: ImageChange): void {
    for (const fn of this.listeners) fn(c)
  }

  topicConfigs(name: string): ReadonlyMap<string, string> {
    return this.configs.get(`${ConfigResourceType.TOPIC}:${name}`) ?? new Map()
  }

  /** Dynamic broker configs: resourceName '' is the cluster-wide default, 'N' is node N. */
  brokerConfigs(resourceName: string): ReadonlyMap<string, string> {
    return this.configs.get(`${ConfigResourceType.BROKER}:${resourceName}`) ?? new Map()
  }

  partition(topic: string, partition: number): PartitionState | undefined {
    return this.topicsByName.get(topic)?.partitions.get(partition)
  }

  apply(rec: MetadataRecord, offset: number): void {
    this.lastOffset = offset
    switch (rec.type) {
      case 'TopicRecord': {
        const t: TopicImage = { name: rec.data.name, id: rec.data.topicId, partitions: new Map() }
        this.topicsByName.set(t.name, t)
        this.topicsById.set(t.id, t)
        this.emit({ kind: 'topic-created', topic: t })
        return
      }
      case 'PartitionRecord': {
        const d = rec.data
        const t = this.topicsById.get(d.topicId)
        if (!t) return
        const p: PartitionState = {
          topicId: t.id,
          topicName: t.name,
          partition: d.partitionId,
          replicas: d.replicas,
          isr: d.isr,
          leader: d.leader,
          leaderEpoch: d.leaderEpoch,
          partitionEpoch: d.partitionEpoch,
        }
        t.partitions.set(p.partition, p)
        this.emit({ kind: 'partition-changed', partition: p, created: true })
        return
      }
      case 'PartitionChangeRecord': {
        const d = rec.data
        const p = this.topicsById.get(d.topicId)?.partitions.get(d.partitionId)
        if (!p) return
        if (d.isr != null) p.isr = d.isr
        if (d.replicas != null) p.replicas = d.replicas
        // Leader -2 means "unchanged"; any leader change (or a change of replicas) bumps the epoch.
        const leader = d.leader ?? -2
        if (leader !== -2) {
          p.leader = leader
          p.leaderEpoch += 1
        }
        p.partitionEpoch += 1
        this.emit({ kind: 'partition-changed', partition: p, created: false })
        return
      }
      case 'RemoveTopicRecord': {
        const t = this.topicsById.get(rec.data.topicId)
        if (!t) return
        this.topicsById.delete(t.id)
        this.topicsByName.delete(t.name)
        this.configs.delete(`${ConfigResourceType.TOPIC}:${t.name}`)
        this.emit({ kind: 'topic-deleted', topic: t })
        return
      }
      case 'ConfigRecord': {
        const d = rec.data
        const key = `${d.resourceType}:${d.resourceName}`
        let m = this.configs.get(key)
        if (!m) this.configs.set(key, (m = new Map()))
        if (d.value == null) m.delete(d.name)
        else m.set(d.name, d.value)
        this.emit({ kind: 'config-changed', resourceType: d.resourceType, resourceName: d.resourceName, key: d.name })
        return
      }
      case 'RegisterBrokerRecord': {
        const d = rec.data
        this.brokers.set(d.brokerId, {
          id: d.brokerId,
          epoch: d.brokerEpoch,
          incarnationId: d.incarnationId,
          endpoints: d.endPoints.map(e => ({ name: e.name, host: e.host, port: e.port, securityProtocol: e.securityProtocol })),
          rack: d.rack,
          fenced: d.fenced ?? true,
        })
        this.emit({ kind: 'broker-changed', brokerId: d.brokerId })
        return
      }
      case 'UnregisterBrokerRecord':
        this.brokers.delete(rec.data.brokerId)
        this.emit({ kind: 'broker-changed', brokerId: rec.data.brokerId })
        return
      case 'FenceBrokerRecord':
      case 'UnfenceBrokerRecord': {
        const b = this.brokers.get(rec.data.id)
        if (b) b.fenced = rec.type === 'FenceBrokerRecord'
        this.emit({ kind: 'broker-changed', brokerId: rec.data.id })
        return
      }
      case 'FeatureLevelRecord':
        if (rec.data.featureLevel === 0) this.features.delete(rec.data.name)
        else this.features.set(rec.data.name, rec.data.featureLevel)
        return
      case 'ProducerIdsRecord':
        this.nextProducerIdBlock = rec.data.nextProducerId
        return
      case 'NoOpRecord':
      case 'Unhandled':
        return
    }
  }

  /** Every record needed to rebuild this image from nothing: the body of a snapshot. */
  toRecords(): MetadataRecord[] {
    const out: MetadataRecord[] = []
    for (const [name, level] of this.features) out.push({ type: 'FeatureLevelRecord', data: { name, featureLevel: level } })
    for (const b of this.brokers.values()) {
      out.push({
        type: 'RegisterBrokerRecord',
        data: {
          brokerId: b.id,
          incarnationId: b.incarnationId,
          brokerEpoch: b.epoch,
          endPoints: b.endpoints,
          features: [],
          rack: b.rack,
          fenced: b.fenced,
        },
      })
    }
    for (const t of this.topicsByName.values()) {
      out.push({ type: 'TopicRecord', data: { name: t.name, topicId: t.id } })
      for (const p of t.partitions.values()) {
        out.push({
          type: 'PartitionRecord',
          data: {
            partitionId: p.partition,
            topicId: t.id,
            replicas: p.replicas,
            isr: p.isr,
            removingReplicas: [],
            addingReplicas: [],
            leader: p.leader,
            leaderEpoch: p.leaderEpoch,
            partitionEpoch: p.partitionEpoch,
          },
        })
      }
    }
    for (const [key, m] of this.configs) {
      const sep = key.indexOf(':')
      const resourceType = Number(key.slice(0, sep))
      const resourceName = key.slice(sep + 1)
      for (const [name, value] of m) out.push({ type: 'ConfigRecord', data: { resourceType, resourceName, name, value } })
    }
    if (this.nextProducerIdBlock > 0) {
      out.push({ type: 'ProducerIdsRecord', data: { brokerId: -1, brokerEpoch: -1, nextProducerId: this.nextProducerIdBlock } })
    }
    return out
  }
}

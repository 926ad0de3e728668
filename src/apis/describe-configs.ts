// DescribeConfigs (key 32): topic and broker configurations with their sources, synonyms,
// types and documentation, as Kafka's ConfigHelper reports them.

import { ApiKey, ErrorCode, type DescribeConfigsRequest, type DescribeConfigsResponse } from '../wire/index.js'
import { ConfigResourceType, invalidTopicNameReason, type MetadataImage } from '../kraft/index.js'
import { ConfigError, ConfigSource, resolveTopicConfig, type BrokerConfig, type ConfigEntry } from '../config/index.js'
import { defineHandler, type RequestContext } from './handler.js'

export interface DescribeConfigsDeps {
  image: MetadataImage
  /** This node's effective configuration, including the dynamic configs in the metadata image. */
  brokerConfig: () => BrokerConfig
  nodeId: number
}

/** Kafka's ConfigResource.Type ids. */
export const ResourceType = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16, GROUP: 32 } as const

const RESOURCE_TYPE_NAMES: Record<number, string> = { 2: 'TOPIC', 4: 'BROKER', 8: 'BROKER_LOGGER', 16: 'CLIENT_METRICS', 32: 'GROUP' }

export function resourceTypeName(t: number): string {
  return RESOURCE_TYPE_NAMES[t] ?? 'UNKNOWN'
}

/** A per-resource failure: the Kafka error code and message the resource's result carries. */
export class ResourceError extends Error {
  constructor(
    readonly errorCode: number,
    readonly messageOrNull: string | null,
  ) {
    super(messageOrNull ?? '')
    this.name = 'ResourceError'
  }
}

/** The DescribeConfigs entries of every config of an existing topic, sorted by name. */
export function topicConfigEntries(image: MetadataImage, topic: string, broker: BrokerConfig): readonly ConfigEntry[] {
  return resolveTopicConfig(image.topicConfigs(topic), broker).entries
}

/**
 * The broker entries Kafka reports for the cluster-wide default resource (name ''): only the
 * keys with a dynamic cluster default, valued as that default, with only the
 * dynamic-default synonyms.
 */
export function clusterDefaultEntries(broker: BrokerConfig): ConfigEntry[] {
  const defaults = broker.dynamicConfigs.clusterDefault
  return broker.describe([...defaults.keys()]).map(e => {
    const synonyms = e.synonyms.filter(s => s.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
    const source = synonyms.length > 0 ? synonyms[0].source : ConfigSource.DEFAULT_CONFIG
    return {
      ...e,
      value: e.isSensitive ? null : (defaults.get(e.name)?.trim() ?? null),
      source,
      isDefault: source === ConfigSource.DEFAULT_CONFIG,
      synonyms,
    }
  })
}

/** Parses a BROKER resource name as Kafka does; throws ResourceError with Kafka's text. */
export function brokerIdOf(resourceName: string, what: 'Broker id' | 'Node id'): number {
  if (!/^[+-]?\d+$/.test(resourceName) || !Number.isSafeInteger(Number(resourceName))) {
    throw new ResourceError(ErrorCode.INVALID_REQUEST, `${what} must be an integer, but it is: ${resourceName}`)
  }
  return Number(resourceName)
}

export function describeConfigsHandler(d: DescribeConfigsDeps) {
  return defineHandler({
    apiKey: ApiKey.DescribeConfigs,
    minVersion: 0,
    maxVersion: 4,
    handle(req: DescribeConfigsRequest, ctx: RequestContext): DescribeConfigsResponse {
      const v = ctx.apiVersion
      const includeSynonyms = v >= 1 && req.includeSynonyms === true
      const includeDocumentation = v >= 3 && req.includeDocumentation === true
      const broker = d.brokerConfig()

      const toWire = (e: ConfigEntry): DescribeConfigsResponse.DescribeConfigsResourceResult => ({
        name: e.name,
        value: e.isSensitive ? null : e.value,
        readOnly: e.readOnly,
        isDefault: v === 0 ? e.isDefault : undefined,
        configSource: v >= 1 ? e.source : undefined,
        isSensitive: e.isSensitive,
        synonyms: includeSynonyms ? e.synonyms.map(s => ({ name: s.name, value: e.isSensitive ? null : s.value, source: s.source })) : [],
        configType: v >= 3 ? e.configTypeId : undefined,
        documentation: v >= 3 ? (includeDocumentation ? e.documentation : null) : undefined,
      })

      const entriesFor = (r: DescribeConfigsRequest.DescribeConfigsResource): readonly ConfigEntry[] => {
        switch (r.resourceType) {
          case ConfigResourceType.TOPIC: {
            const invalid = invalidTopicNameReason(r.resourceName)
            if (invalid) throw new ResourceError(ErrorCode.INVALID_TOPIC_EXCEPTION, invalid)
            if (!d.image.topicsByName.has(r.resourceName)) throw new ResourceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null)
            return topicConfigEntries(d.image, r.resourceName, broker)
          }
          case ConfigResourceType.BROKER: {
            if (r.resourceName === '') return clusterDefaultEntries(broker)
            if (brokerIdOf(r.resourceName, 'Broker id') === d.nodeId) return broker.describe()
            throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${d.nodeId} or empty string, but received ${r.resourceName}`)
          }
          default:
            throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${resourceTypeName(r.resourceType)}`)
        }
      }

      const results = req.resources.map((r): DescribeConfigsResponse.DescribeConfigsResult => {
        const base = { resourceType: r.resourceType, resourceName: r.resourceName }
        try {
          // null or empty means every key.
          const keys = r.configurationKeys && r.configurationKeys.length > 0 ? new Set(r.configurationKeys) : null
          const entries = entriesFor(r).filter(e => keys === null || keys.has(e.name))
          return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: entries.map(toWire) }
        } catch (e) {
          if (e instanceof ResourceError) return { ...base, errorCode: e.errorCode, errorMessage: e.messageOrNull, configs: [] }
          if (e instanceof ConfigError) return { ...base, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: e.message, configs: [] }
          throw e
        }
      })
      return { throttleTimeMs: 0, results }
    },
  })
}

// The public face of src/config: broker and topic configuration with Kafka's names.
export {
  BrokerConfig,
  configKeyToEnvVar,
  createBrokerConfig,
  envVarToConfigKey,
  invalidValueMessage,
  loadBrokerConfig,
  parseConfigArgs,
  validateBrokerConfigs,
  ENV_PREFIX,
  RESERVED_ENV_VARS,
  type ConfigArgs,
  type ConfigOrigin,
  type ConfigValidation,
  type DynamicConfigs,
  type LoadOptions,
  type StaticSetting,
} from './broker-config.js'
export {
  BROKER_CONFIGS,
  BROKER_CONFIG_NAMES,
  DEFAULT_SECURITY_PROTOCOL_MAP,
  brokerConfigDef,
  brokerSynonyms,
  isBrokerConfigName,
  isPassThroughKey,
  type BrokerConfigName,
  type BrokerConfigValue,
} from './definitions.js'
export { ConfigError, INVALID_CONFIG_ERROR_CODE, suggestName, unknownConfigMessage, type ConfigIssue } from './errors.js'
export {
  formatListener,
  parseHostPorts,
  parseListeners,
  parseQuorumVoters,
  parseSecurityProtocolMap,
  SECURITY_PROTOCOLS,
  type HostPort,
  type Listener,
  type QuorumVoter,
  type SecurityProtocol,
} from './listeners.js'
export { parseProperties, parsePropertyEntries, type PropertyEntry } from './properties.js'
export {
  CONFIG_TYPE_ID,
  ConfigDef,
  ConfigSource,
  JAVA_LONG_MAX_TEXT,
  LONG_MAX,
  type ConfigEntry,
  type ConfigSourceId,
  type ConfigSynonymEntry,
  type ConfigType,
  type UpdateMode,
} from './schema.js'
export { resolveTopicConfig, validateTopicConfigs, type EffectiveTopicConfig, type ResolvedTopicConfig } from './topic-config.js'
export {
  TOPIC_CONFIGS,
  TOPIC_CONFIG_NAMES,
  isTopicConfigName,
  topicConfigDef,
  topicConfigForBrokerSynonym,
  type TopicConfigName,
  type TopicConfigValue,
} from './topic-definitions.js'

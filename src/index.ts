// Millrace as a library: `import { startBroker } from 'millrace'`.
export { startBroker, type BrokerOptions, type RunningBroker } from './broker/index.js'
export { loadBrokerConfig, createBrokerConfig, ConfigError } from './config/index.js'

// Millrace as a library: `import { startBroker } from 'millrace'`.
export { startBroker, type BrokerOptions, type RunningBroker } from './broker.js'

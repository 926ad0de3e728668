export { startBroker, type BrokerOptions, type RunningBroker } from './start-broker.js'

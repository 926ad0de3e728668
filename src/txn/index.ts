export { ProducerIdManager } from './producer-id-manager.js'

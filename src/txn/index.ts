// The public face of src/txn: producer ids and the transaction coordinator.
export { ProducerIdManager } from './producer-id-manager.js'
export { TransactionCoordinator, type DescribedTransaction, type InitProducerIdResult, type ListedTransaction, type ProducerIdAndEpoch } from './coordinator.js'
export type { TransactionCoordinatorDeps, TxnMarkerRequest, TxnMarkerWriter, TxnReplicaAccess } from './deps.js'
export { TXN_STATE_NAMES, TxnState, type TopicPartition } from './metadata.js'
export { TRANSACTION_STATE_TOPIC, decodeTxnKey, decodeTxnValue } from './records.js'

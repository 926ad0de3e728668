export { ReplicaManager, type FetchParams, type FetchPartitionResult, type FetchTarget, type ProduceEntry, type ProduceResult, type TxnVerifier } from './replica-manager.js'
export { Partition, type AppendResult } from './partition.js'
export { Purgatory, type DelayedOperation } from './purgatory.js'
export { FetchSessionCache, FetchSession, FINAL_EPOCH, INITIAL_EPOCH, type SessionPartition } from './fetch-sessions.js'

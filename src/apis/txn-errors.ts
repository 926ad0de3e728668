// Errors of the transaction APIs as each version can say them: PRODUCER_FENCED (KIP-588) is only
// understood from InitProducerId v4, AddPartitionsToTxn/AddOffsetsToTxn/EndTxn v2; older versions
// get INVALID_PRODUCER_EPOCH, which their clients handle the same way (Kafka does this too).

import { ErrorCode } from '../wire/index.js'

export function fencedErrorFor(code: number, version: number, firstVersionWithFenced: number): number {
  return code === ErrorCode.PRODUCER_FENCED && version < firstVersionWithFenced ? ErrorCode.INVALID_PRODUCER_EPOCH : code
}

// The records of __transaction_state in Kafka's formats (TransactionLogKey v0, TransactionLogValue
// v0/v1), so the log reads the same to Kafka's tools. Key and value each start with an int16
// version; a null value is a tombstone (the transactional id expired).

import { Reader, TransactionLogKeySchema, TransactionLogValueSchema, Writer, type TransactionLogValue } from '../wire/index.js'

export const TRANSACTION_STATE_TOPIC = '__transaction_state'

/** Kafka 3.x writes value v0 unless the client uses transaction version 2 (Millrace does not offer it). */
const VALUE_VERSION = 0

export function encodeTxnKey(transactionalId: string): Buffer {
  const w = new Writer(32)
  w.int16(0)
  TransactionLogKeySchema.write(w, 0, { transactionalId })
  return Buffer.from(w.toBuffer())
}

export function decodeTxnKey(buf: Buffer): string {
  const r = new Reader(buf)
  const version = r.int16()
  if (version !== 0) throw new Error(`unknown transaction log key version ${version}`)
  return TransactionLogKeySchema.read(r, 0).transactionalId
}

export function encodeTxnValue(v: TransactionLogValue): Buffer {
  const w = new Writer(64)
  w.int16(VALUE_VERSION)
  TransactionLogValueSchema.write(w, VALUE_VERSION, v)
  return Buffer.from(w.toBuffer())
}

export function decodeTxnValue(buf: Buffer): TransactionLogValue {
  const r = new Reader(buf)
  const version = r.int16()
  if (version < TransactionLogValueSchema.minVersion || version > TransactionLogValueSchema.maxVersion) throw new Error(`unknown transaction log value version ${version}`)
  return TransactionLogValueSchema.read(r, version)
}

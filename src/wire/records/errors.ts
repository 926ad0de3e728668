/**
 * Errors raised by the record-batch codecs. Each carries the Kafka error code a
 * broker should answer with when the bad bytes came from a client.
 */

/** The Kafka error codes this folder produces (values from Kafka's `Errors`). */
export const RecordErrorCode = {
  /** CORRUPT_MESSAGE: bad CRC, impossible length, unknown magic, undecompressable payload. */
  CorruptMessage: 2,
  /** MESSAGE_TOO_LARGE: the batch is larger than the configured maximum. */
  MessageTooLarge: 10,
  /** UNSUPPORTED_FOR_MESSAGE_FORMAT: a v0/v1 message set where only v2 batches are accepted. */
  UnsupportedForMessageFormat: 43,
  /** INVALID_RECORD: the batch is intact but its contents break a rule (counts, deltas, record layout). */
  InvalidRecord: 87,
} as const

export class RecordBatchError extends Error {
  /** The Kafka error code to report (see {@link RecordErrorCode}). */
  readonly errorCode: number
  /** Which batch of a produced record set broke the rule, when the check knew. */
  readonly batchIndex?: number

  constructor(message: string, errorCode: number, batchIndex?: number) {
    super(message)
    this.name = 'RecordBatchError'
    this.errorCode = errorCode
    if (batchIndex !== undefined) this.batchIndex = batchIndex
  }
}

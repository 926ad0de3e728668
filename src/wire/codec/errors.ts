/** Thrown when bytes on the wire do not form a valid message (truncated, bad length, bad varint). */
export class DecodeError extends Error {
  override name = 'DecodeError'
}

/** Thrown when a message cannot be encoded at the requested version (a field the version lacks). */
export class EncodeError extends Error {
  override name = 'EncodeError'
}

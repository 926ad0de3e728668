// Which partition of an internal topic holds a key (a group in __consumer_offsets, a transactional
// id in __transaction_state): Kafka's Utils.abs(key.hashCode()) % count,
// with Java's String.hashCode over UTF-16 code units (JavaScript strings are UTF-16 too).

/** Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1], in 32-bit two's complement. */
export function javaStringHashCode(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0
  return h
}

/** Kafka's Utils.abs: Math.abs, except that Integer.MIN_VALUE maps to 0. */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n)
}

/** The partition of `key` (a group id, a transactional id) among `partitionCount`. */
export function partitionForKey(key: string, partitionCount: number): number {
  return kafkaAbs(javaStringHashCode(key)) % partitionCount
}

export const partitionForGroup = partitionForKey

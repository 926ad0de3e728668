// Small pieces shared by the group API handlers.

/** Kafka shows a member's host as Java's InetAddress.toString: "/127.0.0.1". */
export function clientHostOf(clientAddress: string): string {
  let host = clientAddress
  const colon = host.lastIndexOf(':')
  if (colon > 0) host = host.slice(0, colon)
  if (host.startsWith('::ffff:') && host.includes('.')) host = host.slice(7)
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  return `/${host}`
}

// AclOperation codes (Kafka): READ 3, DELETE 6, DESCRIBE 8 are the operations on a group.
/** With no authorizer every group operation is allowed. */
export const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8)

/** The per-partition answer of OffsetCommit and TxnOffsetCommit: `codes` in request order. */
export function partitionErrors(topics: Array<{ name: string; partitions: Array<{ partitionIndex: number }> }>, codes: number[]) {
  let i = 0
  return topics.map(t => ({ name: t.name, partitions: t.partitions.map(p => ({ partitionIndex: p.partitionIndex, errorCode: codes[i++]! })) }))
}

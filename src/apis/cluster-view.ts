// Shared pieces of the answers that describe the cluster (Metadata, DescribeCluster).

import type { MetadataImage } from '../kraft/index.js'

/** Kafka's "not requested" value for authorized-operation bitfields. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648

// AclOperation codes (Kafka): READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8,
// CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12.
// With no authorizer every operation is allowed.
const bits = (ops: number[]): number => ops.reduce((acc, op) => acc | (1 << op), 0)
export const TOPIC_OPERATIONS = bits([3, 4, 5, 6, 7, 8, 10, 11])
export const CLUSTER_OPERATIONS = bits([5, 7, 8, 9, 10, 11, 12])

/** Live brokers with their endpoint on the listener the request came in on. */
export function brokerList(image: MetadataImage, listenerName: string): Array<{ nodeId: number; host: string; port: number; rack: string | null }> {
  const out = []
  for (const b of [...image.brokers.values()].sort((x, y) => x.id - y.id)) {
    if (b.fenced) continue
    const ep = b.endpoints.find(e => e.name === listenerName) ?? b.endpoints[0]
    if (!ep) continue
    out.push({ nodeId: b.id, host: ep.host, port: ep.port, rack: b.rack })
  }
  return out
}

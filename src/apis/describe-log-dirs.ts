// DescribeLogDirs (key 35): the data directories of this node, with the size and lag of each
// partition replica in them.

import { ApiKey, ErrorCode, type DescribeLogDirsRequest, type DescribeLogDirsResponse } from '../wire/index.js'
import { defineHandler, type RequestContext } from './handler.js'

/** One data directory as storage sees it. */
export interface LogDirDescription {
  /** Absolute path. */
  path: string
  /** NONE, or KAFKA_STORAGE_ERROR for a directory that is offline. */
  errorCode?: number
  partitions: Array<{
    topic: string
    partition: number
    /** Bytes of all its segment files. */
    size: number
    /** High watermark minus log end offset (current replicas), or the lag behind the current replica (future replicas). */
    offsetLag: number
    /** A replica being moved here by AlterReplicaLogDirs. */
    isFuture: boolean
  }>
  /** Size of the volume the directory is on, or -1 when unknown. */
  totalBytes: number
  /** Free space usable on that volume, or -1 when unknown. */
  usableBytes: number
}

/** What DescribeLogDirs needs from storage. */
export interface LogDirsSource {
  describeLogDirs(): LogDirDescription[] | Promise<LogDirDescription[]>
}

export interface DescribeLogDirsDeps {
  logDirs: LogDirsSource
}

export function describeLogDirsHandler(d: DescribeLogDirsDeps) {
  return defineHandler({
    apiKey: ApiKey.DescribeLogDirs,
    minVersion: 0,
    maxVersion: 4,
    async handle(req: DescribeLogDirsRequest, _ctx: RequestContext): Promise<DescribeLogDirsResponse> {
      // null means every partition; otherwise only those listed.
      const wanted = req.topics === null ? null : new Set(req.topics.flatMap(t => t.partitions.map(p => `${t.topic}\u0000${p}`)))
      const dirs = await d.logDirs.describeLogDirs()
      const results = dirs.map((dir): DescribeLogDirsResponse.DescribeLogDirsResult => {
        const byTopic = new Map<string, DescribeLogDirsResponse.DescribeLogDirsPartition[]>()
        for (const p of dir.partitions) {
          if (wanted && !wanted.has(`${p.topic}\u0000${p.partition}`)) continue
          let list = byTopic.get(p.topic)
          if (!list) byTopic.set(p.topic, (list = []))
          list.push({ partitionIndex: p.partition, partitionSize: p.size, offsetLag: p.offsetLag, isFutureKey: p.isFuture })
        }
        const errorCode = dir.errorCode ?? ErrorCode.NONE
        return {
          errorCode,
          logDir: dir.path,
          topics: [...byTopic]
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([name, partitions]) => ({ name, partitions: partitions.sort((a, b) => a.partitionIndex - b.partitionIndex) })),
          totalBytes: errorCode === ErrorCode.NONE ? dir.totalBytes : -1,
          usableBytes: errorCode === ErrorCode.NONE ? dir.usableBytes : -1,
        }
      })
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results }
    },
  })
}

// __cluster_metadata-0: the log every node replays into its MetadataImage. On a single node this
// node is the only voter, so a record is committed once it is appended and fsynced; the Raft
// quorum of a multi-node cluster replaces `commit` without changing how the image is built.

import { buildBatchSync, decodeBatchRecordsSync, isControlBatch, splitBatches } from '../wire/index.js'
import type { Log } from '../storage/index.js'
import type { Logger } from '../util/index.js'
import type { MetadataImage } from './metadata-image.js'
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from './metadata-record.js'
import { deleteSnapshot, listSnapshots, readSnapshot, writeSnapshot } from './snapshot-file.js'

export const METADATA_TOPIC = '__cluster_metadata'
/** A snapshot is taken once this many records were applied since the last one. */
const DEFAULT_SNAPSHOT_EVERY = 20_000
const READ_CHUNK = 4 * 1024 * 1024

export class MetadataLog {
  /** The single voter's epoch. */
  readonly epoch = 1
  private sinceSnapshot = 0
  private lastSnapshotEnd = 0

  constructor(
    private readonly log: Log,
    private readonly image: MetadataImage,
    private readonly logger: Logger,
    private readonly snapshotEvery = DEFAULT_SNAPSHOT_EVERY,
  ) {}

  /** Rebuilds the image: the newest complete snapshot, then the log after it. */
  async replay(): Promise<void> {
    const started = Date.now()
    let from = this.log.logStartOffset
    for (const id of (await listSnapshots(this.log.dir)).reverse()) {
      const records = await readSnapshot(this.log.dir, id)
      if (!records) {
        this.logger.warn(`ignoring incomplete metadata snapshot at offset ${id.endOffset}`)
        continue
      }
      records.forEach(r => this.image.apply(r, id.endOffset - 1))
      from = Math.max(from, id.endOffset)
      this.lastSnapshotEnd = id.endOffset
      break
    }
    let applied = 0
    while (from < this.log.logEndOffset) {
      const { records } = await this.log.read(from, READ_CHUNK, this.log.logEndOffset, true)
      if (records.length === 0) break
      for (const slice of splitBatches(records)) {
        const h = slice.header
        if (h.baseOffset + h.lastOffsetDelta < from) continue
        if (!isControlBatch(h.attributes)) {
          for (const rec of decodeBatchRecordsSync(records, slice)) {
            if (rec.offset < from || !rec.value) continue
            this.image.apply(decodeMetadataRecord(rec.value), rec.offset)
            applied++
          }
        }
        from = h.baseOffset + h.lastOffsetDelta + 1
      }
    }
    this.sinceSnapshot = applied
    this.log.updateHighWatermark(this.log.logEndOffset)
    this.logger.info(`metadata replayed to offset ${this.image.lastOffset} (${applied} records after the snapshot) in ${Date.now() - started} ms`)
  }

  /** Appends the records as one batch (so they apply all or nothing), fsyncs, then applies them. */
  async commit(records: MetadataRecord[]): Promise<void> {
    const batch = buildBatchSync({ records: records.map(r => ({ key: null, value: encodeMetadataRecord(r) })) })
    const info = await this.log.appendAsLeader(batch, this.epoch)
    await this.log.flush()
    // Durable on the only voter: committed. The high watermark is the commit point.
    this.log.updateHighWatermark(this.log.logEndOffset)
    records.forEach((r, i) => this.image.apply(r, info.firstOffset + i))
    this.sinceSnapshot += records.length
    if (this.sinceSnapshot >= this.snapshotEvery) await this.snapshot()
  }

  /** Writes the image as a snapshot and drops the log and snapshots it makes redundant. */
  async snapshot(): Promise<void> {
    const endOffset = this.image.lastOffset + 1
    if (endOffset <= this.lastSnapshotEnd) return
    const previous = await listSnapshots(this.log.dir)
    await writeSnapshot(this.log.dir, { endOffset, epoch: this.epoch }, this.image.toRecords())
    this.lastSnapshotEnd = endOffset
    this.sinceSnapshot = 0
    for (const id of previous) if (id.endOffset < endOffset) await deleteSnapshot(this.log.dir, id)
    await this.log.deleteRecordsBefore(endOffset)
  }

  get snapshotEnd(): number {
    return this.lastSnapshotEnd
  }
}

// Metadata snapshots: `<endOffset 20 digits>-<epoch 10 digits>.checkpoint` in __cluster_metadata-0,
// holding record batches as Kafka writes them: a control batch with a SnapshotHeaderRecord, the
// image as metadata records, and a control batch with a SnapshotFooterRecord. A file without its
// footer (a crash while writing) is ignored.

import { open, readdir, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import {
  buildBatchSync,
  ControlRecordType,
  decodeBatchRecordsSync,
  encodeControlRecordKey,
  decodeControlRecordKey,
  isControlBatch,
  scanBatches,
  SnapshotFooterRecordSchema,
  SnapshotHeaderRecordSchema,
  Writer,
} from '../wire/index.js'
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from './metadata-record.js'

export interface SnapshotId {
  endOffset: number
  epoch: number
}

const NAME = /^(\d{20})-(\d{10})\.checkpoint$/
const RECORDS_PER_BATCH = 1000

export function snapshotFileName(id: SnapshotId): string {
  return `${String(id.endOffset).padStart(20, '0')}-${String(id.epoch).padStart(10, '0')}.checkpoint`
}

export async function listSnapshots(dir: string): Promise<SnapshotId[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return []
  }
  return names
    .map(n => NAME.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(m => ({ endOffset: Number(m[1]), epoch: Number(m[2]) }))
    .sort((a, b) => a.endOffset - b.endOffset)
}

function encodeData<T>(schema: { write(w: Writer, v: number, m: T): void; maxVersion: number }, m: T): Buffer {
  const w = new Writer(32)
  schema.write(w, schema.maxVersion, m)
  return w.toBuffer()
}

/** Writes a snapshot atomically (temp file, fsync, rename). */
export async function writeSnapshot(dir: string, id: SnapshotId, records: MetadataRecord[]): Promise<void> {
  const now = Date.now()
  const batches: Buffer[] = []
  let offset = 0
  const control = (type: number, value: Buffer): Buffer =>
    buildBatchSync({ baseOffset: offset++, partitionLeaderEpoch: id.epoch, control: true, records: [{ key: encodeControlRecordKey(type), value, timestamp: now }] })
  batches.push(control(ControlRecordType.SnapshotHeader, encodeData(SnapshotHeaderRecordSchema, { version: 0, lastContainedLogTimestamp: now })))
  for (let i = 0; i < records.length; i += RECORDS_PER_BATCH) {
    const chunk = records.slice(i, i + RECORDS_PER_BATCH)
    batches.push(
      buildBatchSync({
        baseOffset: offset,
        partitionLeaderEpoch: id.epoch,
        records: chunk.map(r => ({ key: null, value: encodeMetadataRecord(r), timestamp: now })),
      }),
    )
    offset += chunk.length
  }
  batches.push(control(ControlRecordType.SnapshotFooter, encodeData(SnapshotFooterRecordSchema, { version: 0 })))
  const final = join(dir, snapshotFileName(id))
  const tmp = `${final}.part`
  const fh = await open(tmp, 'w')
  try {
    await fh.writev(batches)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, final)
}

/** Reads a snapshot's records, or null when the file is incomplete or corrupt. */
export async function readSnapshot(dir: string, id: SnapshotId): Promise<MetadataRecord[] | null> {
  const buf = await readFile(join(dir, snapshotFileName(id)))
  const scan = scanBatches(buf)
  if (scan.stopReason || scan.batches.length < 2) return null
  const last = scan.batches[scan.batches.length - 1]
  const footer = decodeBatchRecordsSync(buf, last)
  if (!isControlBatch(last.header.attributes) || decodeControlRecordKey(footer[0]?.key ?? null).type !== ControlRecordType.SnapshotFooter) return null
  const out: MetadataRecord[] = []
  for (const slice of scan.batches) {
    if (isControlBatch(slice.header.attributes)) continue
    for (const rec of decodeBatchRecordsSync(buf, slice)) if (rec.value) out.push(decodeMetadataRecord(rec.value))
  }
  return out
}

export async function deleteSnapshot(dir: string, id: SnapshotId): Promise<void> {
  await unlink(join(dir, snapshotFileName(id))).catch(() => undefined)
}

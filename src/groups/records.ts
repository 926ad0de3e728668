// The records of __consumer_offsets in Kafka's formats, so the log is readable by Kafka's tools and
// the other way round. Key: int16 version (0/1 offset commit, 2 group metadata, 3+ records of newer
// group types that the classic coordinator skips) then the key body; value: int16 version then the
// body; a null value is a tombstone.

import {
  GroupMetadataKeySchema,
  GroupMetadataValueSchema,
  OffsetCommitKeySchema,
  OffsetCommitValueSchema,
  Reader,
  Writer,
  type GroupMetadataValue,
  type SchemaCodec,
} from '../wire/index.js'

export const OFFSETS_TOPIC = '__consumer_offsets'

/** Key versions of the two record kinds this coordinator writes. */
export const OFFSET_COMMIT_KEY_VERSION = 1
export const GROUP_METADATA_KEY_VERSION = 2
/** GroupMetadataValue v3 carries static members' group.instance.id (Kafka 2.3+). */
export const GROUP_METADATA_VALUE_VERSION = 3

export interface OffsetCommitRecordValue {
  offset: number
  /** -1 when unknown. */
  leaderEpoch: number
  metadata: string
  commitTimestamp: number
  /** Only commits with an explicit retention (OffsetCommit v2-v4) carry one. */
  expireTimestamp: number | null
}

export type OffsetsRecordKey =
  | { kind: 'offset'; version: number; group: string; topic: string; partition: number }
  | { kind: 'group'; version: number; group: string }
  | { kind: 'other'; version: number }

function encode<T>(schema: SchemaCodec<T>, version: number, value: T): Buffer {
  const w = new Writer(64)
  w.int16(version)
  schema.write(w, version, value)
  return Buffer.from(w.toBuffer())
}

function decode<T>(schema: SchemaCodec<T>, buf: Buffer, what: string): { version: number; value: T } {
  const r = new Reader(buf)
  const version = r.int16()
  if (version < schema.minVersion || version > schema.maxVersion) throw new Error(`unknown ${what} version ${version}`)
  const value = schema.read(r, version)
  return { version, value }
}

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return encode(OffsetCommitKeySchema, OFFSET_COMMIT_KEY_VERSION, { group, topic, partition })
}

/** Kafka writes value v1 when the commit has an expire timestamp, else v3 (with the leader epoch). */
export function encodeOffsetCommitValue(v: OffsetCommitRecordValue): Buffer {
  const version = v.expireTimestamp !== null ? 1 : 3
  return encode(OffsetCommitValueSchema, version, {
    offset: v.offset,
    leaderEpoch: v.leaderEpoch,
    metadata: v.metadata,
    commitTimestamp: v.commitTimestamp,
    expireTimestamp: v.expireTimestamp ?? -1,
  })
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return encode(GroupMetadataKeySchema, GROUP_METADATA_KEY_VERSION, { group })
}

export function encodeGroupMetadataValue(v: GroupMetadataValue, version = GROUP_METADATA_VALUE_VERSION): Buffer {
  return encode(GroupMetadataValueSchema, version, v)
}

export function decodeOffsetsKey(buf: Buffer): OffsetsRecordKey {
  const r = new Reader(buf)
  const version = r.int16()
  if (version === 0 || version === 1) {
    const k = OffsetCommitKeySchema.read(r, version)
    return { kind: 'offset', version, group: k.group, topic: k.topic, partition: k.partition }
  }
  if (version === 2) return { kind: 'group', version, group: GroupMetadataKeySchema.read(r, version).group }
  return { kind: 'other', version }
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitRecordValue {
  const { version, value } = decode(OffsetCommitValueSchema, buf, 'offset commit value')
  return {
    offset: value.offset,
    leaderEpoch: value.leaderEpoch ?? -1,
    metadata: value.metadata,
    commitTimestamp: value.commitTimestamp,
    expireTimestamp: version === 1 && value.expireTimestamp !== undefined && value.expireTimestamp >= 0 ? value.expireTimestamp : null,
  }
}

/** Decodes a group metadata value; member byte fields are copied out of `buf`. */
export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const { value } = decode(GroupMetadataValueSchema, buf, 'group metadata value')
  for (const m of value.members) {
    m.subscription = Buffer.from(m.subscription)
    m.assignment = Buffer.from(m.assignment)
  }
  return value
}

// KRaft metadata records as they sit in __cluster_metadata: a record value is three unsigned
// varints (frame version 1, record type, record version) followed by the record body, which uses
// the flexible encoding of its spec (../shared/kafka-protocol/metadata, via src/wire/generated).

import {
  ConfigRecordSchema,
  FeatureLevelRecordSchema,
  METADATA_RECORD_CODECS,
  NoOpRecordSchema,
  PartitionChangeRecordSchema,
  PartitionRecordSchema,
  ProducerIdsRecordSchema,
  Reader,
  RegisterBrokerRecordSchema,
  RemoveTopicRecordSchema,
  TopicRecordSchema,
  UnfenceBrokerRecordSchema,
  FenceBrokerRecordSchema,
  UnregisterBrokerRecordSchema,
  Writer,
  DecodeError,
  type ConfigRecord,
  type FeatureLevelRecord,
  type NoOpRecord,
  type PartitionChangeRecord,
  type PartitionRecord,
  type ProducerIdsRecord,
  type RegisterBrokerRecord,
  type RemoveTopicRecord,
  type SchemaCodec,
  type TopicRecord,
  type UnfenceBrokerRecord,
  type FenceBrokerRecord,
  type UnregisterBrokerRecord,
} from '../wire/index.js'

/** The records Millrace writes and understands, tagged by their spec name. */
export type MetadataRecord =
  | { type: 'TopicRecord'; data: TopicRecord }
  | { type: 'PartitionRecord'; data: PartitionRecord }
  | { type: 'PartitionChangeRecord'; data: PartitionChangeRecord }
  | { type: 'RemoveTopicRecord'; data: RemoveTopicRecord }
  | { type: 'ConfigRecord'; data: ConfigRecord }
  | { type: 'RegisterBrokerRecord'; data: RegisterBrokerRecord }
  | { type: 'UnregisterBrokerRecord'; data: UnregisterBrokerRecord }
  | { type: 'FenceBrokerRecord'; data: FenceBrokerRecord }
  | { type: 'UnfenceBrokerRecord'; data: UnfenceBrokerRecord }
  | { type: 'FeatureLevelRecord'; data: FeatureLevelRecord }
  | { type: 'ProducerIdsRecord'; data: ProducerIdsRecord }
  | { type: 'NoOpRecord'; data: NoOpRecord }
  /** A record type Millrace does not act on (ACLs, quotas, ...): kept so replay skips it knowingly. */
  | { type: 'Unhandled'; typeId: number; version: number }

const SCHEMAS: Record<Exclude<MetadataRecord['type'], 'Unhandled'>, SchemaCodec<any>> = {
  TopicRecord: TopicRecordSchema,
  PartitionRecord: PartitionRecordSchema,
  PartitionChangeRecord: PartitionChangeRecordSchema,
  RemoveTopicRecord: RemoveTopicRecordSchema,
  ConfigRecord: ConfigRecordSchema,
  RegisterBrokerRecord: RegisterBrokerRecordSchema,
  UnregisterBrokerRecord: UnregisterBrokerRecordSchema,
  FenceBrokerRecord: FenceBrokerRecordSchema,
  UnfenceBrokerRecord: UnfenceBrokerRecordSchema,
  FeatureLevelRecord: FeatureLevelRecordSchema,
  ProducerIdsRecord: ProducerIdsRecordSchema,
  NoOpRecord: NoOpRecordSchema,
}

const BY_TYPE_ID = new Map(Object.entries(SCHEMAS).map(([name, s]) => [s.typeId, name as keyof typeof SCHEMAS]))

/** Encodes a record value at the newest version of its schema. */
export function encodeMetadataRecord(rec: MetadataRecord): Buffer {
  if (rec.type === 'Unhandled') throw new Error('cannot encode an unhandled metadata record')
  const schema = SCHEMAS[rec.type]
  const w = new Writer(128)
  w.uvarint(1)
  w.uvarint(schema.typeId)
  w.uvarint(schema.maxVersion)
  schema.write(w, schema.maxVersion, rec.data)
  return w.toBuffer()
}

export function decodeMetadataRecord(value: Buffer): MetadataRecord {
  const r = new Reader(value)
  const frameVersion = r.uvarint()
  if (frameVersion !== 1) throw new DecodeError(`metadata record frame version ${frameVersion} is not 1`)
  const typeId = r.uvarint()
  const version = r.uvarint()
  const name = BY_TYPE_ID.get(typeId)
  if (!name) {
    if (!METADATA_RECORD_CODECS.has(typeId)) throw new DecodeError(`unknown metadata record type ${typeId}`)
    return { type: 'Unhandled', typeId, version }
  }
  const schema = SCHEMAS[name]
  if (version < schema.minVersion || version > schema.maxVersion) {
    throw new DecodeError(`${name} version ${version} is not in ${schema.minVersion}-${schema.maxVersion}`)
  }
  return { type: name, data: schema.read(r, version) } as MetadataRecord
}

// The public face of src/groups: the classic group coordinator and the __consumer_offsets formats.
export {
  GroupCoordinator,
  groupConfigOf,
  MAX_GROUP_ID_BYTES,
  NEW_MEMBER_JOIN_TIMEOUT_MS,
  type DescribedGroup,
  type FetchedOffset,
  type GroupConfig,
  type GroupCoordinatorDeps,
  type HeartbeatParams,
  type JoinGroupParams,
  type LeaveGroupResult,
  type LeavingMember,
  type ListedGroup,
  type OffsetCommitParams,
  type OffsetsPartitionAccess,
  type ReplicaAccess,
  type SyncGroupParams,
  type TopicCreator,
} from './coordinator.js'
export { ClassicGroup, MemberMetadata, GROUP_STATES, CONSUMER_PROTOCOL_TYPE, decodeSubscriptionTopics, type GroupState, type JoinGroupResult, type Protocol, type SyncGroupResult } from './group.js'
export { javaStringHashCode, kafkaAbs, partitionForGroup } from './hash.js'
export {
  OFFSETS_TOPIC,
  decodeOffsetsKey,
  decodeOffsetCommitValue,
  decodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  type OffsetCommitRecordValue,
  type OffsetsRecordKey,
} from './records.js'
export { FakeTime, systemTime, settle, type Time, type Timer } from './time.js'

// The public face of src/groups: the classic group coordinator and the __consumer_offsets formats.
export { GroupCoordinator } from './coordinator.js'
export { groupConfigOf, type GroupConfig } from './config.js'
export type { GroupCoordinatorDeps, OffsetsPartitionAccess, ReplicaAccess } from './deps.js'
export { MAX_GROUP_ID_BYTES } from './registry.js'
export { NEW_MEMBER_JOIN_TIMEOUT_MS } from './rebalance.js'
export type {
  DescribedGroup,
  FetchedOffset,
  HeartbeatParams,
  JoinGroupParams,
  LeaveGroupResult,
  LeavingMember,
  ListedGroup,
  OffsetCommitParams,
  SyncGroupParams,
} from './requests.js'
export { ClassicGroup, MemberMetadata, GROUP_STATES, CONSUMER_PROTOCOL_TYPE, decodeSubscriptionTopics, type GroupState, type JoinGroupResult, type Protocol, type SyncGroupResult } from './group.js'
export { javaStringHashCode, kafkaAbs, partitionForGroup } from '../util/index.js'
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
export { FakeTime, systemTime, settle, type Time, type Timer } from '../util/index.js'

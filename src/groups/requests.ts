// The group requests and their answers, independent of API versions (the handlers in src/apis
// map them to and from the wire).

import type { GroupState, Protocol } from './group.js'

export interface JoinGroupParams {
  groupId: string
  memberId: string
  groupInstanceId: string | null
  /** JoinGroup v4+ without a group.instance.id: a new member first gets MEMBER_ID_REQUIRED (KIP-394). */
  requireKnownMemberId: boolean
  clientId: string
  clientHost: string
  rebalanceTimeoutMs: number
  sessionTimeoutMs: number
  protocolType: string
  protocols: Protocol[]
  reason: string | null
}

export interface SyncGroupParams {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
  protocolType: string | null
  protocolName: string | null
  assignments: Array<{ memberId: string; assignment: Buffer }>
}

export interface HeartbeatParams {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
}

export interface LeavingMember {
  memberId: string
  groupInstanceId: string | null
  reason: string | null
}

export interface LeaveGroupResult {
  errorCode: number
  members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }>
}

export interface OffsetCommitParams {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
  /** -1: the broker's offsets.retention.minutes (after the group empties). */
  retentionTimeMs: number
  offsets: Array<{ topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string | null; commitTimestamp: number }>
  /** TxnOffsetCommit: the producer whose transaction holds these offsets until its marker. */
  txn?: { producerId: number; producerEpoch: number }
}

export interface FetchedOffset {
  topic: string
  partition: number
  offset: number
  leaderEpoch: number
  metadata: string
  errorCode: number
}

export interface ListedGroup {
  groupId: string
  protocolType: string
  state: GroupState
  type: string
}

export interface DescribedGroup {
  errorCode: number
  groupId: string
  state: string
  protocolType: string
  protocol: string
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }>
}

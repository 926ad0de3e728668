// The requests of classic group members: JoinGroup (new, known and static members, long-poll
// until the rebalance completes), SyncGroup (the leader's assignment), Heartbeat and LeaveGroup.
// The rebalance they start or complete runs in the Rebalancer.

import { randomUUID } from 'node:crypto'
import { errorName, ErrorCode } from '../wire/index.js'
import type { CoordinatorContext } from './context.js'
import { joinError, MemberMetadata, syncError, type ClassicGroup, type JoinGroupResult, type SyncGroupResult } from './group.js'
import type { GroupPersistence } from './persistence.js'
import { NEW_MEMBER_JOIN_TIMEOUT_MS, type Rebalancer } from './rebalance.js'
import type { HeartbeatParams, JoinGroupParams, LeaveGroupResult, LeavingMember, SyncGroupParams } from './requests.js'

const EMPTY = Buffer.alloc(0)

export class Membership {
  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly rebalance: Rebalancer,
    private readonly persistence: GroupPersistence,
  ) {}

  // -------------------------------------------------------------------------------------------
  // JoinGroup

  joinGroup(r: JoinGroupParams): Promise<JoinGroupResult> {
    const err = this.ctx.registry.validateGroupStatus(r.groupId)
    if (err !== null) {
      this.ctx.refuse('JoinGroup', r.groupId, err)
      return Promise.resolve(joinError(r.memberId, err))
    }
    const cfg = this.ctx.cfg()
    if (r.sessionTimeoutMs < cfg.minSessionTimeoutMs || r.sessionTimeoutMs > cfg.maxSessionTimeoutMs) {
      this.ctx.log.warn(
        `JoinGroup for group ${this.ctx.describeId(r.groupId)} from ${r.clientId}: session timeout ${r.sessionTimeoutMs} ms is outside [${cfg.minSessionTimeoutMs}, ${cfg.maxSessionTimeoutMs}] (group.min/max.session.timeout.ms): INVALID_SESSION_TIMEOUT`,
      )
      return Promise.resolve(joinError(r.memberId, ErrorCode.INVALID_SESSION_TIMEOUT))
    }
    const isUnknown = r.memberId === ''
    const existing = this.ctx.registry.groups.get(r.groupId)
    if (!existing && !isUnknown) {
      this.ctx.refuse('JoinGroup', r.groupId, ErrorCode.UNKNOWN_MEMBER_ID, `member ${r.memberId} of a group that does not exist`)
      return Promise.resolve(joinError(r.memberId, ErrorCode.UNKNOWN_MEMBER_ID))
    }
    const group = existing ?? this.ctx.registry.getOrCreateGroup(r.groupId)
    return new Promise<JoinGroupResult>(resolve => {
      const respond = (res: JoinGroupResult): void => {
        if (res.errorCode !== ErrorCode.NONE && res.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) {
          this.ctx.refuse('JoinGroup', r.groupId, res.errorCode, `member '${r.memberId || res.memberId}'`)
        }
        resolve(res)
      }
      if (!this.acceptJoiningMember(group, r.memberId, cfg.maxSize)) {
        group.remove(r.memberId)
        this.ctx.log.info(`JoinGroup for group ${this.ctx.describeId(r.groupId)}: the group has reached its maximum size of ${cfg.maxSize} (group.max.size)`)
        respond(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED))
      } else if (isUnknown) {
        this.doNewMemberJoin(group, r, respond)
      } else {
        this.doCurrentMemberJoin(group, r, respond)
      }
      if (group.is('PreparingRebalance')) this.rebalance.tryCompleteJoin(group)
      this.ctx.registry.dropIfUnused(group)
    })
  }

  private acceptJoiningMember(group: ClassicGroup, memberId: string, maxSize: number): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true
      case 'PreparingRebalance': {
        const m = group.members.get(memberId)
        return (m !== undefined && m.awaitingJoin !== null) || group.numAwaitingJoin < maxSize
      }
      case 'CompletingRebalance':
      case 'Stable':
        return group.members.has(memberId) || group.size < maxSize
    }
  }

  private doNewMemberJoin(group: ClassicGroup, r: JoinGroupParams, respond: (res: JoinGroupResult) => void): void {
    if (group.is('Dead')) return respond(joinError(r.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE))
    if (!group.supportsProtocols(r.protocolType, r.protocols)) {
      this.ctx.log.warn(
        `JoinGroup for group ${this.ctx.describeId(r.groupId)} from ${r.clientId}: protocol type '${r.protocolType}' with protocols [${r.protocols.map(p => p.name).join(', ')}] ` +
          `does not match the group's (type '${group.protocolType ?? ''}', common protocols [${[...group.candidateProtocols()].join(', ')}]): INCONSISTENT_GROUP_PROTOCOL`,
      )
      return respond(joinError(r.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
    }
    const newMemberId = `${r.groupInstanceId ?? r.clientId}-${randomUUID()}`
    if (r.groupInstanceId !== null) {
      const oldMemberId = group.staticMembers.get(r.groupInstanceId)
      if (oldMemberId !== undefined) {
        this.ctx.log.info(
          `static member with group.instance.id ${r.groupInstanceId} and unknown member id joins group ${r.groupId} in ${group.state} state; replacing previously mapped member ${oldMemberId} with this group.instance.id`,
        )
        this.updateStaticMemberAndRebalance(group, oldMemberId, newMemberId, r, respond)
      } else {
        this.ctx.log.info(`static member with group.instance.id ${r.groupInstanceId} and unknown member id joins group ${r.groupId} in ${group.state} state; created member id ${newMemberId}`)
        this.addMemberAndRebalance(group, newMemberId, r, respond)
      }
    } else if (r.requireKnownMemberId) {
      // KIP-394: the member must come back with this id; until then it holds up the rebalance for at most its session timeout.
      const timer = this.ctx.time.schedule(r.sessionTimeoutMs, () => {
        if (!group.pendingMembers.has(newMemberId)) return
        this.ctx.log.info(`pending member ${newMemberId} in group ${group.groupId} has been removed after session timeout expiration`)
        this.rebalance.removePendingMemberAndUpdateGroup(group, newMemberId)
      })
      group.pendingMembers.set(newMemberId, timer)
      respond(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED))
    } else {
      this.addMemberAndRebalance(group, newMemberId, r, respond)
    }
  }

  private doCurrentMemberJoin(group: ClassicGroup, r: JoinGroupParams, respond: (res: JoinGroupResult) => void): void {
    const memberId = r.memberId
    if (group.is('Dead')) return respond(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE))
    if (!group.supportsProtocols(r.protocolType, r.protocols)) {
      this.ctx.log.warn(
        `JoinGroup for group ${this.ctx.describeId(r.groupId)} from member ${memberId}: protocol type '${r.protocolType}' with protocols [${r.protocols.map(p => p.name).join(', ')}] does not match the group's: INCONSISTENT_GROUP_PROTOCOL`,
      )
      return respond(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
    }
    if (group.pendingMembers.has(memberId)) {
      if (r.groupInstanceId !== null) return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID))
      return this.addMemberAndRebalance(group, memberId, r, respond)
    }
    const instanceNotFound = r.groupInstanceId !== null && !group.staticMembers.has(r.groupInstanceId)
    if (group.isStaticMemberFenced(r.groupInstanceId, memberId)) return respond(joinError(memberId, ErrorCode.FENCED_INSTANCE_ID))
    const member = group.members.get(memberId)
    if (!member || instanceNotFound) return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID))
    const current = (members: JoinGroupResult['members']): JoinGroupResult => ({
      errorCode: ErrorCode.NONE,
      memberId,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leaderId: group.leaderId ?? '',
      skipAssignment: false,
      members,
    })
    const why = (what: string) => `${what}; client reason: ${r.reason ?? 'not provided'}`
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, r, respond, why(`member ${memberId} joining group during PreparingRebalance`))
      case 'CompletingRebalance':
        // The same metadata again (it missed the JoinGroup answer): the current generation's answer.
        if (member.matches(r.protocols)) return respond(current(group.isLeader(memberId) ? group.currentMemberMetadata() : []))
        return this.updateMemberAndRebalance(group, member, r, respond, why(`updating metadata for member ${memberId} during CompletingRebalance`))
      case 'Stable':
        // A leader's rejoin starts a rebalance (its view of the topics may have changed); so do changed metadata.
        if (group.isLeader(memberId)) return this.updateMemberAndRebalance(group, member, r, respond, why(`leader ${memberId} re-joining group during Stable`))
        if (!member.matches(r.protocols)) return this.updateMemberAndRebalance(group, member, r, respond, why(`updating metadata for member ${memberId} during Stable`))
        return respond(current([]))
      case 'Empty':
      case 'Dead':
        this.ctx.log.warn(`attempt to add rejoining member ${memberId} of group ${group.groupId} in unexpected state ${group.state}`)
        return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID))
    }
  }

  private addMemberAndRebalance(group: ClassicGroup, memberId: string, r: JoinGroupParams, respond: (res: JoinGroupResult) => void): void {
    const member = new MemberMetadata(memberId, r.groupInstanceId, r.clientId, r.clientHost, r.rebalanceTimeoutMs, r.sessionTimeoutMs, r.protocolType, r.protocols)
    member.isNew = true
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true
    group.add(member, respond)
    // A new member has no id to heartbeat with; its join times out instead (it retries if still there).
    this.rebalance.scheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS)
    this.rebalance.maybePrepareRebalance(group, `adding new member ${memberId} with group instance id ${r.groupInstanceId ?? 'none'}; client reason: ${r.reason ?? 'not provided'}`)
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: MemberMetadata, r: JoinGroupParams, respond: (res: JoinGroupResult) => void, reason: string): void {
    group.updateMember(member, r.protocols, r.rebalanceTimeoutMs, r.sessionTimeoutMs, respond)
    this.rebalance.maybePrepareRebalance(group, reason)
  }

  private updateStaticMemberAndRebalance(
    group: ClassicGroup,
    oldMemberId: string,
    newMemberId: string,
    r: JoinGroupParams,
    respond: (res: JoinGroupResult) => void,
  ): void {
    const instanceId = r.groupInstanceId!
    const currentLeader = group.leaderId
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId)
    this.rebalance.scheduleHeartbeat(group, member)
    const old = { protocols: member.supportedProtocols, rebalance: member.rebalanceTimeoutMs, session: member.sessionTimeoutMs }
    group.updateMember(member, r.protocols, r.rebalanceTimeoutMs, r.sessionTimeoutMs, respond)
    const reason = `updating metadata for static member ${newMemberId} with instance id ${instanceId}; client reason: ${r.reason ?? 'not provided'}`
    switch (group.state) {
      case 'Stable': {
        if (group.protocolName !== group.selectProtocol()) {
          this.rebalance.maybePrepareRebalance(group, `group's selected protocol will change because static member ${newMemberId} with instance id ${instanceId} joined with a change of protocol`)
          return
        }
        // Same protocol: persist the new member id and keep the group stable. The answer names the
        // old leader id, so a rejoining static leader does not run a pointless assignment.
        const assignment = new Map([...group.members.values()].map(m => [m.memberId, m.assignment]))
        const generation = group.generationId
        this.persistence.storeGroup(group, assignment, error => {
          if (error !== ErrorCode.NONE) {
            this.ctx.log.warn(`failed to persist metadata for group ${group.groupId}: ${errorName(error)}`)
            if (group.members.get(newMemberId) === member) {
              member.awaitingJoin = null
              member.supportedProtocols = old.protocols
              member.rebalanceTimeoutMs = old.rebalance
              member.sessionTimeoutMs = old.session
              const reverted = group.replaceStaticMember(instanceId, newMemberId, oldMemberId)
              this.rebalance.scheduleHeartbeat(group, reverted)
            }
            respond({ ...joinError('', error), generationId: group.generationId, protocolType: group.protocolType, protocolName: group.protocolName, leaderId: currentLeader ?? '' })
            return
          }
          group.maybeInvokeJoinCallback(member, {
            errorCode: ErrorCode.NONE,
            memberId: newMemberId,
            generationId: generation,
            protocolType: group.protocolType,
            protocolName: group.protocolName,
            leaderId: currentLeader ?? '',
            skipAssignment: false,
            members: [],
          })
        })
        return
      }
      case 'CompletingRebalance':
        // The leader may already be assigning with the old member id: start over.
        this.rebalance.prepareRebalance(group, reason)
        return
      case 'PreparingRebalance':
        return
      default:
        this.ctx.log.error(`static member ${newMemberId} rejoined group ${group.groupId} in unexpected state ${group.state}`)
        group.maybeInvokeJoinCallback(member, joinError(newMemberId, ErrorCode.UNKNOWN_MEMBER_ID))
    }
  }

  // -------------------------------------------------------------------------------------------
  // SyncGroup

  syncGroup(r: SyncGroupParams): Promise<SyncGroupResult> {
    const err = this.ctx.registry.validateGroupStatus(r.groupId)
    if (err !== null) {
      // While loading the rebalance state is lost: REBALANCE_IN_PROGRESS makes the member rejoin.
      const code = err === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? ErrorCode.REBALANCE_IN_PROGRESS : err
      this.ctx.refuse('SyncGroup', r.groupId, code)
      return Promise.resolve(syncError(code))
    }
    const group = this.ctx.registry.groups.get(r.groupId)
    const fail = (code: number, detail: string): Promise<SyncGroupResult> => {
      this.ctx.refuse('SyncGroup', r.groupId, code, detail)
      return Promise.resolve(syncError(code))
    }
    if (!group) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${r.memberId}: no such group`)
    if (group.is('Dead')) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the group is being removed')
    if (group.isStaticMemberFenced(r.groupInstanceId, r.memberId)) return fail(ErrorCode.FENCED_INSTANCE_ID, `member ${r.memberId} with instance id ${r.groupInstanceId}`)
    const member = group.members.get(r.memberId)
    if (!member) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${r.memberId}`)
    if (r.generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION, `member ${r.memberId} sent generation ${r.generationId}, the group is at ${group.generationId}`)
    if (r.protocolType !== null && r.protocolType !== group.protocolType) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `protocol type ${r.protocolType} is not the group's ${group.protocolType}`)
    if (r.protocolName !== null && r.protocolName !== group.protocolName) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `protocol ${r.protocolName} is not the group's ${group.protocolName}`)
    switch (group.state) {
      case 'Empty':
        return fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${r.memberId} of an empty group`)
      case 'PreparingRebalance':
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS))
      case 'Stable': {
        this.rebalance.removePendingSyncMember(group, r.memberId)
        this.rebalance.scheduleHeartbeat(group, member)
        return Promise.resolve({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment })
      }
      case 'CompletingRebalance':
      default:
        return new Promise<SyncGroupResult>(resolve => {
          const previous = member.awaitingSync
          member.awaitingSync = resolve
          if (previous) previous(syncError(ErrorCode.REBALANCE_IN_PROGRESS))
          this.rebalance.removePendingSyncMember(group, r.memberId)
          if (!group.isLeader(r.memberId)) return
          const given = new Map(r.assignments.map(a => [a.memberId, a.assignment]))
          const assignment = new Map<string, Buffer>()
          const missing: string[] = []
          for (const id of group.members.keys()) {
            const a = given.get(id)
            if (a === undefined) missing.push(id)
            assignment.set(id, a ?? EMPTY)
          }
          this.ctx.log.info(
            `assignment received from leader ${r.memberId} for group ${group.groupId} for generation ${group.generationId}; the group has ${group.size} members, ${group.staticMembers.size} of which are static`,
          )
          if (missing.length > 0) this.ctx.log.warn(`setting empty assignments for members ${missing.join(', ')} of ${group.groupId} for generation ${group.generationId}`)
          const generation = group.generationId
          this.persistence.storeGroup(group, assignment, error => {
            if (!group.is('CompletingRebalance') || group.generationId !== generation) return
            if (error !== ErrorCode.NONE) {
              this.rebalance.resetAndPropagateAssignmentError(group, error)
              this.rebalance.maybePrepareRebalance(group, `error ${errorName(error)} when storing group assignment during SyncGroup (member: ${r.memberId})`)
            } else {
              for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY
              this.rebalance.propagateAssignment(group, ErrorCode.NONE)
              group.transitionTo('Stable', this.ctx.now())
            }
          })
        })
    }
  }

  // -------------------------------------------------------------------------------------------
  // Heartbeat and LeaveGroup

  heartbeat(r: HeartbeatParams): number {
    const err = this.ctx.registry.validateGroupStatus(r.groupId)
    if (err !== null) {
      // While loading, answer blindly: the member carries on and finds out once the group is back.
      if (err === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE
      this.ctx.refuse('Heartbeat', r.groupId, err)
      return err
    }
    const group = this.ctx.registry.groups.get(r.groupId)
    const fail = (code: number, detail: string): number => {
      this.ctx.refuse('Heartbeat', r.groupId, code, detail)
      return code
    }
    if (!group) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${r.memberId}: no such group`)
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if (group.isStaticMemberFenced(r.groupInstanceId, r.memberId)) return fail(ErrorCode.FENCED_INSTANCE_ID, `member ${r.memberId} with instance id ${r.groupInstanceId}`)
    const member = group.members.get(r.memberId)
    if (!member) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${r.memberId}`)
    if (r.generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION, `member ${r.memberId} sent generation ${r.generationId}, the group is at ${group.generationId}`)
    switch (group.state) {
      case 'Empty':
        return fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${r.memberId} of an empty group`)
      case 'PreparingRebalance':
        this.rebalance.scheduleHeartbeat(group, member)
        return ErrorCode.REBALANCE_IN_PROGRESS
      default:
        this.rebalance.scheduleHeartbeat(group, member)
        return ErrorCode.NONE
    }
  }

  leaveGroup(groupId: string, leaving: LeavingMember[]): LeaveGroupResult {
    const err = this.ctx.registry.validateGroupStatus(groupId)
    if (err !== null) {
      this.ctx.refuse('LeaveGroup', groupId, err)
      return { errorCode: err, members: [] }
    }
    const group = this.ctx.registry.groups.get(groupId)
    const each = (m: LeavingMember, errorCode: number) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode })
    if (!group) {
      this.ctx.refuse('LeaveGroup', groupId, ErrorCode.UNKNOWN_MEMBER_ID, 'no such group')
      return { errorCode: ErrorCode.NONE, members: leaving.map(m => each(m, ErrorCode.UNKNOWN_MEMBER_ID)) }
    }
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] }
    const members = leaving.map(l => {
      const reason = l.reason ?? 'not provided'
      if (l.memberId === '') {
        // Administrative removal by group.instance.id (KIP-345).
        const current = l.groupInstanceId !== null ? group.staticMembers.get(l.groupInstanceId) : undefined
        if (current === undefined) {
          this.ctx.refuse('LeaveGroup', groupId, ErrorCode.UNKNOWN_MEMBER_ID, `no member with instance id ${l.groupInstanceId}`)
          return each(l, ErrorCode.UNKNOWN_MEMBER_ID)
        }
        this.removeCurrentMember(group, current, reason)
        return each(l, ErrorCode.NONE)
      }
      if (group.pendingMembers.has(l.memberId)) {
        this.rebalance.removePendingMemberAndUpdateGroup(group, l.memberId)
        this.ctx.log.info(`pending member ${l.memberId} has left group ${groupId} through explicit LeaveGroup; client reason: ${reason}`)
        return each(l, ErrorCode.NONE)
      }
      if (group.isStaticMemberFenced(l.groupInstanceId, l.memberId)) {
        this.ctx.refuse('LeaveGroup', groupId, ErrorCode.FENCED_INSTANCE_ID, `member ${l.memberId} with instance id ${l.groupInstanceId}`)
        return each(l, ErrorCode.FENCED_INSTANCE_ID)
      }
      if (group.members.has(l.memberId)) {
        this.removeCurrentMember(group, l.memberId, reason)
        return each(l, ErrorCode.NONE)
      }
      this.ctx.refuse('LeaveGroup', groupId, ErrorCode.UNKNOWN_MEMBER_ID, `member ${l.memberId}`)
      return each(l, ErrorCode.UNKNOWN_MEMBER_ID)
    })
    return { errorCode: ErrorCode.NONE, members }
  }

  private removeCurrentMember(group: ClassicGroup, memberId: string, reason: string): void {
    const member = group.members.get(memberId)!
    this.rebalance.removeMemberAndUpdateGroup(group, member, `removing member ${memberId} on LeaveGroup; client reason: ${reason}`)
    this.ctx.log.info(`member ${memberId} has left group ${group.groupId} through explicit LeaveGroup; client reason: ${reason}`)
  }
}

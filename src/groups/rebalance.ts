// The rebalance state machine of classic groups, with its timers: preparing a rebalance, the
// delayed join that completes it (Kafka's InitialDelayedJoin and DelayedJoin), the new generation,
// the wait for SyncGroup, session expiry, removing members, and handing out assignments.

import { errorName, ErrorCode } from '../wire/index.js'
import type { CoordinatorContext } from './context.js'
import { joinError, syncError, type ClassicGroup, type MemberMetadata, type SyncGroupResult } from './group.js'
import type { GroupPersistence } from './persistence.js'
import { OFFSETS_TOPIC } from './records.js'

/** A new member's JoinGroup is answered (UNKNOWN_MEMBER_ID) if the rebalance takes longer than this. */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000
const EMPTY = Buffer.alloc(0)

export class Rebalancer {
  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly persistence: GroupPersistence,
  ) {}

  // -------------------------------------------------------------------------------------------
  // Rebalances: the delayed join, then the new generation

  maybePrepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is('Stable') || group.is('CompletingRebalance') || group.is('Empty')) this.prepareRebalance(group, reason)
  }

  prepareRebalance(group: ClassicGroup, reason: string): void {
    // Members waiting for their assignment must rejoin.
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS)
    group.syncTimer?.cancel()
    group.syncTimer = null
    const wasEmpty = group.is('Empty')
    group.transitionTo('PreparingRebalance', this.ctx.now())
    this.ctx.log.info(
      `preparing to rebalance group ${group.groupId} in state PreparingRebalance with old generation ${group.generationId} (${OFFSETS_TOPIC}-${group.partition}) (reason: ${reason})`,
    )
    if (wasEmpty) {
      const delay = this.ctx.cfg().initialRebalanceDelayMs
      this.startInitialJoin(group, delay, delay, Math.max(group.rebalanceTimeoutMs - delay, 0))
    } else {
      this.startJoin(group, group.rebalanceTimeoutMs)
    }
  }

  /** Kafka's InitialDelayedJoin: waits, and keeps waiting while new members arrive (up to the rebalance timeout). */
  private startInitialJoin(group: ClassicGroup, configuredDelay: number, delay: number, remaining: number): void {
    group.join?.timer.cancel()
    const op = {
      initial: true,
      timer: this.ctx.time.schedule(delay, () => {
        if (group.join !== op) return
        group.join = null
        if (group.newMemberAdded && remaining !== 0) {
          group.newMemberAdded = false
          const next = Math.min(configuredDelay, remaining)
          this.startInitialJoin(group, configuredDelay, next, Math.max(remaining - delay, 0))
        } else {
          this.onCompleteJoin(group)
        }
      }),
    }
    group.join = op
  }

  /** Kafka's DelayedJoin: completes when every member has rejoined, or after the rebalance timeout. */
  private startJoin(group: ClassicGroup, timeoutMs: number): void {
    group.join?.timer.cancel()
    const op = {
      initial: false,
      timer: this.ctx.time.schedule(timeoutMs, () => {
        if (group.join !== op) return
        group.join = null
        this.onCompleteJoin(group)
      }),
    }
    group.join = op
    this.tryCompleteJoin(group)
  }

  tryCompleteJoin(group: ClassicGroup): void {
    const op = group.join
    if (!op || op.initial) return
    if (!group.hasAllMembersJoined()) return
    op.timer.cancel()
    group.join = null
    this.onCompleteJoin(group)
  }

  private onCompleteJoin(group: ClassicGroup): void {
    // Dynamic members that did not rejoin in time are out; static ones keep their place.
    const gone: string[] = []
    for (const m of [...group.members.values()]) {
      if (m.awaitingJoin || m.isStatic) continue
      group.remove(m.memberId)
      gone.push(m.memberId)
    }
    if (gone.length > 0) this.ctx.log.info(`group ${group.groupId} removed dynamic members who haven't joined: ${gone.join(', ')}`)
    if (group.is('Dead')) {
      this.ctx.log.info(`group ${group.groupId} is dead, skipping rebalance stage`)
      return
    }
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      this.ctx.log.error(`group ${group.groupId} could not complete rebalance because no members rejoined`)
      this.startJoin(group, group.rebalanceTimeoutMs)
      return
    }
    group.initNextGeneration(this.ctx.now())
    if (group.is('Empty')) {
      this.ctx.log.info(`group ${group.groupId} with generation ${group.generationId} is now empty (${OFFSETS_TOPIC}-${group.partition})`)
      this.persistence.storeGroup(group, new Map(), error => {
        if (error !== ErrorCode.NONE) this.ctx.log.warn(`failed to write empty metadata for group ${group.groupId}: ${errorName(error)}`)
      })
      return
    }
    this.ctx.log.info(`stabilized group ${group.groupId} generation ${group.generationId} (${OFFSETS_TOPIC}-${group.partition}) with ${group.size} members, protocol ${group.protocolName}`)
    for (const m of group.members.values()) {
      group.maybeInvokeJoinCallback(m, {
        errorCode: ErrorCode.NONE,
        memberId: m.memberId,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leaderId: group.leaderId ?? '',
        skipAssignment: false,
        members: group.isLeader(m.memberId) ? group.currentMemberMetadata() : [],
      })
      this.scheduleHeartbeat(group, m)
      m.isNew = false
      group.pendingSyncMembers.add(m.memberId)
    }
    this.schedulePendingSync(group)
  }

  // -------------------------------------------------------------------------------------------
  // Session expiry

  scheduleHeartbeat(group: ClassicGroup, member: MemberMetadata, timeoutMs = member.sessionTimeoutMs): void {
    member.heartbeatTimer?.cancel()
    member.heartbeatTimer = this.ctx.time.schedule(timeoutMs, () => {
      member.heartbeatTimer = null
      this.onHeartbeatExpired(group, member)
    })
  }

  private onHeartbeatExpired(group: ClassicGroup, member: MemberMetadata): void {
    if (group.is('Dead') || group.members.get(member.memberId) !== member) return
    // Members waiting in a rebalance count as alive (unless they are new: their join timed out).
    if (!member.isNew && (member.awaitingJoin || member.awaitingSync)) return
    this.ctx.log.info(`member ${member.memberId} in group ${group.groupId} has failed (no heartbeat within ${member.isNew ? NEW_MEMBER_JOIN_TIMEOUT_MS : member.sessionTimeoutMs} ms), removing it from the group`)
    this.removeMemberAndUpdateGroup(group, member, `removing member ${member.memberId} on heartbeat expiration`)
  }

  removeMemberAndUpdateGroup(group: ClassicGroup, member: MemberMetadata, reason: string): void {
    // A new member may still wait in JoinGroup: UNKNOWN_MEMBER_ID makes it retry if it is alive.
    group.maybeInvokeJoinCallback(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID))
    group.remove(member.memberId)
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.maybePrepareRebalance(group, reason)
        break
      case 'PreparingRebalance':
        this.tryCompleteJoin(group)
        break
      default:
        break
    }
  }

  removePendingMemberAndUpdateGroup(group: ClassicGroup, memberId: string): void {
    group.remove(memberId)
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group)
  }

  // -------------------------------------------------------------------------------------------
  // Waiting for SyncGroup

  private schedulePendingSync(group: ClassicGroup): void {
    group.syncTimer?.cancel()
    const generation = group.generationId
    const timer = this.ctx.time.schedule(group.rebalanceTimeoutMs, () => {
      if (group.syncTimer !== timer) return
      group.syncTimer = null
      this.onExpirePendingSync(group, generation)
    })
    group.syncTimer = timer
  }

  private tryCompletePendingSync(group: ClassicGroup): void {
    if (!group.syncTimer) return
    if (group.is('CompletingRebalance') || group.is('Stable')) {
      if (group.pendingSyncMembers.size > 0) return
    }
    group.syncTimer.cancel()
    group.syncTimer = null
  }

  private onExpirePendingSync(group: ClassicGroup, generation: number): void {
    if (generation !== group.generationId) return
    if (!(group.is('CompletingRebalance') || group.is('Stable')) || group.pendingSyncMembers.size === 0) return
    const pending = [...group.pendingSyncMembers]
    this.ctx.log.info(`group ${group.groupId} removed members who haven't sent their sync requests: ${pending.join(', ')}`)
    for (const id of pending) group.remove(id)
    this.prepareRebalance(group, `removing ${pending.join(', ')} on pending sync request expiration`)
  }

  removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId)
    this.tryCompletePendingSync(group)
  }

  resetAndPropagateAssignmentError(group: ClassicGroup, error: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY
    this.propagateAssignment(group, error)
  }

  propagateAssignment(group: ClassicGroup, error: number): void {
    const ok = error === ErrorCode.NONE
    for (const m of group.members.values()) {
      const result: SyncGroupResult = ok
        ? { errorCode: error, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment }
        : syncError(error)
      // Restart the session clock: an expiry while it waited for the assignment was ignored.
      if (group.maybeInvokeSyncCallback(m, result)) this.scheduleHeartbeat(group, m)
    }
  }

  // -------------------------------------------------------------------------------------------
  // Unloading

  /** The group is no longer served here: waiting requests get NOT_COORDINATOR and its timers stop. */
  onGroupUnloaded(g: ClassicGroup): void {
    g.state = 'Dead'
    g.currentStateTimestamp = this.ctx.now()
    for (const m of g.members.values()) {
      g.maybeInvokeJoinCallback(m, joinError(m.memberId, ErrorCode.NOT_COORDINATOR))
      g.maybeInvokeSyncCallback(m, syncError(ErrorCode.NOT_COORDINATOR))
      m.heartbeatTimer?.cancel()
      m.heartbeatTimer = null
    }
    for (const t of g.pendingMembers.values()) t.cancel()
    g.pendingMembers.clear()
    g.join?.timer.cancel()
    g.join = null
    g.syncTimer?.cancel()
    g.syncTimer = null
  }
}

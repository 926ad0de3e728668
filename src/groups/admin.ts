// The administrative group requests: ListGroups, DescribeGroups and DeleteGroups.

import { ErrorCode } from '../wire/index.js'
import type { CoordinatorContext } from './context.js'
import { GROUP_STATES, type ClassicGroup } from './group.js'
import type { GroupPersistence } from './persistence.js'
import type { DescribedGroup, ListedGroup } from './requests.js'

const EMPTY = Buffer.alloc(0)

function isKnownState(s: string): boolean {
  return GROUP_STATES.some(x => x.toLowerCase() === s.toLowerCase())
}

export class GroupAdmin {
  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly persistence: GroupPersistence,
  ) {}

  listGroups(statesFilter: string[], typesFilter: string[]): { errorCode: number; groups: ListedGroup[] } {
    const states = new Set(statesFilter.map(s => s.toLowerCase()))
    const types = new Set(typesFilter.map(s => s.toLowerCase()))
    for (const s of statesFilter) if (!isKnownState(s)) this.ctx.log.debug(`ListGroups: unknown state filter '${s}' matches no classic group`)
    const loading = [...this.ctx.registry.partitions.values()].some(p => p.state === 'loading')
    const groups: ListedGroup[] = []
    for (const g of this.ctx.registry.groups.values()) {
      if (g.is('Dead')) continue
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue
      if (types.size > 0 && !types.has('classic')) continue
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state, type: 'classic' })
    }
    return { errorCode: loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, groups }
  }

  describeGroup(groupId: string): DescribedGroup {
    const base = { groupId, state: '', protocolType: '', protocol: '', members: [] }
    const err = this.ctx.registry.validateGroupStatus(groupId)
    if (err !== null) {
      this.ctx.refuse('DescribeGroups', groupId, err)
      return { ...base, errorCode: err }
    }
    const g = this.ctx.registry.groups.get(groupId)
    if (!g || g.is('Dead')) return { ...base, errorCode: ErrorCode.NONE, state: 'Dead' }
    const stable = g.is('Stable') && g.protocolName !== null
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      state: g.state,
      protocolType: g.protocolType ?? '',
      protocol: stable ? g.protocolName! : '',
      members: [...g.members.values()].map(m => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadata(g.protocolName!) : EMPTY,
        assignment: stable ? m.assignment : EMPTY,
      })),
    }
  }

  async deleteGroups(groupIds: string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    const out: Array<{ groupId: string; errorCode: number }> = []
    const eligible: ClassicGroup[] = []
    for (const groupId of groupIds) {
      const err = this.ctx.registry.validateGroupStatus(groupId)
      if (err !== null) {
        this.ctx.refuse('DeleteGroups', groupId, err)
        out.push({ groupId, errorCode: err })
        continue
      }
      const g = this.ctx.registry.groups.get(groupId)
      if (!g || g.is('Dead')) {
        this.ctx.refuse('DeleteGroups', groupId, ErrorCode.GROUP_ID_NOT_FOUND)
        out.push({ groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND })
        continue
      }
      if (!g.is('Empty')) {
        this.ctx.refuse('DeleteGroups', groupId, ErrorCode.NON_EMPTY_GROUP, `the group is ${g.state} with ${g.size} members`)
        out.push({ groupId, errorCode: ErrorCode.NON_EMPTY_GROUP })
        continue
      }
      g.transitionTo('Dead', this.ctx.now())
      eligible.push(g)
      out.push({ groupId, errorCode: ErrorCode.NONE })
    }
    await Promise.all(
      eligible.map(async g => {
        const keys = [...g.offsets.keys()]
        g.offsets.clear()
        this.ctx.registry.groups.delete(g.groupId)
        await this.persistence.writeTombstones(g, keys, true)
        this.ctx.log.info(`deleted group ${g.groupId} and its ${keys.length} offsets`)
      }),
    )
    return out
  }
}

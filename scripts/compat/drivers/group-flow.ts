// The consumer-group scenario, the same for every Node driver: members A and B share the
// partitions, consume phase 1; C joins; once the group has settled on three members, phase 2 is
// produced and consumed. Members commit what they process, so nothing is processed twice.

import type { GroupRequest, GroupResult } from '../protocol.js'
import { log, sleep, waitFor } from './host.js'

export interface GroupMember {
  /** Partitions of the group's topic this member owns right now. */
  assignment(): number[]
  stop(): Promise<void>
}

export interface GroupOps {
  startMember(name: string, onMessage: (partition: number, offset: number, key: string | null) => void): Promise<GroupMember>
  produce(start: number, count: number): Promise<void>
  /** The group's committed offset per partition, as this client reads it (null if it cannot). */
  committed(): Promise<Record<string, number> | null>
  /** An error that makes waiting pointless (a member crashed), if the client reports one. */
  failed?(): Error | null
}

export async function runGroupFlow(req: GroupRequest, ops: GroupOps): Promise<GroupResult> {
  const processed: GroupResult['processed'] = []
  const members = new Map<string, GroupMember>()
  const all = Array.from({ length: req.partitions }, (_, i) => i)
  const onMessage = (name: string) => (p: number, o: number, k: string | null) => void processed.push([name, p, o, k])
  const deadline = Date.now() + req.timeoutMs
  const left = () => Math.max(1000, deadline - Date.now())
  const describe = () =>
    [...members].map(([n, m]) => `${n}=[${m.assignment().join(',')}]`).join(' ') + `, ${processed.length} processed`
  /** Every member owns something, nobody shares a partition, and together they own them all. */
  const settled = () => {
    const owned = [...members.values()].map(m => m.assignment())
    const flat = owned.flat().sort((a, b) => a - b)
    return owned.every(a => a.length > 0) && flat.length === all.length && flat.every((p, i) => p === all[i])
  }
  const waitSettled = async (what: string) => {
    // Settled twice 300 ms apart: a member that has not yet heard of a rebalance still looks settled.
    for (;;) {
      await waitFor(settled, left(), () => `${what}: ${describe()}`, ops.failed)
      await sleep(300)
      if (settled()) return
    }
  }
  try {
    members.set('A', await ops.startMember('A', onMessage('A')))
    members.set('B', await ops.startMember('B', onMessage('B')))
    await waitSettled('A and B to share every partition')
    await ops.produce(req.phase1.start, req.phase1.count)
    await waitFor(() => processed.length >= req.phase1.count, left(), () => `phase 1 to be consumed: ${describe()}`, ops.failed)
    await sleep(300) // lets auto-committing clients commit before the rebalance
    members.set('C', await ops.startMember('C', onMessage('C')))
    await waitSettled('A, B and C to settle')
    const assignments = Object.fromEntries([...members].map(([n, m]) => [n, m.assignment()]))
    await ops.produce(req.phase2.start, req.phase2.count)
    const total = req.phase1.count + req.phase2.count
    await waitFor(() => processed.length >= total, left(), () => `phase 2 to be consumed: ${describe()}`, ops.failed)
    await sleep(300) // a duplicate delivered late would show up here
    await Promise.all([...members.values()].map(m => m.stop()))
    members.clear()
    return { processed, assignments, committed: await ops.committed() }
  } finally {
    await Promise.all([...members.values()].map(m => m.stop().catch(e => log('stopping a member failed:', e))))
  }
}

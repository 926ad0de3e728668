// @platformatic/kafka's admin client (a second modern client with the ACL and quota calls that
// kafkajs lacks) against a real Millrace: the answers Kafka gives with no authorizer and no quotas.
import t from 'tap'
import { Admin } from '@platformatic/kafka'
import { startTempBroker, type TempBroker } from './helpers.js'

let broker: TempBroker
let admin: Admin
t.before(async () => {
  broker = await startTempBroker({})
  admin = new Admin({ clientId: 'millrace-admin-test', bootstrapBrokers: [broker.bootstrap], retries: 0 })
})
t.teardown(async () => {
  await admin?.close()
  await broker?.destroy()
})

/** The Kafka error names inside a client error (platformatic nests them: MultipleErrors → ResponseError → protocol errors). */
function kafkaErrors(e: unknown): string[] {
  const out: string[] = []
  const walk = (x: unknown): void => {
    if (!x || typeof x !== 'object') return
    const o = x as { apiId?: string; errors?: unknown[] }
    if (typeof o.apiId === 'string') out.push(o.apiId)
    for (const inner of o.errors ?? []) walk(inner)
  }
  walk(e)
  return out
}

const errorOf = (p: Promise<unknown>): Promise<unknown> => p.then(() => null, (e: unknown) => e)

t.test('describeClientQuotas: none set, so nothing matches; a filter Kafka refuses is refused', async t => {
  t.same(await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: 0, match: 'alice' }] }), [])
  t.same(await admin.describeClientQuotas({ components: [{ entityType: 'client-id', matchType: 2 }] }), [])
  t.same(kafkaErrors(await errorOf(admin.describeClientQuotas({ components: [{ entityType: 'group' as unknown as 'user', matchType: 0, match: 'g' }] }))), ['UNSUPPORTED_VERSION'], 'an unknown entity type')
})

t.test('describeAcls, createAcls, deleteAcls: SECURITY_DISABLED', async t => {
  const filter = { resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: null, host: null, operation: 1, permissionType: 1 } as const
  t.same(kafkaErrors(await errorOf(admin.describeAcls({ filter }))), ['SECURITY_DISABLED'], 'describeAcls')
  const acl = { resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 } as const
  t.ok(kafkaErrors(await errorOf(admin.createAcls({ creations: [acl] }))).includes('SECURITY_DISABLED'), 'createAcls')
  t.ok(kafkaErrors(await errorOf(admin.deleteAcls({ filters: [filter] }))).includes('SECURITY_DISABLED'), 'deleteAcls')
})

// The consumer-group APIs (classic protocol), wired to one GroupCoordinator.

import type { MetadataImage } from '../kraft/index.js'
import type { GroupCoordinator } from '../groups/index.js'
import type { TransactionCoordinator } from '../txn/index.js'
import type { Logger } from '../util/index.js'
import type { ApiHandler } from './handler.js'
import { deleteGroupsHandler } from './delete-groups.js'
import { describeGroupsHandler } from './describe-groups.js'
import { findCoordinatorHandler } from './find-coordinator.js'
import { heartbeatHandler } from './heartbeat.js'
import { joinGroupHandler } from './join-group.js'
import { leaveGroupHandler } from './leave-group.js'
import { listGroupsHandler } from './list-groups.js'
import { offsetCommitHandler } from './offset-commit.js'
import { offsetDeleteHandler } from './offset-delete.js'
import { offsetFetchHandler } from './offset-fetch.js'
import { syncGroupHandler } from './sync-group.js'

export interface GroupHandlersDeps {
  coordinator: GroupCoordinator
  transactions: TransactionCoordinator
  image: MetadataImage
  log: Logger
}

export function groupHandlers(d: GroupHandlersDeps): ApiHandler<any>[] {
  const c = { coordinator: d.coordinator }
  return [
    findCoordinatorHandler({ coordinator: d.coordinator, transactions: d.transactions, image: d.image, log: d.log }),
    joinGroupHandler(c),
    syncGroupHandler(c),
    heartbeatHandler(c),
    leaveGroupHandler(c),
    offsetCommitHandler(c),
    offsetFetchHandler(c),
    offsetDeleteHandler(c),
    listGroupsHandler(c),
    describeGroupsHandler(c),
    deleteGroupsHandler(c),
  ]
}

// What every part of the group coordinator shares: the clock and its timers, the logger, the
// current group config, and the registry of the groups this node serves.

import { quoteId, type Logger } from '../util/index.js'
import { ErrorCode, errorName } from '../wire/index.js'
import { groupConfigOf, type GroupConfig } from './config.js'
import type { GroupCoordinatorDeps } from './deps.js'
import { GroupRegistry } from './registry.js'
import { systemTime, type Time } from '../util/index.js'

export class CoordinatorContext {
  readonly time: Time
  readonly log: Logger
  readonly registry: GroupRegistry

  constructor(private readonly deps: GroupCoordinatorDeps) {
    this.time = deps.time ?? systemTime
    this.log = deps.log
    this.registry = new GroupRegistry(deps.image, () => this.cfg(), this.time)
  }

  cfg(): GroupConfig {
    return groupConfigOf(this.deps.config())
  }

  now(): number {
    return this.time.now()
  }

  /** A group id for a log line, cut short when it is long. */
  describeId(groupId: string): string {
    return quoteId(groupId)
  }

  /** Logs a refused group request: at debug for "ask another node / later", else at info. */
  refuse(api: string, groupId: string, errorCode: number, detail = ''): void {
    const quiet = errorCode === ErrorCode.NOT_COORDINATOR || errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE
    const line = `${api} for group ${this.describeId(groupId)}: ${errorName(errorCode)}${detail ? ` (${detail})` : ''}`
    if (quiet) this.log.debug(line)
    else this.log.info(line)
  }
}

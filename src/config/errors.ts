import { closest, distance } from 'fastest-levenshtein'

/** INVALID_CONFIG, the Kafka error code a request handler answers with for any of these problems. */
export const INVALID_CONFIG_ERROR_CODE = 40

/** One problem with one config key. */
export interface ConfigIssue {
  /** The config key (as given), when the problem is about a key. */
  key?: string
  /** The value as given (null when the request sent a null value). */
  value?: string | null
  /** Human-readable text, e.g. `unknown config 'retension.ms' — did you mean 'retention.ms'?`. */
  message: string
  /** Where the value came from, e.g. `server.properties:12`, `env MILLRACE_LOG_DIRS`, `--override`. */
  origin?: string
}

/**
 * Every configuration problem: unknown keys, bad values, unreadable files, bad arguments.
 * With one issue the message is that issue's text exactly; with several, one per line.
 */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[]
  /** The Kafka error code to answer a client with (INVALID_CONFIG). */
  readonly errorCode = INVALID_CONFIG_ERROR_CODE

  constructor(issues: ConfigIssue | readonly ConfigIssue[] | string) {
    const list: ConfigIssue[] =
      typeof issues === 'string' ? [{ message: issues }] : Array.isArray(issues) ? [...issues] : [issues as ConfigIssue]
    super(list.map((i) => i.message).join('\n'))
    this.name = 'ConfigError'
    this.issues = list
  }
}

/**
 * The closest known name to `name`, if it is close enough to be a plausible typo:
 * at most max(2, a third of the name's length) single-character edits away.
 */
export function suggestName(name: string, known: readonly string[]): string | undefined {
  if (known.length === 0 || name.length === 0) return undefined
  const best = closest(name, known)
  const limit = Math.max(2, Math.floor(name.length / 3))
  return distance(name, best) <= limit ? best : undefined
}

/** `unknown config 'x'`, plus ` — did you mean 'y'?` when a known name is close. */
export function unknownConfigMessage(name: string, known: readonly string[]): string {
  const s = suggestName(name, known)
  return s === undefined ? `unknown config '${name}'` : `unknown config '${name}' — did you mean '${s}'?`
}

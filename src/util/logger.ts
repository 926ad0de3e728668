// One line per event on stderr: `2026-11-24T10:00:00.000Z WARN server: message`.
// MILLRACE_LOG_LEVEL (debug|info|warn|error|silent) sets the threshold; tests set it to keep quiet.

export interface Logger {
  debug(msg: string): void
  info(msg: string): void
  warn(msg: string): void
  error(msg: string): void
  child(name: string): Logger
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const
type Level = keyof typeof LEVELS

let threshold: number = LEVELS[(process.env.MILLRACE_LOG_LEVEL as Level) ?? 'info'] ?? LEVELS.info
/** Where lines go; tests may capture them. */
let sink: (line: string) => void = line => process.stderr.write(line + '\n')

export function setLogLevel(level: Level): void {
  threshold = LEVELS[level]
}

/** Replaces the output function (for tests that assert on log lines); returns the previous one. */
export function setLogSink(fn: (line: string) => void): (line: string) => void {
  const prev = sink
  sink = fn
  return prev
}

export function createLogger(name: string): Logger {
  const emit = (level: Level, msg: string): void => {
    if (LEVELS[level] < threshold) return
    sink(`${new Date().toISOString()} ${level.toUpperCase()} ${name}: ${msg}`)
  }
  return {
    debug: msg => emit('debug', msg),
    info: msg => emit('info', msg),
    warn: msg => emit('warn', msg),
    error: msg => emit('error', msg),
    child: sub => createLogger(`${name}.${sub}`),
  }
}

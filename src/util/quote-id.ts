// Client-chosen ids (group ids, transactional ids) in log lines: quoted, and cut short when long,
// so that one request cannot flood the log.

const MAX_SHOWN = 100

export function quoteId(id: string): string {
  return id.length > MAX_SHOWN ? `'${id.slice(0, MAX_SHOWN)}…' (${id.length} chars)` : `'${id}'`
}

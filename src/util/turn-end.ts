// Work held back to the end of the event loop's current turn, done in two stages: first every
// staged log write, then every response held on a corked socket.
//
// Requests that arrive together (a producer pipelining, several producers at once) are then
// appended with one write per log and answered with one write per connection. The order of the
// stages is the guarantee: an acknowledgement never leaves before the bytes it acknowledges are
// in the file. When a staged write fails, the held responses are dropped instead (their
// connections close), since some of them may acknowledge what was not written.

/** A file with appends staged in memory. */
export interface StagedWriter {
  /** Writes what is staged; false when the write failed (the writer has already reported why). */
  writeStaged(): boolean
}

/** A connection holding responses until the turn's writes are done. */
export interface HeldResponses {
  release(): void
  drop(reason: string): void
}

let writers: StagedWriter[] = []
let holders: HeldResponses[] = []
let scheduled = false

function schedule(): void {
  if (scheduled) return
  scheduled = true
  setImmediate(runTurnEnd)
}

/** Asks for `w.writeStaged()` at the end of this turn (once per turn is enough; more is harmless). */
export function writeAtTurnEnd(w: StagedWriter): void {
  writers.push(w)
  schedule()
}

/** Asks for `h.release()` at the end of this turn, after every staged write. */
export function releaseAtTurnEnd(h: HeldResponses): void {
  holders.push(h)
  schedule()
}

function runTurnEnd(): void {
  scheduled = false
  // Swap the lists first: anything asked for while they run belongs to the next turn.
  const w = writers
  const h = holders
  writers = []
  holders = []
  let failed = false
  for (let i = 0; i < w.length; i++) if (!w[i]!.writeStaged()) failed = true
  for (let i = 0; i < h.length; i++) {
    if (failed) h[i]!.drop('a log write failed this turn; its acknowledgements are withdrawn')
    else h[i]!.release()
  }
}

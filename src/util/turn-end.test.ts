import t from 'tap'
import { releaseAtTurnEnd, writeAtTurnEnd, type HeldResponses, type StagedWriter } from './turn-end.js'

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

function holder(events: string[], name: string): HeldResponses {
  return { release: () => events.push(`release ${name}`), drop: (why) => events.push(`drop ${name}: ${why}`) }
}

function writer(events: string[], name: string, ok = true): StagedWriter {
  return {
    writeStaged: () => {
      events.push(`write ${name}`)
      return ok
    },
  }
}

t.test('writes staged in a turn run before the responses held in it, whatever the order asked', async (tt) => {
  const events: string[] = []
  releaseAtTurnEnd(holder(events, 'a'))
  writeAtTurnEnd(writer(events, 'x'))
  releaseAtTurnEnd(holder(events, 'b'))
  writeAtTurnEnd(writer(events, 'y'))
  tt.same(events, [], 'nothing happens before the turn ends')
  await nextTurn()
  tt.same(events, ['write x', 'write y', 'release a', 'release b'])
})

t.test('a failed write drops every response held in that turn, and only in that turn', async (tt) => {
  const events: string[] = []
  releaseAtTurnEnd(holder(events, 'a'))
  writeAtTurnEnd(writer(events, 'x', false))
  writeAtTurnEnd(writer(events, 'y'))
  await nextTurn()
  tt.equal(events.length, 3)
  tt.same(events.slice(0, 2), ['write x', 'write y'], 'the other writers still write')
  tt.match(events[2], /^drop a: a log write failed/)

  events.length = 0
  releaseAtTurnEnd(holder(events, 'c'))
  await nextTurn()
  tt.same(events, ['release c'], 'the next turn is not affected')
})

t.test('what is asked for while the turn end runs waits for the next one', async (tt) => {
  const events: string[] = []
  const late = holder(events, 'late')
  writeAtTurnEnd({
    writeStaged: () => {
      events.push('write x')
      releaseAtTurnEnd(late)
      return true
    },
  })
  await nextTurn()
  tt.same(events, ['write x'])
  await nextTurn()
  tt.same(events, ['write x', 'release late'])
})

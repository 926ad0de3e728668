import t from 'tap'
import {
  ALL_ERRORS,
  ErrorCode,
  type ErrorCodeName,
  KafkaError,
  errorCodeOf,
  errorInfo,
  errorName,
  isRetriable,
} from './errors.js'

t.test('the table is complete and consistent', async (t) => {
  const codes = ALL_ERRORS.map((e) => e.code)
  t.equal(new Set(codes).size, codes.length, 'codes are unique')
  const names = ALL_ERRORS.map((e) => e.name)
  t.equal(new Set(names).size, names.length, 'names are unique')
  // Kafka's codes are contiguous from -1 to the highest.
  const sorted = [...codes].sort((a, b) => a - b)
  t.same(sorted, codes, 'listed in ascending order')
  t.same(codes, Array.from({ length: codes.length }, (_, i) => i - 1), 'no gaps from -1 upward')
  t.ok(codes[codes.length - 1]! >= 133, 'reaches at least 133')
  t.equal(Object.keys(ErrorCode).length, ALL_ERRORS.length, 'ErrorCode has one key per row')
  for (const e of ALL_ERRORS) {
    t.equal(ErrorCode[e.name as ErrorCodeName], e.code, `ErrorCode.${e.name}`)
    t.match(e.name, /^[A-Z][A-Z0-9_]*$/)
    if (e.code !== 0) t.ok(e.message.length > 0, `${e.name} has a message`)
  }
  t.ok(Object.isFrozen(ErrorCode))
})

t.test("spot checks against Kafka's table", async (t) => {
  const check = (code: number, name: string, retriable: boolean) => {
    const e = errorInfo(code)
    t.equal(e.name, name, `${code} is ${name}`)
    t.equal(e.retriable, retriable, `${name} retriable=${retriable}`)
  }
  check(-1, 'UNKNOWN_SERVER_ERROR', false)
  check(0, 'NONE', false)
  check(1, 'OFFSET_OUT_OF_RANGE', false)
  check(2, 'CORRUPT_MESSAGE', true)
  check(3, 'UNKNOWN_TOPIC_OR_PARTITION', true)
  check(6, 'NOT_LEADER_OR_FOLLOWER', true)
  check(10, 'MESSAGE_TOO_LARGE', false)
  check(15, 'COORDINATOR_NOT_AVAILABLE', true)
  check(16, 'NOT_COORDINATOR', true)
  check(27, 'REBALANCE_IN_PROGRESS', false)
  check(35, 'UNSUPPORTED_VERSION', false)
  check(36, 'TOPIC_ALREADY_EXISTS', false)
  check(40, 'INVALID_CONFIG', false)
  check(41, 'NOT_CONTROLLER', true)
  check(42, 'INVALID_REQUEST', false)
  check(51, 'CONCURRENT_TRANSACTIONS', true)
  check(56, 'KAFKA_STORAGE_ERROR', true)
  check(79, 'MEMBER_ID_REQUIRED', false)
  check(84, 'ELECTION_NOT_NEEDED', true)
  check(87, 'INVALID_RECORD', false)
  check(90, 'PRODUCER_FENCED', false)
  check(100, 'UNKNOWN_TOPIC_ID', true)
  check(110, 'FENCED_MEMBER_EPOCH', false)
  check(120, 'TRANSACTION_ABORTABLE', false)
  check(122, 'SHARE_SESSION_NOT_FOUND', true)
  check(127, 'VOTER_NOT_FOUND', false)
  check(133, 'SHARE_SESSION_LIMIT_REACHED', true)

  t.equal(ErrorCode.NONE, 0)
  t.equal(ErrorCode.UNSUPPORTED_VERSION, 35)
  t.equal(ErrorCode.INVALID_CONFIG, 40)
  t.equal(ErrorCode.MEMBER_ID_REQUIRED, 79)
  t.equal(errorInfo(35).message, 'The version of API is not supported.')
  t.equal(errorInfo(3).message, 'This server does not host this topic-partition.')
  t.equal(errorInfo(0).message, '')
})

t.test('unknown codes', async (t) => {
  t.same(errorInfo(999), { code: 999, name: 'UNKNOWN', retriable: false, message: 'Unknown error code 999.' })
  t.equal(errorName(999), 'UNKNOWN(999)')
  t.equal(errorName(-2), 'UNKNOWN(-2)')
  t.equal(errorName(25), 'UNKNOWN_MEMBER_ID')
  t.equal(isRetriable(999), false)
  t.equal(isRetriable(7), true)
})

t.test('KafkaError', async (t) => {
  const e = new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  t.ok(e instanceof Error)
  t.equal(e.code, 3)
  t.equal(e.name, 'KafkaError')
  t.equal(e.message, 'This server does not host this topic-partition.')
  t.equal(e.errorName, 'UNKNOWN_TOPIC_OR_PARTITION')
  t.equal(e.retriable, true)
  t.ok(e.stack)

  const custom = new KafkaError(ErrorCode.INVALID_CONFIG, "unknown config 'x'")
  t.equal(custom.message, "unknown config 'x'")
  t.equal(custom.retriable, false)

  t.equal(new KafkaError(0).message, 'NONE', 'NONE has no message; the name stands in')
  t.equal(new KafkaError(4242).message, 'Unknown error code 4242.')

  t.equal(errorCodeOf(custom), 40)
  t.equal(errorCodeOf(new Error('boom')), -1)
  t.equal(errorCodeOf(Object.assign(new Error('crc'), { errorCode: 2 })), 2)
  t.equal(errorCodeOf(Object.assign(new Error('odd'), { errorCode: 5000 })), -1)
  t.equal(errorCodeOf('string'), -1)
  t.equal(errorCodeOf(null), -1)
})

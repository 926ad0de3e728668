export { createLogger, setLogLevel, setLogSink, type Logger } from './logger.js'
export { releaseAtTurnEnd, writeAtTurnEnd, type HeldResponses, type StagedWriter } from './turn-end.js'
export { ConcurrencyLimit } from './concurrency-limit.js'

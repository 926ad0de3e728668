export { createLogger, setLogLevel, setLogSink, type Logger } from './logger.js'

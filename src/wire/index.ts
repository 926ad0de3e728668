// The public face of src/wire: pure codecs with no I/O and no imports from above.
export * from './codec/index.js'
export * from './generated/index.js'
export * from './protocol.js'
export * from './errors.js'
export * from './records/index.js'

// The public face of src/wire/records: record batch v2 (and legacy v0/v1 reading).
export * from './errors.js'
export * from './crc.js'
export * from './varint.js'
export * from './compression.js'
export * from './batch.js'
export * from './batch-validation.js'
export * from './codec.js'
export * from './legacy.js'

/**
 * Kafka's small text files: offset checkpoints (recovery-point-offset-checkpoint,
 * log-start-offset-checkpoint, replication-offset-checkpoint, cleaner-offset-checkpoint),
 * leader-epoch-checkpoint, meta.properties, partition.metadata and the clean
 * shutdown marker. All writes are atomic (temp file + fsync + rename).
 */
import crypto from 'node:crypto'
import { atomicWriteFile, readFileOrNull } from './fsutil.js'

export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint'
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint'
export const REPLICATION_OFFSET_CHECKPOINT = 'replication-offset-checkpoint'
export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint'
export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint'
export const META_PROPERTIES = 'meta.properties'
export const PARTITION_METADATA = 'partition.metadata'
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown'

export class CheckpointFormatError extends Error {
  constructor(file: string, why: string) {
    super(`malformed checkpoint file ${file}: ${why}`)
    this.name = 'CheckpointFormatError'
  }
}

export interface TopicPartitionOffset {
  topic: string
  partition: number
  offset: number
}

/** "topic-partition" key used for maps of partitions. */
export function tpKey(topic: string, partition: number): string {
  return `${topic}-${partition}`
}

const INT_RE = /^-?\d+$/

function parseIntStrict(s: string | undefined, file: string, what: string): number {
  if (s === undefined || !INT_RE.test(s)) throw new CheckpointFormatError(file, `bad ${what} ${JSON.stringify(s)}`)
  const n = Number(s)
  if (!Number.isSafeInteger(n)) throw new CheckpointFormatError(file, `${what} ${s} is out of range`)
  return n
}

/** Generic Kafka CheckpointFile body: version line, count line, then one entry per line. */
function parseCheckpointLines(text: string, file: string, expectedVersion: number): string[] {
  const lines = text.split('\n')
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  const version = parseIntStrict(lines[0]?.trim(), file, 'version')
  if (version !== expectedVersion) throw new CheckpointFormatError(file, `unrecognised version ${version}`)
  const count = parseIntStrict(lines[1]?.trim(), file, 'entry count')
  const entries = lines.slice(2)
  if (entries.length !== count) {
    throw new CheckpointFormatError(file, `expected ${count} entries, found ${entries.length}`)
  }
  return entries
}

export function formatOffsetCheckpoint(entries: Iterable<TopicPartitionOffset>): string {
  const lines: string[] = []
  for (const e of entries) lines.push(`${e.topic} ${e.partition} ${e.offset}`)
  return `0\n${lines.length}\n${lines.map((l) => l + '\n').join('')}`
}

export function parseOffsetCheckpoint(text: string, file = 'checkpoint'): TopicPartitionOffset[] {
  return parseCheckpointLines(text, file, 0).map((line) => {
    const parts = line.trim().split(/\s+/)
    if (parts.length !== 3) throw new CheckpointFormatError(file, `malformed line ${JSON.stringify(line)}`)
    return {
      topic: parts[0]!,
      partition: parseIntStrict(parts[1], file, 'partition'),
      offset: parseIntStrict(parts[2], file, 'offset'),
    }
  })
}

export async function writeOffsetCheckpoint(file: string, entries: Iterable<TopicPartitionOffset>): Promise<void> {
  await atomicWriteFile(file, formatOffsetCheckpoint(entries))
}

/** The checkpoint as a map keyed by tpKey, or an empty map when the file does not exist. Throws CheckpointFormatError. */
export async function readOffsetCheckpoint(file: string): Promise<Map<string, TopicPartitionOffset>> {
  const buf = await readFileOrNull(file)
  const out = new Map<string, TopicPartitionOffset>()
  if (buf === null) return out
  for (const e of parseOffsetCheckpoint(buf.toString('utf8'), file)) out.set(tpKey(e.topic, e.partition), e)
  return out
}

export interface EpochEntry {
  epoch: number
  startOffset: number
}

export function formatLeaderEpochCheckpoint(entries: readonly EpochEntry[]): string {
  return `0\n${entries.length}\n${entries.map((e) => `${e.epoch} ${e.startOffset}\n`).join('')}`
}

export function parseLeaderEpochCheckpoint(text: string, file = LEADER_EPOCH_CHECKPOINT): EpochEntry[] {
  return parseCheckpointLines(text, file, 0).map((line) => {
    const parts = line.trim().split(/\s+/)
    if (parts.length !== 2) throw new CheckpointFormatError(file, `malformed line ${JSON.stringify(line)}`)
    return { epoch: parseIntStrict(parts[0], file, 'epoch'), startOffset: parseIntStrict(parts[1], file, 'offset') }
  })
}

// ---------------------------------------------------------------------------------------------
// meta.properties

export interface MetaProperties {
  version: number
  clusterId: string
  nodeId: number
  directoryId: string
}

/** Parses a Java properties file (the simple subset Kafka writes: key=value lines, # comments). */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line)
    if (m) out.set(m[1]!.replace(/\\(.)/g, '$1'), m[2]!.replace(/\\(.)/g, '$1'))
  }
  return out
}

export function formatMetaProperties(p: MetaProperties, now = new Date()): string {
  // Java's Properties.store writes a comment header and a date line.
  return `#\n#${now.toUTCString()}\ncluster.id=${p.clusterId}\ndirectory.id=${p.directoryId}\nnode.id=${p.nodeId}\nversion=${p.version}\n`
}

export function parseMetaProperties(text: string, file = META_PROPERTIES): MetaProperties {
  const props = parseProperties(text)
  const version = parseIntStrict(props.get('version'), file, 'version')
  if (version !== 1) throw new CheckpointFormatError(file, `unsupported meta.properties version ${version}`)
  const clusterId = props.get('cluster.id')
  if (!clusterId) throw new CheckpointFormatError(file, 'missing cluster.id')
  const nodeId = parseIntStrict(props.get('node.id'), file, 'node.id')
  const directoryId = props.get('directory.id') ?? ''
  return { version, clusterId, nodeId, directoryId }
}

export async function readMetaProperties(file: string): Promise<MetaProperties | null> {
  const buf = await readFileOrNull(file)
  return buf === null ? null : parseMetaProperties(buf.toString('utf8'), file)
}

export async function writeMetaProperties(file: string, p: MetaProperties): Promise<void> {
  await atomicWriteFile(file, formatMetaProperties(p))
}

/**
 * A random Kafka Uuid in its string form: 16 random bytes, URL-safe base64 without
 * padding (22 characters), never all-zero or starting with '-' (as Kafka's Uuid.randomUuid).
 */
export function randomKafkaUuid(): string {
  for (;;) {
    const s = crypto.randomBytes(16).toString('base64url')
    if (!s.startsWith('-') && s !== 'AAAAAAAAAAAAAAAAAAAAAA' && s !== 'AAAAAAAAAAAAAAAAAAAAAQ') return s
  }
}

// ---------------------------------------------------------------------------------------------
// partition.metadata ("version: 0\ntopic_id: <uuid>")

export function formatPartitionMetadata(topicId: string): string {
  return `version: 0\ntopic_id: ${topicId}\n`
}

export function parsePartitionMetadata(text: string, file = PARTITION_METADATA): string {
  const lines = text.split('\n').map((l) => l.trim())
  if (lines[0] !== 'version: 0') throw new CheckpointFormatError(file, `unrecognised version line ${JSON.stringify(lines[0])}`)
  const m = /^topic_id:\s*(\S+)$/.exec(lines[1] ?? '')
  if (!m) throw new CheckpointFormatError(file, 'missing topic_id')
  return m[1]!
}

// ---------------------------------------------------------------------------------------------
// clean shutdown marker (Kafka 3.7+ writes {"version":0,"brokerEpoch":N}; older ones an empty file)

export function formatCleanShutdown(brokerEpoch = -1): string {
  return JSON.stringify({ version: 0, brokerEpoch })
}

/** The broker epoch from a clean-shutdown file's contents (-1 for an empty or old-style file). */
export function parseCleanShutdown(text: string): number {
  if (text.trim() === '') return -1
  try {
    const o = JSON.parse(text) as { brokerEpoch?: unknown }
    return typeof o.brokerEpoch === 'number' ? o.brokerEpoch : -1
  } catch {
    return -1
  }
}

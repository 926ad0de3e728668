/**
 * LogManager: owns one or more log directories and every partition log in them.
 * Loads logs at start (skipping recovery after a clean shutdown), creates and
 * deletes logs, writes the per-directory checkpoints, runs flush-by-time,
 * retention, producer expiry and the log cleaner on timers (each also callable
 * directly), and marks a clean shutdown.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import {
  CLEANER_OFFSET_CHECKPOINT,
  CLEAN_SHUTDOWN_FILE,
  LOG_START_OFFSET_CHECKPOINT,
  META_PROPERTIES,
  PARTITION_METADATA,
  RECOVERY_POINT_CHECKPOINT,
  REPLICATION_OFFSET_CHECKPOINT,
  formatCleanShutdown,
  formatPartitionMetadata,
  parsePartitionMetadata,
  randomKafkaUuid,
  readMetaProperties,
  readOffsetCheckpoint,
  tpKey,
  writeMetaProperties,
  writeOffsetCheckpoint,
  type MetaProperties,
  type TopicPartitionOffset,
} from './checkpoint.js'
import { LogCleaner, type CleanerStats } from './cleaner.js'
import { type Clock, type LogConfig, type Logger, consoleLogger, isCompacted, makeLogConfig, systemClock } from './config.js'
import { ConcurrencyLimit } from '../util/index.js'
import { FilePool } from './file-pool.js'
import { atomicWriteFile, fsyncDir, readFileOrNull, unlinkIfExists } from './fsutil.js'
import { Log, parseTopicPartitionName } from './log.js'

export interface LogManagerOptions {
  /** log.dirs */
  logDirs: string[]
  /** Defaults for every log (topic configs override per log). */
  defaultConfig?: Partial<LogConfig>
  logger?: Logger
  clock?: Clock
  /** Most segment files open at once across all logs. Default: half the process's open-file limit. */
  maxOpenFiles?: number
  /** node.id and cluster.id for meta.properties (checked when present, written when missing). */
  nodeId?: number
  clusterId?: string
  /** Written into the clean-shutdown marker. */
  brokerEpoch?: number
  /** Logs loaded in parallel at start-up. Default 8. */
  loadConcurrency?: number
  /** Logs created (or given a new topic id) at once: 64 by default (fsyncs of many partitions then share journal commits; each holds a few files open). */
  createConcurrency?: number
  /** log.flush.offset.checkpoint.interval.ms (recovery points, replication offsets). Default 60000. */
  checkpointIntervalMs?: number
  /** log.flush.start.offset.checkpoint.interval.ms. Default 60000. */
  logStartOffsetCheckpointIntervalMs?: number
  /** log.retention.check.interval.ms. Default 300000. */
  retentionCheckIntervalMs?: number
  /** How often flush.ms is checked. Default 1000. */
  flushCheckIntervalMs?: number
  /** log.cleaner.enable. Default true. */
  cleanerEnabled?: boolean
  /** log.cleaner.backoff.ms. Default 15000. */
  cleanerBackoffMs?: number
  /** Largest number of distinct keys the cleaner maps in one pass (log.cleaner.dedupe.buffer.size analogue). */
  cleanerMaxMapEntries?: number
  /** producer.id.expiration.check.interval.ms. Default 600000. */
  producerExpirationCheckIntervalMs?: number
  /** Start the background timers (default true; tests call the methods instead). */
  startTimers?: boolean
}

interface DirState {
  dir: string
  cleanShutdown: boolean
  meta: MetaProperties | null
  writes: Map<string, Promise<void>>
}

export interface LoadSummary {
  logs: number
  cleanShutdownDirs: number
  recoveredLogs: number
  loadTimeMs: number
}

const DELETE_DIR_SUFFIX = '-delete'

interface LogEntry {
  log: Log
  dir: DirState
  /** What the log's partition.metadata holds (undefined: no file, or one that does not parse). */
  topicId: string | undefined
}

export class LogManager {
  readonly logDirs: string[]
  readonly logger: Logger
  readonly clock: Clock
  readonly pool: FilePool
  defaultConfig: LogConfig
  private readonly opts: LogManagerOptions
  private readonly logs = new Map<string, LogEntry>()
  private readonly creating = new Map<string, Promise<Log>>()
  /** Logs being deleted: a log of the same partition is created only once the old directory is gone from its name. */
  private readonly deleting = new Map<string, Promise<void>>()
  /** Log creations running at once (each holds a few files open while it runs). */
  private readonly creations: ConcurrencyLimit
  private readonly dirs: DirState[] = []
  private readonly timers: NodeJS.Timeout[] = []
  private readonly cleaner: LogCleaner
  /** First dirty offset per compacted log (cleaner-offset-checkpoint). */
  private readonly cleanerCheckpoints = new Map<string, number>()
  private background = new Set<Promise<unknown>>()
  private shuttingDown = false
  private cleanerRunning: Promise<CleanerStats> | null = null
  private retentionRunning: Promise<number> | null = null
  loadSummary: LoadSummary = { logs: 0, cleanShutdownDirs: 0, recoveredLogs: 0, loadTimeMs: 0 }

  private constructor(opts: LogManagerOptions) {
    if (opts.logDirs.length === 0) throw new RangeError('LogManager needs at least one log directory')
    this.opts = opts
    this.logDirs = opts.logDirs.map((d) => path.resolve(d))
    this.logger = opts.logger ?? consoleLogger
    this.clock = opts.clock ?? systemClock
    this.pool = new FilePool(opts.maxOpenFiles)
    this.creations = new ConcurrencyLimit(Math.max(1, opts.createConcurrency ?? 64))
    this.defaultConfig = makeLogConfig(opts.defaultConfig ?? {})
    this.cleaner = new LogCleaner({ logger: this.logger, clock: this.clock, maxMapEntries: opts.cleanerMaxMapEntries })
  }

  /** Opens every log in the log directories and starts the background tasks. */
  static async start(opts: LogManagerOptions): Promise<LogManager> {
    const m = new LogManager(opts)
    await m.loadAll()
    if (opts.startTimers !== false) m.startTimers()
    return m
  }

  // ---------------------------------------------------------------------------------------------
  // Loading

  private async loadAll(): Promise<void> {
    const t0 = performance.now()
    const toLoad: Array<{ dir: DirState; name: string; topic: string; partition: number; rp: Map<string, TopicPartitionOffset>; ls: Map<string, TopicPartitionOffset>; hw: Map<string, TopicPartitionOffset> }> = []
    for (const dir of this.logDirs) {
      await fs.promises.mkdir(dir, { recursive: true })
      const meta = await this.loadMeta(dir)
      const marker = path.join(dir, CLEAN_SHUTDOWN_FILE)
      const cleanShutdown = (await readFileOrNull(marker)) !== null
      if (cleanShutdown) {
        // From here on a crash is an unclean shutdown.
        await unlinkIfExists(marker)
        await fsyncDir(dir)
        this.loadSummary.cleanShutdownDirs++
      }
      const state: DirState = { dir, cleanShutdown, meta, writes: new Map() }
      this.dirs.push(state)
      const rp = await this.readCheckpoint(dir, RECOVERY_POINT_CHECKPOINT)
      const ls = await this.readCheckpoint(dir, LOG_START_OFFSET_CHECKPOINT)
      const hw = await this.readCheckpoint(dir, REPLICATION_OFFSET_CHECKPOINT)
      const co = await this.readCheckpoint(dir, CLEANER_OFFSET_CHECKPOINT)
      for (const [k, v] of co) this.cleanerCheckpoints.set(k, v.offset)
      for (const ent of await fs.promises.readdir(dir, { withFileTypes: true })) {
        if (!ent.isDirectory()) continue
        if (ent.name.endsWith(DELETE_DIR_SUFFIX)) {
          this.removeDirInBackground(path.join(dir, ent.name))
          continue
        }
        if (ent.name.endsWith('-future') || ent.name.endsWith('-stray')) continue
        const tp = parseTopicPartitionName(ent.name)
        if (!tp) continue
        toLoad.push({ dir: state, name: ent.name, topic: tp.topic, partition: tp.partition, rp, ls, hw })
      }
    }
    const concurrency = Math.max(1, this.opts.loadConcurrency ?? 8)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < toLoad.length) {
        const item = toLoad[next++]!
        const key = tpKey(item.topic, item.partition)
        if (this.logs.has(key)) {
          throw new Error(`duplicate log directories for ${key}: ${this.logs.get(key)!.log.dir} and ${path.join(item.dir.dir, item.name)}`)
        }
        const log = await Log.open({
          dir: path.join(item.dir.dir, item.name),
          topic: item.topic,
          partition: item.partition,
          config: this.defaultConfig,
          logger: this.logger,
          clock: this.clock,
          pool: this.pool,
          recoveryPoint: item.rp.get(key)?.offset,
          logStartOffset: item.ls.get(key)?.offset,
          highWatermark: item.hw.get(key)?.offset,
          hadCleanShutdown: item.dir.cleanShutdown,
          hooks: this.hooksFor(item.dir),
        })
        if (log.loadStats.recoveryRan) this.loadSummary.recoveredLogs++
        this.logs.set(key, { log, dir: item.dir, topicId: await this.readTopicId(log) })
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, toLoad.length) }, worker))
    this.loadSummary.logs = this.logs.size
    this.loadSummary.loadTimeMs = performance.now() - t0
    this.logger.info(
      `loaded ${this.logs.size} log(s) from ${this.logDirs.length} dir(s) in ${this.loadSummary.loadTimeMs.toFixed(1)} ms` +
        ` (${this.loadSummary.recoveredLogs} recovered after an unclean shutdown)`,
    )
  }

  private async loadMeta(dir: string): Promise<MetaProperties | null> {
    const file = path.join(dir, META_PROPERTIES)
    const meta = await readMetaProperties(file)
    if (meta) {
      if (this.opts.clusterId !== undefined && meta.clusterId !== this.opts.clusterId) {
        throw new Error(`${file}: cluster.id ${meta.clusterId} does not match the configured cluster id ${this.opts.clusterId}`)
      }
      if (this.opts.nodeId !== undefined && meta.nodeId !== this.opts.nodeId) {
        throw new Error(`${file}: node.id ${meta.nodeId} does not match the configured node.id ${this.opts.nodeId}`)
      }
      return meta
    }
    if (this.opts.clusterId !== undefined && this.opts.nodeId !== undefined) {
      const created: MetaProperties = { version: 1, clusterId: this.opts.clusterId, nodeId: this.opts.nodeId, directoryId: randomKafkaUuid() }
      await writeMetaProperties(file, created)
      return created
    }
    return null
  }

  /** meta.properties of each log directory (null where there is none). */
  get metaProperties(): Array<{ dir: string; meta: MetaProperties | null }> {
    return this.dirs.map((d) => ({ dir: d.dir, meta: d.meta }))
  }

  private async readCheckpoint(dir: string, name: string): Promise<Map<string, TopicPartitionOffset>> {
    try {
      return await readOffsetCheckpoint(path.join(dir, name))
    } catch (e) {
      this.logger.warn(`${(e as Error).message}; ignoring it`)
      return new Map()
    }
  }

  private hooksFor(dir: DirState): { onLogStartOffsetChanged: () => Promise<void> } {
    return { onLogStartOffsetChanged: () => this.writeDirCheckpoint(dir, LOG_START_OFFSET_CHECKPOINT) }
  }

  // ---------------------------------------------------------------------------------------------
  // Logs

  getLog(topic: string, partition: number): Log | undefined {
    return this.logs.get(tpKey(topic, partition))?.log
  }

  allLogs(): Log[] {
    return [...this.logs.values()].map((e) => e.log)
  }

  /**
   * The log of topic-partition, created (in the log dir with the fewest logs)
   * when it does not exist. `config` overrides the defaults for this log;
   * `topicId` goes into partition.metadata.
   */
  async getOrCreateLog(topic: string, partition: number, config?: Partial<LogConfig>, topicId?: string): Promise<Log> {
    const key = tpKey(topic, partition)
    const existing = this.logs.get(key)
    if (existing) {
      if (config) existing.log.updateConfig({ ...this.defaultConfig, ...config })
      // Known from loading: checking every partition's file again at start-up opened them all at once.
      if (topicId && existing.topicId !== topicId) await this.creations.run(() => this.writePartitionMetadata(existing, topicId))
      return existing.log
    }
    const pending = this.creating.get(key)
    if (pending) return pending
    const deleting = this.deleting.get(key)
    if (deleting) {
      // A topic deleted and created again at once: the new log must not open the old directory.
      await deleting
      return this.getOrCreateLog(topic, partition, config, topicId)
    }
    if (this.shuttingDown) throw new Error('the log manager is shutting down')
    if (!/^[a-zA-Z0-9._-]+$/.test(topic) || !Number.isInteger(partition) || partition < 0) {
      throw new RangeError(`invalid topic partition ${topic}-${partition}`)
    }
    const p = this.creations.run(async () => {
      const dir = this.pickDir()
      const log = await Log.open({
        dir: path.join(dir.dir, `${topic}-${partition}`),
        topic,
        partition,
        config: { ...this.defaultConfig, ...(config ?? {}) },
        logger: this.logger,
        clock: this.clock,
        pool: this.pool,
        hadCleanShutdown: false,
        hooks: this.hooksFor(dir),
      })
      const entry: LogEntry = { log, dir, topicId: await this.readTopicId(log) }
      if (topicId && entry.topicId !== topicId) await this.writePartitionMetadata(entry, topicId)
      this.logs.set(key, entry)
      this.logger.info(`created log for partition ${key} in ${dir.dir}`)
      return log
    })
    this.creating.set(key, p)
    try {
      return await p
    } finally {
      this.creating.delete(key)
    }
  }

  /** The topic id in a log's partition.metadata: undefined if there is none or it does not parse (then it is rewritten when the topic id is next given). */
  private async readTopicId(log: Log): Promise<string | undefined> {
    const file = path.join(log.dir, PARTITION_METADATA)
    const buf = await readFileOrNull(file)
    if (buf === null) return undefined
    try {
      return parsePartitionMetadata(buf.toString('utf8'), file)
    } catch (e) {
      this.logger.warn(`${(e as Error).message}; it will be rewritten`)
      return undefined
    }
  }

  /** Writes partition.metadata with `topicId` (the entry's differs or is missing). */
  private async writePartitionMetadata(entry: LogEntry, topicId: string): Promise<void> {
    if (entry.topicId) this.logger.warn(`${entry.log.name}: partition.metadata has topic id ${entry.topicId}, now ${topicId}; rewriting it`)
    await atomicWriteFile(path.join(entry.log.dir, PARTITION_METADATA), formatPartitionMetadata(topicId))
    entry.topicId = topicId
  }

  /** The topic id in the log's partition.metadata, if any. */
  topicIdOf(topic: string, partition: number): string | undefined {
    return this.logs.get(tpKey(topic, partition))?.topicId
  }

  private pickDir(): DirState {
    const counts = new Map<DirState, number>(this.dirs.map((d) => [d, 0]))
    for (const e of this.logs.values()) counts.set(e.dir, (counts.get(e.dir) ?? 0) + 1)
    let best = this.dirs[0]!
    for (const d of this.dirs) if (counts.get(d)! < counts.get(best)!) best = d
    return best
  }

  /**
   * Deletes a partition's log: closes it, renames its directory to
   * `<topic>-<partition>.<uuid>-delete` (atomic; a restart finishes the job) and
   * removes that directory in the background.
   */
  async deleteLog(topic: string, partition: number): Promise<boolean> {
    const key = tpKey(topic, partition)
    const pending = this.creating.get(key)
    if (pending) await pending.catch(() => {})
    const entry = this.logs.get(key)
    if (!entry) return false
    this.logs.delete(key)
    this.cleanerCheckpoints.delete(key)
    const done = this.moveAwayAndRemove(entry, topic, partition)
    const settled = done.then(
      () => {},
      () => {},
    )
    this.deleting.set(key, settled)
    try {
      await done
    } finally {
      if (this.deleting.get(key) === settled) this.deleting.delete(key)
    }
    this.logger.info(`deleted log for partition ${key}`)
    return true
  }

  /** Closes the log and renames its directory out of the way (atomic; a restart finishes the job), then removes it in the background. */
  private async moveAwayAndRemove(entry: LogEntry, topic: string, partition: number): Promise<void> {
    await entry.log.closeAbruptly()
    const target = path.join(entry.dir.dir, `${topic}-${partition}.${crypto.randomUUID().replace(/-/g, '')}${DELETE_DIR_SUFFIX}`)
    await fs.promises.rename(entry.log.dir, target)
    await fsyncDir(entry.dir.dir)
    this.removeDirInBackground(target)
  }

  private removeDirInBackground(dir: string): void {
    this.track(
      fs.promises.rm(dir, { recursive: true, force: true }).catch((e) => this.logger.warn(`cannot remove ${dir}: ${(e as Error).message}`)),
    )
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.background.add(p)
    void p.finally(() => this.background.delete(p)).catch(() => {})
    return p
  }

  // ---------------------------------------------------------------------------------------------
  // Checkpoints

  private entriesFor(dir: DirState, name: string): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = []
    for (const { log, dir: d } of this.logs.values()) {
      if (d !== dir) continue
      let offset: number | undefined
      if (name === RECOVERY_POINT_CHECKPOINT) offset = log.recoveryPoint
      else if (name === LOG_START_OFFSET_CHECKPOINT) offset = log.logStartOffset
      else if (name === REPLICATION_OFFSET_CHECKPOINT) offset = log.highWatermarkCheckpoint
      else if (name === CLEANER_OFFSET_CHECKPOINT) offset = this.cleanerCheckpoints.get(tpKey(log.topic, log.partition))
      if (offset !== undefined) out.push({ topic: log.topic, partition: log.partition, offset })
    }
    return out
  }

  /** Writes one checkpoint file of one dir; writes of the same file are serialised (the latest state wins). */
  private writeDirCheckpoint(dir: DirState, name: string): Promise<void> {
    const prev = dir.writes.get(name) ?? Promise.resolve()
    const run = async (): Promise<void> => {
      await writeOffsetCheckpoint(path.join(dir.dir, name), this.entriesFor(dir, name))
    }
    const p = prev.then(run, run)
    dir.writes.set(name, p.catch(() => {}))
    return p
  }

  /** Writes recovery-point, log-start-offset, replication-offset and cleaner-offset checkpoints of every dir. */
  async checkpointAll(): Promise<void> {
    for (const d of this.dirs) {
      await this.writeDirCheckpoint(d, RECOVERY_POINT_CHECKPOINT)
      await this.writeDirCheckpoint(d, LOG_START_OFFSET_CHECKPOINT)
      await this.writeDirCheckpoint(d, REPLICATION_OFFSET_CHECKPOINT)
      await this.writeDirCheckpoint(d, CLEANER_OFFSET_CHECKPOINT)
    }
  }

  async checkpointRecoveryPoints(): Promise<void> {
    for (const d of this.dirs) {
      await this.writeDirCheckpoint(d, RECOVERY_POINT_CHECKPOINT)
      await this.writeDirCheckpoint(d, REPLICATION_OFFSET_CHECKPOINT)
    }
  }

  async checkpointLogStartOffsets(): Promise<void> {
    for (const d of this.dirs) await this.writeDirCheckpoint(d, LOG_START_OFFSET_CHECKPOINT)
  }

  // ---------------------------------------------------------------------------------------------
  // Background work (each also callable directly)

  /** Flushes logs whose flush.ms elapsed. Returns how many were flushed. */
  async flushDirtyLogs(): Promise<number> {
    let n = 0
    for (const log of this.allLogs()) {
      try {
        if (await log.maybeFlushByTime()) n++
      } catch (e) {
        this.logger.error(`${log.name}: flush failed: ${(e as Error).message}`)
      }
    }
    return n
  }

  /** One retention pass over every log. Returns the number of segments deleted. */
  runRetention(): Promise<number> {
    if (this.retentionRunning) return this.retentionRunning
    const run = async (): Promise<number> => {
      let n = 0
      for (const log of this.allLogs()) {
        if (log.isClosed) continue
        try {
          n += await log.deleteOldSegments()
        } catch (e) {
          this.logger.error(`${log.name}: retention failed: ${(e as Error).message}`)
        }
      }
      return n
    }
    const p = run().finally(() => {
      this.retentionRunning = null
    })
    this.retentionRunning = p
    return this.track(p)
  }

  /**
   * One cleaner pass: cleans every compacted log that needs it (dirty ratio,
   * max.compaction.lag.ms, expired delete horizons), or every compacted log with
   * dirty data when `force` is set.
   */
  runCleaner(force = false): Promise<CleanerStats> {
    if (this.cleanerRunning) return this.cleanerRunning
    const run = async (): Promise<CleanerStats> => {
      const total: CleanerStats = { logsCleaned: 0, segmentsRewritten: 0, bytesRead: 0, bytesWritten: 0, recordsRemoved: 0 }
      for (const log of this.allLogs()) {
        if (log.isClosed || !isCompacted(log.config)) continue
        const key = tpKey(log.topic, log.partition)
        try {
          const res = await this.cleaner.clean(log, this.cleanerCheckpoints.get(key), force)
          if (!res) continue
          this.cleanerCheckpoints.set(key, res.firstDirtyOffset)
          total.logsCleaned++
          total.segmentsRewritten += res.stats.segmentsRewritten
          total.bytesRead += res.stats.bytesRead
          total.bytesWritten += res.stats.bytesWritten
          total.recordsRemoved += res.stats.recordsRemoved
        } catch (e) {
          if (!log.isClosed) this.logger.error(`${log.name}: cleaning failed: ${(e as Error).stack ?? e}`)
        }
      }
      if (total.logsCleaned > 0) for (const d of this.dirs) await this.writeDirCheckpoint(d, CLEANER_OFFSET_CHECKPOINT)
      return total
    }
    const p = run().finally(() => {
      this.cleanerRunning = null
    })
    this.cleanerRunning = p
    return this.track(p)
  }

  /** Forgets idle producers in every log. */
  expireProducers(): number {
    let n = 0
    for (const log of this.allLogs()) n += log.removeExpiredProducers()
    return n
  }

  private startTimers(): void {
    const every = (ms: number, fn: () => Promise<unknown> | unknown): void => {
      const t = setInterval(() => {
        if (this.shuttingDown) return
        try {
          const r = fn()
          if (r instanceof Promise) this.track(r.catch((e) => this.logger.error(`background task failed: ${(e as Error).message}`)))
        } catch (e) {
          this.logger.error(`background task failed: ${(e as Error).message}`)
        }
      }, Math.min(ms, 0x7fffffff))
      t.unref()
      this.timers.push(t)
    }
    every(this.opts.checkpointIntervalMs ?? 60000, () => this.checkpointRecoveryPoints())
    every(this.opts.logStartOffsetCheckpointIntervalMs ?? 60000, () => this.checkpointLogStartOffsets())
    every(this.opts.retentionCheckIntervalMs ?? 300000, () => this.runRetention())
    every(this.opts.flushCheckIntervalMs ?? 1000, () => this.flushDirtyLogs())
    every(this.opts.producerExpirationCheckIntervalMs ?? 600000, () => this.expireProducers())
    if (this.opts.cleanerEnabled !== false) every(this.opts.cleanerBackoffMs ?? 15000, () => this.runCleaner())
  }

  // ---------------------------------------------------------------------------------------------
  // Shutdown

  /** Clean shutdown: closes every log (flushing it), writes all checkpoints and the clean-shutdown markers. */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return
    this.shuttingDown = true
    for (const t of this.timers) clearInterval(t)
    this.timers.length = 0
    await Promise.allSettled([...this.creating.values()])
    await Promise.allSettled([...this.background])
    let failed = false
    const logs = this.allLogs()
    const concurrency = Math.max(1, this.opts.loadConcurrency ?? 8)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < logs.length) {
        const log = logs[next++]!
        try {
          await log.close()
        } catch (e) {
          failed = true
          this.logger.error(`${log.name}: close failed: ${(e as Error).message}`)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, logs.length) }, worker))
    await this.checkpointAll()
    if (!failed) {
      for (const d of this.dirs) await atomicWriteFile(path.join(d.dir, CLEAN_SHUTDOWN_FILE), formatCleanShutdown(this.opts.brokerEpoch ?? -1))
    }
    await this.pool.closeAll()
    this.logger.info(`log manager shut down${failed ? ' (not clean: a log failed to close)' : ' cleanly'}`)
  }

  /** Stops without flushing or marking a clean shutdown (tests: a simulated crash). */
  async crash(): Promise<void> {
    this.shuttingDown = true
    for (const t of this.timers) clearInterval(t)
    this.timers.length = 0
    for (const log of this.allLogs()) await log.closeAbruptly()
    await this.pool.closeAll()
  }
}

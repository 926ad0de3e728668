// The transaction coordinator (Kafka's TransactionCoordinator): hands out producer ids and epochs
// to transactional ids, records which partitions each transaction writes, and ends transactions:
// it writes PrepareCommit/PrepareAbort to __transaction_state, then a COMMIT or ABORT marker to
// every partition of the transaction, then CompleteCommit/CompleteAbort. Transactions that outlive
// their timeout are aborted with a bumped epoch, which fences the producer that began them.
//
// The work is shared with
//   state-store.ts   the __transaction_state partitions loaded here and every state write
//   metadata.ts      one transactional id's state and its transitions
//   records.ts       the __transaction_state record formats

import type { ImageChange } from '../kraft/index.js'
import { quoteId, systemTime, type Time, type Timer } from '../util/index.js'
import { errorName, ErrorCode } from '../wire/index.js'
import { txnConfigOf, type TxnConfig } from './config.js'
import type { TransactionCoordinatorDeps } from './deps.js'
import { isEpochExhausted, TransactionMetadata, TxnState, type TopicPartition, type TxnTransition } from './metadata.js'
import { TRANSACTION_STATE_TOPIC } from './records.js'
import { TxnStateStore } from './state-store.js'

/** How long FindCoordinator waits for a partition of this node to finish loading. */
const FIND_COORDINATOR_LOAD_WAIT_MS = 1000
/** Between attempts to write markers to partitions that could not take them. */
const MARKER_RETRY_BACKOFF_MS = 100
/** How long EndTxn waits for the markers before answering (the decision is durable already). */
const END_TXN_COMPLETION_WAIT_MS = 10_000

export interface ProducerIdAndEpoch {
  producerId: number
  producerEpoch: number
}

export interface InitProducerIdResult extends ProducerIdAndEpoch {
  errorCode: number
}

export interface ListedTransaction {
  transactionalId: string
  producerId: number
  transactionState: string
}

export interface DescribedTransaction {
  transactionalId: string
  errorCode: number
  transactionState: string
  transactionTimeoutMs: number
  transactionStartTimeMs: number
  producerId: number
  producerEpoch: number
  topics: Array<{ topic: string; partitions: number[] }>
}

export class TransactionCoordinator {
  private readonly store: TxnStateStore
  private readonly time: Time
  private readonly completions = new Map<TransactionMetadata, Promise<void>>()
  private abortTimer: Timer | null = null
  private expiryTimer: Timer | null = null

  constructor(private readonly d: TransactionCoordinatorDeps) {
    this.time = d.time ?? systemTime
    this.store = new TxnStateStore(d.image, d.replicas, d.controller, () => this.cfg(), d.log, this.time, txns => this.resume(txns))
    d.image.onChange(c => this.onImageChange(c))
    this.scheduleAbortCheck()
    this.scheduleExpiry()
  }

  private cfg(): TxnConfig {
    return txnConfigOf(this.d.config())
  }

  /** Loads every __transaction_state partition this node leads (after the replica manager is ready). */
  loadAll(): Promise<void> {
    return this.store.loadAll(this.d.nodeId)
  }

  isLoaded(p: number): boolean {
    return this.store.isLoaded(p)
  }

  partitionFor(transactionalId: string): number {
    return this.store.partitionFor(transactionalId)
  }

  shutdown(): void {
    if (!this.store.active) return
    this.store.unloadAll('the broker is shutting down')
    this.store.active = false
    this.abortTimer?.cancel()
    this.expiryTimer?.cancel()
  }

  private onImageChange(c: ImageChange): void {
    if (!this.store.active) return
    if (c.kind === 'partition-changed' && c.partition.topicName === TRANSACTION_STATE_TOPIC) {
      if (c.partition.leader === this.d.nodeId) this.store.scheduleLoad(c.partition.partition, c.partition.leaderEpoch)
      else this.store.unload(c.partition.partition, 'it now leads elsewhere')
    } else if (c.kind === 'topic-deleted' && c.topic.name === TRANSACTION_STATE_TOPIC) {
      this.store.unloadAll('the topic was deleted')
    }
  }

  // -------------------------------------------------------------------------------------------
  // FindCoordinator

  /** The leader of the transactional id's __transaction_state partition (creating the topic on first use). */
  async findCoordinator(transactionalId: string): Promise<{ errorCode: number; errorMessage: string | null; nodeId: number }> {
    const unavailable = (why: string) => ({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: why, nodeId: -1 })
    if (!this.store.active) return unavailable('The coordinator is shutting down.')
    await this.store.ensureTopic()
    if (!this.d.image.topicsByName.has(TRANSACTION_STATE_TOPIC)) return unavailable(`The ${TRANSACTION_STATE_TOPIC} topic could not be created yet.`)
    const p = this.store.partitionFor(transactionalId)
    const state = this.d.image.partition(TRANSACTION_STATE_TOPIC, p)
    if (!state || state.leader < 0) return unavailable(`${TRANSACTION_STATE_TOPIC}-${p} has no leader.`)
    if (state.leader === this.d.nodeId && !this.store.isLoaded(p)) {
      await this.store.awaitLoad(p, state.leaderEpoch, FIND_COORDINATOR_LOAD_WAIT_MS)
      if (!this.store.isLoaded(p)) return unavailable(`${TRANSACTION_STATE_TOPIC}-${p} is still loading.`)
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: state.leader }
  }

  // -------------------------------------------------------------------------------------------
  // InitProducerId

  /**
   * A producer id and a bumped epoch for `transactionalId` (fencing older producers). An open
   * transaction is aborted first; meanwhile the answer is CONCURRENT_TRANSACTIONS, and the
   * client retries. `expected` is the producer's current id and epoch (v3+), or null.
   */
  async initProducerId(transactionalId: string, txnTimeoutMs: number, expected: ProducerIdAndEpoch | null): Promise<InitProducerIdResult> {
    const fail = (errorCode: number, why?: string): InitProducerIdResult => {
      this.refuse('InitProducerId', transactionalId, errorCode, why)
      return { errorCode, producerId: -1, producerEpoch: -1 }
    }
    if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST, 'the transactional id is empty')
    const max = this.cfg().maxTimeoutMs
    if (txnTimeoutMs <= 0 || txnTimeoutMs > max) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT, `${txnTimeoutMs} ms is not within 1..${max} (transaction.max.timeout.ms)`)
    const status = this.store.status(transactionalId)
    if (status !== null) return fail(status)

    let txn = this.store.txns.get(transactionalId)
    if (!txn) {
      const producerId = await this.d.producerIds.generate()
      const again = this.store.status(transactionalId)
      if (again !== null) return fail(again)
      txn = this.store.txns.get(transactionalId)
      if (!txn) {
        txn = new TransactionMetadata(transactionalId, producerId, -1, txnTimeoutMs, TxnState.Empty, -1, this.time.now())
        this.store.txns.set(transactionalId, txn)
      }
    }
    if (txn.pending) return fail(ErrorCode.CONCURRENT_TRANSACTIONS, 'a state change is being written')
    if (expected && !(txn.producerEpoch === -1 || expected.producerId === txn.producerId || (expected.producerId === txn.lastProducerId && isEpochExhausted(expected.producerEpoch)))) {
      return fail(ErrorCode.PRODUCER_FENCED, `producer ${expected.producerId} epoch ${expected.producerEpoch} is not the current producer ${txn.producerId} epoch ${txn.producerEpoch}`)
    }
    switch (txn.state) {
      case TxnState.Ongoing:
        // Kafka aborts the open transaction with a fencing epoch and lets the client retry.
        void this.fenceAndAbort(txn, 'a new producer initialised the transactional id')
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS, 'aborting its open transaction first')
      case TxnState.Empty:
      case TxnState.CompleteCommit:
      case TxnState.CompleteAbort:
        break
      default:
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS, `the transaction is in state ${txn.stateName}`)
    }
    const next = await this.nextEpoch(txn, txnTimeoutMs, expected)
    if (typeof next === 'number') return fail(next, `producer ${expected?.producerId} epoch ${expected?.producerEpoch} is fenced`)
    const code = await this.store.write(txn, next)
    if (code !== ErrorCode.NONE) return fail(code)
    this.d.log.debug(`InitProducerId for transactional id ${quoteId(transactionalId)}: producer ${txn.producerId} epoch ${txn.producerEpoch}`)
    return { errorCode: ErrorCode.NONE, producerId: txn.producerId, producerEpoch: txn.producerEpoch }
  }

  /**
   * Kafka's prepareIncrementProducerEpoch and prepareProducerIdRotation: the next epoch (a new
   * producer id once the epoch is exhausted), the same epoch for a retry of a call that already
   * bumped it, or PRODUCER_FENCED for a stale epoch. The previous epoch is remembered only for a
   * producer that named its own (v3+), so that only that producer's retry can match it.
   */
  private async nextEpoch(txn: TransactionMetadata, txnTimeoutMs: number, expected: ProducerIdAndEpoch | null): Promise<TxnTransition | number> {
    const base: TxnTransition = { ...txn.snapshot(), txnTimeoutMs, state: TxnState.Empty, partitions: [], txnStartTimestamp: -1, txnLastUpdateTimestamp: this.time.now() }
    if (isEpochExhausted(txn.producerEpoch)) {
      if (expected && expected.producerEpoch !== txn.producerEpoch) return ErrorCode.PRODUCER_FENCED
      const producerId = await this.d.producerIds.generate()
      return { ...base, producerId, producerEpoch: 0, lastProducerId: txn.producerId, lastProducerEpoch: expected ? txn.producerEpoch : -1 }
    }
    if (expected === null) return { ...base, producerEpoch: txn.producerEpoch + 1, lastProducerEpoch: -1 }
    if (txn.producerEpoch === -1 || expected.producerEpoch === txn.producerEpoch) return { ...base, producerEpoch: txn.producerEpoch + 1, lastProducerEpoch: txn.producerEpoch }
    if (expected.producerEpoch === txn.lastProducerEpoch) return base
    return ErrorCode.PRODUCER_FENCED
  }

  // -------------------------------------------------------------------------------------------
  // AddPartitionsToTxn, AddOffsetsToTxn

  /** Adds partitions to the producer's transaction (beginning it if none is open). One error for all. */
  async addPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: TopicPartition[], api = 'AddPartitionsToTxn'): Promise<number> {
    const checked = this.checkProducer(transactionalId, producerId, producerEpoch)
    if (typeof checked === 'number') {
      this.refuse(api, transactionalId, checked, `producer ${producerId} epoch ${producerEpoch}`)
      return checked
    }
    const txn = checked
    if (txn.state === TxnState.PrepareCommit || txn.state === TxnState.PrepareAbort) {
      this.refuse(api, transactionalId, ErrorCode.CONCURRENT_TRANSACTIONS, `the transaction is in state ${txn.stateName}`)
      return ErrorCode.CONCURRENT_TRANSACTIONS
    }
    if (txn.state === TxnState.Ongoing && partitions.every(tp => txn.hasPartition(tp))) return ErrorCode.NONE
    const now = this.time.now()
    const begins = txn.state !== TxnState.Ongoing
    const next: TxnTransition = {
      ...txn.snapshot(),
      state: TxnState.Ongoing,
      partitions: [...txn.partitions.values(), ...partitions.filter(tp => !txn.hasPartition(tp))],
      txnStartTimestamp: begins ? now : txn.txnStartTimestamp,
      txnLastUpdateTimestamp: now,
    }
    const code = await this.store.write(txn, next)
    if (code !== ErrorCode.NONE) this.refuse(api, transactionalId, code)
    return code
  }

  /** The transaction, or the error for a producer that does not own it now (or, with `busy`, while a state change is written). */
  private checkProducer(transactionalId: string, producerId: number, producerEpoch: number, busy = true): TransactionMetadata | number {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST
    const status = this.store.status(transactionalId)
    if (status !== null) return status
    const txn = this.store.txns.get(transactionalId)
    if (!txn || txn.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
    if (txn.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED
    if (busy && txn.pending) return ErrorCode.CONCURRENT_TRANSACTIONS
    return txn
  }

  /**
   * KIP-890's verification of a transactional write that begins a transaction in a partition:
   * the producer's open transaction must include the partition. The error the write gets
   * (Kafka's mapping for Produce), or NONE.
   */
  verifyPartition(transactionalId: string, producerId: number, producerEpoch: number, tp: TopicPartition): number {
    // A state change being written is no reason to refuse (Kafka's handleVerifyPartitionsInTransaction):
    // partitions join when their AddPartitionsToTxn is written and leave only with the Complete state.
    const checked = this.checkProducer(transactionalId, producerId, producerEpoch, false)
    let code: number
    if (typeof checked === 'number') code = checked
    else if (checked.state === TxnState.PrepareCommit || checked.state === TxnState.PrepareAbort) code = ErrorCode.CONCURRENT_TRANSACTIONS
    else code = checked.state === TxnState.Ongoing && checked.hasPartition(tp) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE
    switch (code) {
      case ErrorCode.NONE:
        return code
      case ErrorCode.PRODUCER_FENCED:
        code = ErrorCode.INVALID_PRODUCER_EPOCH
        break
      case ErrorCode.NOT_COORDINATOR:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
      case ErrorCode.CONCURRENT_TRANSACTIONS:
        // Retriable for every producer version.
        code = ErrorCode.NOT_ENOUGH_REPLICAS
        break
    }
    this.refuse('Produce', transactionalId, code, `producer ${producerId} epoch ${producerEpoch} writing to ${tp.topic}-${tp.partition}`)
    return code
  }

  // -------------------------------------------------------------------------------------------
  // EndTxn

  /** Commits or aborts the producer's open transaction; answers once the markers are written. */
  async endTxn(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean): Promise<number> {
    const checked = this.checkProducer(transactionalId, producerId, producerEpoch)
    const refuse = (code: number, why?: string): number => {
      this.refuse('EndTxn', transactionalId, code, why)
      return code
    }
    if (typeof checked === 'number') return refuse(checked, `producer ${producerId} epoch ${producerEpoch}`)
    const txn = checked
    const wanted = commit ? 'commit' : 'abort'
    switch (txn.state) {
      case TxnState.Ongoing:
        break
      case TxnState.PrepareCommit:
        return refuse(commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE, `${wanted} while in state ${txn.stateName}`)
      case TxnState.PrepareAbort:
        return refuse(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS, `${wanted} while in state ${txn.stateName}`)
      case TxnState.CompleteCommit:
        // A retry of a commit that went through is answered as it was.
        return commit ? ErrorCode.NONE : refuse(ErrorCode.INVALID_TXN_STATE, `${wanted} while in state ${txn.stateName}`)
      case TxnState.CompleteAbort:
        return commit ? refuse(ErrorCode.INVALID_TXN_STATE, `${wanted} while in state ${txn.stateName}`) : ErrorCode.NONE
      default:
        return refuse(ErrorCode.INVALID_TXN_STATE, `${wanted} while in state ${txn.stateName}`)
    }
    const code = await this.prepareEnd(txn, commit, txn.producerEpoch)
    if (code !== ErrorCode.NONE) return refuse(code)
    const done = this.completions.get(txn)
    if (done) {
      let timer: Timer | null = null
      await Promise.race([done, new Promise<void>(r => (timer = this.time.schedule(END_TXN_COMPLETION_WAIT_MS, r)))])
      ;(timer as Timer | null)?.cancel()
    }
    return ErrorCode.NONE
  }

  /** Writes PrepareCommit/PrepareAbort (at `epoch`) and starts writing the markers. */
  private async prepareEnd(txn: TransactionMetadata, commit: boolean, epoch: number): Promise<number> {
    const next: TxnTransition = {
      ...txn.snapshot(),
      producerEpoch: epoch,
      lastProducerEpoch: epoch === txn.producerEpoch ? txn.lastProducerEpoch : -1,
      state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort,
      txnLastUpdateTimestamp: this.time.now(),
    }
    const code = await this.store.write(txn, next)
    if (code === ErrorCode.NONE) this.startCompletion(txn)
    return code
  }

  /** Aborts an open transaction with the next epoch, so that its producer is fenced. */
  private async fenceAndAbort(txn: TransactionMetadata, why: string): Promise<void> {
    if (txn.pending || txn.state !== TxnState.Ongoing) return
    const epoch = isEpochExhausted(txn.producerEpoch) ? txn.producerEpoch : txn.producerEpoch + 1
    this.d.log.info(`aborting the transaction of ${quoteId(txn.transactionalId)} (producer ${txn.producerId}, epoch ${txn.producerEpoch} → ${epoch}): ${why}`)
    const code = await this.prepareEnd(txn, false, epoch)
    if (code !== ErrorCode.NONE) this.d.log.warn(`could not abort the transaction of ${quoteId(txn.transactionalId)}: ${errorName(code)}; trying again later`)
  }

  private startCompletion(txn: TransactionMetadata): void {
    if (this.completions.has(txn)) return
    const done = this.complete(txn)
      .catch(err => this.d.log.error(`completing the transaction of ${quoteId(txn.transactionalId)} failed: ${(err as Error).stack ?? err}`))
      .finally(() => this.completions.delete(txn))
    this.completions.set(txn, done)
  }

  /** Whether this node still serves the transaction (its partition did not move away). */
  private serves(txn: TransactionMetadata): boolean {
    return this.store.active && this.store.txns.get(txn.transactionalId) === txn && this.store.status(txn.transactionalId) === null
  }

  /** Writes the markers of a prepared transaction (retrying until every partition has one), then its Complete state. */
  private async complete(txn: TransactionMetadata): Promise<void> {
    const commit = txn.state === TxnState.PrepareCommit
    if (!commit && txn.state !== TxnState.PrepareAbort) return
    let remaining = [...txn.partitions.values()]
    while (remaining.length > 0) {
      if (!this.serves(txn)) return
      const results = await this.d.markers.writeMarkers({
        producerId: txn.producerId,
        producerEpoch: txn.producerEpoch,
        commit,
        coordinatorEpoch: this.store.coordinatorEpochOf(txn.transactionalId),
        partitions: remaining,
      })
      remaining = []
      for (const r of results) {
        if (r.errorCode === ErrorCode.NONE) continue
        if (r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && !this.d.image.partition(r.topic, r.partition)) {
          // Deleted since it joined the transaction: there is nothing left to mark.
          this.d.log.info(`transaction of ${quoteId(txn.transactionalId)}: ${r.topic}-${r.partition} no longer exists; no marker written there`)
          continue
        }
        if (r.errorCode === ErrorCode.INVALID_PRODUCER_EPOCH || r.errorCode === ErrorCode.TRANSACTION_COORDINATOR_FENCED) {
          // A newer epoch or coordinator has written there already; this marker is obsolete.
          // (Kafka's coordinator then stops without writing the Complete state, leaving it to the
          // coordinator that fenced it; on one node there is none, so this one finishes.)
          this.d.log.warn(`transaction of ${quoteId(txn.transactionalId)}: marker for ${r.topic}-${r.partition} refused with ${errorName(r.errorCode)}`)
          continue
        }
        this.d.log.debug(`transaction of ${quoteId(txn.transactionalId)}: marker for ${r.topic}-${r.partition} failed with ${errorName(r.errorCode)}; retrying`)
        remaining.push({ topic: r.topic, partition: r.partition })
      }
      if (remaining.length > 0) await new Promise<void>(r => this.time.schedule(MARKER_RETRY_BACKOFF_MS, r))
    }
    for (;;) {
      if (!this.serves(txn)) return
      const next: TxnTransition = { ...txn.snapshot(), state: commit ? TxnState.CompleteCommit : TxnState.CompleteAbort, partitions: [], txnLastUpdateTimestamp: this.time.now() }
      const code = await this.store.write(txn, next)
      if (code === ErrorCode.NONE) return
      if (code === ErrorCode.NOT_COORDINATOR) return
      await new Promise<void>(r => this.time.schedule(MARKER_RETRY_BACKOFF_MS, r))
    }
  }

  /** After a partition loads: finish the transactions it left prepared. */
  private resume(txns: TransactionMetadata[]): void {
    for (const txn of txns) {
      if (txn.state === TxnState.PrepareCommit || txn.state === TxnState.PrepareAbort) {
        this.d.log.info(`completing the ${txn.state === TxnState.PrepareCommit ? 'commit' : 'abort'} of ${quoteId(txn.transactionalId)} left prepared`)
        this.startCompletion(txn)
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Timers: timed-out transactions, expired transactional ids

  private scheduleAbortCheck(): void {
    if (!this.store.active) return
    this.abortTimer = this.time.schedule(this.cfg().abortTimedOutIntervalMs, () => {
      this.abortTimedOut()
      this.scheduleAbortCheck()
    })
  }

  /** Aborts every open transaction older than its timeout (Kafka's abortTimedOutTransactions). */
  abortTimedOut(): void {
    const now = this.time.now()
    for (const txn of this.store.txns.values()) {
      if (txn.state !== TxnState.Ongoing || txn.pending || txn.txnStartTimestamp + txn.txnTimeoutMs >= now) continue
      if (this.store.status(txn.transactionalId) !== null) continue
      void this.fenceAndAbort(txn, `it was open longer than its timeout of ${txn.txnTimeoutMs} ms`)
    }
  }

  private scheduleExpiry(): void {
    if (!this.store.active) return
    this.expiryTimer = this.time.schedule(this.cfg().removeExpiredIntervalMs, () => {
      void this.removeExpired().finally(() => this.scheduleExpiry())
    })
  }

  /** Forgets transactional ids unused for transactional.id.expiration.ms (no open transaction). */
  async removeExpired(): Promise<number> {
    const now = this.time.now()
    const expiration = this.cfg().idExpirationMs
    const idle = (s: number) => s === TxnState.Empty || s === TxnState.CompleteCommit || s === TxnState.CompleteAbort
    const expired = [...this.store.txns.values()].filter(t => idle(t.state) && !t.pending && t.txnLastUpdateTimestamp + expiration <= now && this.store.status(t.transactionalId) === null)
    for (const t of expired) {
      await this.store.remove(t)
      this.d.log.info(`removed expired transactional id ${quoteId(t.transactionalId)} (unused for ${expiration} ms)`)
    }
    return expired.length
  }

  // -------------------------------------------------------------------------------------------
  // ListTransactions, DescribeTransactions

  list(stateFilters: string[], producerIdFilters: number[], durationFilterMs: number): ListedTransaction[] {
    const now = this.time.now()
    const states = new Set(stateFilters)
    const pids = new Set(producerIdFilters)
    const out: ListedTransaction[] = []
    for (const t of this.store.txns.values()) {
      if (states.size > 0 && !states.has(t.stateName)) continue
      if (pids.size > 0 && !pids.has(t.producerId)) continue
      // v1 (KIP-994): only transactions running longer than the duration (counted from their
      // start time, -1 for ids with none, as Kafka does).
      if (durationFilterMs >= 0 && now - t.txnStartTimestamp <= durationFilterMs) continue
      out.push({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.stateName })
    }
    return out
  }

  describe(transactionalId: string): DescribedTransaction {
    const none = (errorCode: number): DescribedTransaction => ({ transactionalId, errorCode, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] })
    if (transactionalId === '') return none(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND)
    const status = this.store.status(transactionalId)
    if (status !== null) return none(status)
    const t = this.store.txns.get(transactionalId)
    if (!t) return none(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND)
    return {
      transactionalId,
      errorCode: ErrorCode.NONE,
      transactionState: t.stateName,
      transactionTimeoutMs: t.txnTimeoutMs,
      transactionStartTimeMs: t.txnStartTimestamp,
      producerId: t.producerId,
      producerEpoch: t.producerEpoch,
      topics: TransactionMetadata.byTopic(t.partitions.values()),
    }
  }

  /** The transaction of a transactional id, for tests and tools. */
  transaction(transactionalId: string): TransactionMetadata | undefined {
    return this.store.txns.get(transactionalId)
  }

  private refuse(api: string, transactionalId: string, errorCode: number, why?: string): void {
    const quiet = errorCode === ErrorCode.NOT_COORDINATOR || errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE || errorCode === ErrorCode.CONCURRENT_TRANSACTIONS
    const line = `${api} for transactional id ${quoteId(transactionalId)}: ${errorName(errorCode)}${why ? ` (${why})` : ''}`
    if (quiet) this.d.log.debug(line)
    else this.d.log.info(line)
  }
}



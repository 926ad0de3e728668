// End-to-end latency, like Kafka's EndToEndLatency tool: one connection produces single-record
// batches, another keeps a long-poll Fetch outstanding at the log end; a record's latency runs
// from just before its Produce request is written to the moment a fetch response carrying it
// has been read. With --rate > 0 records are sent on a fixed schedule (catching up when a timer
// fires late); with --rate 0 the next record goes out only once the previous one was seen
// (Kafka's synchronous mode).

import { ApiKey, buildBatchSync, decodeBatchRecordsSync, decodeResponse, errorName } from '../../../src/wire/index.js'
import { RawConnection } from './raw-connection.js'
import { apiVersions, ensureTopic, listOffsets, requestChunks, requireVersion } from './kafka.js'
import { makePayload } from './produce-core.js'
import { LatencyHistogram, nowUs, type LatencySummary } from './stats.js'

export interface E2eOptions {
  host: string
  port: number
  topic: string
  numRecords: number
  /** Records per second; 0 = synchronous (next record after the previous one arrived). */
  rate: number
  acks: number
  recordSize: number
  /**
   * Records sent in the first `warmupMs` of the run are sent and seen but left out of the figures:
   * a fresh broker and client JIT-compile their hot paths then, on the same two cores.
   */
  warmupMs: number
  maxWaitMs: number
  timeoutMs: number
}

export interface E2eResult {
  records: number
  /** Records in the figures (those sent after the warm-up). */
  measured: number
  warmupMs: number
  seconds: number
  achievedRate: number
  latency: LatencySummary
  /** Every record, the warm-up's included: what a run without a warm-up allowance would report. */
  latencyAll: LatencySummary
  /** Produce round trip (request written → acknowledged), for comparison. */
  produceLatency: LatencySummary
}

export async function runE2e(o: E2eOptions): Promise<E2eResult> {
  const prod = await RawConnection.open(o.host, o.port)
  const cons = await RawConnection.open(o.host, o.port)
  const versions = await apiVersions(prod)
  const pv = requireVersion(versions, ApiKey.Produce, 7, 9, 'Produce')
  const fv = requireVersion(versions, ApiKey.Fetch, 4, 12, 'Fetch')
  await ensureTopic(prod, versions, o.topic, 1)
  let nextOffset = (await listOffsets(prod, versions, o.topic, 1, -1))[0]!
  const payload = makePayload(Math.max(8, o.recordSize))
  const sentAt = new Float64Array(o.numRecords)
  const hist = new LatencyHistogram()
  const histAll = new LatencyHistogram()
  const prodHist = new LatencyHistogram()
  let sent = 0
  let seen = 0
  let fatal: Error | null = null
  let finish!: () => void
  const done = new Promise<void>(resolve => (finish = resolve))
  const t0 = nowUs()
  const measuredFromUs = t0 + o.warmupMs * 1000
  let tEnd = t0
  let timer: NodeJS.Timeout | null = null
  const overall = setTimeout(() => {
    fatal ??= new Error(`timed out after ${o.timeoutMs} ms with ${seen} of ${o.numRecords} records seen`)
    finish()
  }, o.timeoutMs)

  const sendOne = (): void => {
    const seq = sent++
    payload.writeUInt32BE(seq, 0)
    const batch = buildBatchSync({ records: [{ key: null, value: payload }] })
    const id = prod.correlationId()
    const chunks = requestChunks(ApiKey.Produce, pv, id, { acks: o.acks, timeoutMs: 30_000, topicData: [{ name: o.topic, partitionData: [{ index: 0, records: batch }] }] })
    const at = nowUs()
    sentAt[seq] = at
    if (o.acks === 0) {
      prod.send(chunks, id, null)
      return
    }
    prod.send(chunks, id, (frame, err) => {
      if (!frame) {
        fatal ??= err ?? new Error('produce failed')
        return finish()
      }
      const res = decodeResponse(ApiKey.Produce, pv, frame).body
      const code = res.responses[0]?.partitionResponses[0]?.errorCode ?? -1
      if (code !== 0) {
        fatal ??= new Error(`produce: ${errorName(code)}`)
        return finish()
      }
      if (at >= measuredFromUs) prodHist.record(nowUs() - at)
    })
  }

  const tick = (): void => {
    timer = null
    if (fatal || sent >= o.numRecords) return
    const due = Math.min(o.numRecords, Math.floor(((nowUs() - t0) * o.rate) / 1e6) + 1)
    while (sent < due) sendOne()
    if (sent < o.numRecords) {
      const nextAt = t0 + (sent * 1e6) / o.rate
      timer = setTimeout(tick, Math.max(0, (nextAt - nowUs()) / 1000))
    }
  }

  const fetchNext = (): void => {
    const id = cons.correlationId()
    const body = {
      replicaId: -1,
      maxWaitMs: o.maxWaitMs,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: o.topic, partitions: [{ partition: 0, fetchOffset: nextOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1 }] }],
      forgottenTopicsData: [],
      rackId: '',
    }
    cons.send(requestChunks(ApiKey.Fetch, fv, id, body as never), id, (frame, err) => {
      const now = nowUs()
      if (!frame) {
        fatal ??= err ?? new Error('fetch failed')
        return finish()
      }
      try {
        const res = decodeResponse(ApiKey.Fetch, fv, frame).body
        const part = res.responses[0]?.partitions[0]
        if (!part || part.errorCode !== 0) throw new Error(`fetch: ${errorName(part?.errorCode ?? res.errorCode ?? -1)}`)
        const recs = part.records
        let pos = 0
        let newSeen = false
        while (recs && recs.length - pos >= 61) {
          const size = 12 + recs.readInt32BE(pos + 8)
          if (pos + size > recs.length) break
          for (const r of decodeBatchRecordsSync(recs.subarray(pos, pos + size))) {
            if (r.offset < nextOffset) continue
            nextOffset = r.offset + 1
            const seq = r.value!.readUInt32BE(0)
            if (seq >= sent) throw new Error(`saw record ${seq} before sending it`)
            histAll.record(now - sentAt[seq]!)
            if (sentAt[seq]! >= measuredFromUs) hist.record(now - sentAt[seq]!)
            seen++
            newSeen = true
          }
          pos += size
        }
        tEnd = now
        if (seen >= o.numRecords) return finish()
        if (o.rate <= 0 && newSeen && sent < o.numRecords) sendOne()
      } catch (e) {
        fatal ??= e as Error
        return finish()
      }
      fetchNext()
    })
  }

  fetchNext()
  if (o.rate > 0) tick()
  else sendOne()
  await done
  clearTimeout(overall)
  if (timer) clearTimeout(timer)
  prod.close()
  cons.close()
  if (fatal) throw fatal
  const seconds = (tEnd - t0) / 1e6
  return { records: seen, measured: hist.count, warmupMs: o.warmupMs, seconds, achievedRate: seen / seconds, latency: hist.summaryMs(), latencyAll: histAll.summaryMs(), produceLatency: prodHist.summaryMs() }
}

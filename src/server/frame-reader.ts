// Splits a TCP byte stream into Kafka frames: a 4-byte big-endian size, then that many bytes.

export class FrameError extends Error {
  override name = 'FrameError'
}

/**
 * Collects socket chunks and hands out whole frames. A frame that fits inside one chunk is a
 * subarray of it (no copy). A frame spread across chunks is copied once, when its last byte
 * arrives, and only its own bytes: the rest of that last chunk is parsed in place as usual
 * (joining whole 64 KiB socket chunks instead copied nearly every byte of a pipelined stream).
 * A negative size or one above `maxFrameBytes` is a FrameError: the connection cannot be
 * resynchronised.
 */
export class FrameReader {
  /** Bytes of an incomplete frame (its size prefix included), oldest first. */
  private chunks: Buffer[] = []
  private buffered = 0
  private need = -1 // size of the frame being collected, or -1 while its prefix is incomplete

  constructor(private readonly maxFrameBytes: number) {}

  /** Adds bytes; returns the frames completed by them, in order. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = []
    if (this.buffered > 0) {
      const before = this.buffered
      this.chunks.push(chunk)
      this.buffered += chunk.length
      if (this.need < 0) {
        if (this.buffered < 4) return frames
        this.need = this.checkSize(this.headInt32())
      }
      if (this.buffered < 4 + this.need) return frames
      // The frame ends inside this chunk (it was incomplete without it).
      frames.push(this.joinFrame())
      chunk = chunk.subarray(4 + this.need - before)
      this.chunks = []
      this.buffered = 0
      this.need = -1
    }
    let pos = 0
    while (chunk.length - pos >= 4) {
      const size = this.checkSize(chunk.readInt32BE(pos))
      if (chunk.length - pos - 4 < size) break
      frames.push(chunk.subarray(pos + 4, pos + 4 + size))
      pos += 4 + size
    }
    if (pos < chunk.length) {
      const rest = chunk.subarray(pos)
      this.chunks.push(rest)
      this.buffered = rest.length
      if (rest.length >= 4) this.need = this.checkSize(rest.readInt32BE(0))
    }
    return frames
  }

  /** Bytes held that do not yet form a frame. */
  get pendingBytes(): number {
    return this.buffered
  }

  /** Copies the body of the frame held in `chunks` (size prefix skipped) into one buffer. */
  private joinFrame(): Buffer {
    const frame = Buffer.allocUnsafe(this.need)
    let skip = 4
    let at = 0
    for (const c of this.chunks) {
      const from = Math.min(skip, c.length)
      skip -= from
      const n = Math.min(c.length - from, this.need - at)
      if (n > 0) at += c.copy(frame, at, from, from + n)
      if (at === this.need) break
    }
    return frame
  }

  /** The size prefix, which may be spread across the first chunks. */
  private headInt32(): number {
    const first = this.chunks[0]!
    if (first.length >= 4) return first.readInt32BE(0)
    const head = Buffer.allocUnsafe(4)
    let at = 0
    for (const c of this.chunks) {
      at += c.copy(head, at, 0, Math.min(c.length, 4 - at))
      if (at === 4) break
    }
    return head.readInt32BE(0)
  }

  private checkSize(size: number): number {
    if (size < 0) throw new FrameError(`frame size ${size} is negative`)
    if (size > this.maxFrameBytes) {
      throw new FrameError(`frame of ${size} bytes is larger than socket.request.max.bytes (${this.maxFrameBytes})`)
    }
    return size
  }
}

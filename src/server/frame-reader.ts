// Splits a TCP byte stream into Kafka frames: a 4-byte big-endian size, then that many bytes.

export class FrameError extends Error {
  override name = 'FrameError'
}

/**
 * Collects socket chunks and hands out whole frames. A frame that fits inside one chunk is a
 * subarray of it (no copy); one spread across chunks is joined once, when complete. A negative
 * size or one above `maxFrameBytes` is a FrameError: the connection cannot be resynchronised.
 */
export class FrameReader {
  private chunks: Buffer[] = []
  private buffered = 0
  private need = -1 // size of the frame being collected, or -1 while its prefix is incomplete

  constructor(private readonly maxFrameBytes: number) {}

  /** Adds bytes; returns the frames completed by them, in order. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = []
    if (this.buffered === 0) {
      // Fast path: parse frames straight out of this chunk.
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
    this.chunks.push(chunk)
    this.buffered += chunk.length
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < 4) return frames
        this.need = this.checkSize(this.peekInt32())
      }
      if (this.buffered < 4 + this.need) return frames
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered)
      frames.push(all.subarray(4, 4 + this.need))
      const rest = all.subarray(4 + this.need)
      this.chunks = rest.length > 0 ? [rest] : []
      this.buffered = rest.length
      this.need = -1
      if (rest.length === 0) return frames
    }
  }

  /** Bytes held that do not yet form a frame. */
  get pendingBytes(): number {
    return this.buffered
  }

  private peekInt32(): number {
    const first = this.chunks[0]
    if (first.length >= 4) return first.readInt32BE(0)
    return Buffer.concat(this.chunks, this.buffered).readInt32BE(0)
  }

  private checkSize(size: number): number {
    if (size < 0) throw new FrameError(`frame size ${size} is negative`)
    if (size > this.maxFrameBytes) {
      throw new FrameError(`frame of ${size} bytes is larger than socket.request.max.bytes (${this.maxFrameBytes})`)
    }
    return size
  }
}

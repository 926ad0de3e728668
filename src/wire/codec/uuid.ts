// Kafka shows a Uuid as 22 characters of URL-safe base64 without padding (Uuid.toString()),
// so Millrace keeps topic ids in that form: they print and compare like Kafka's.

export type Uuid = string

export const ZERO_UUID: Uuid = 'AAAAAAAAAAAAAAAAAAAAAA'

export function uuidFromBytes(buf: Buffer, pos = 0): Uuid {
  return buf.toString('base64url', pos, pos + 16)
}

export function uuidToBytes(id: Uuid, out: Buffer, pos: number): void {
  const written = out.write(id, pos, 16, 'base64url')
  if (written !== 16 || id.length !== 22) throw new TypeError(`not a Kafka uuid: '${id}'`)
}

/** A random (version 4) uuid, as Kafka's Uuid.randomUuid() makes for topic ids. */
export function randomUuid(): Uuid {
  for (;;) {
    const b = Buffer.allocUnsafe(16)
    for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256)
    b[6] = (b[6] & 0x0f) | 0x40
    b[8] = (b[8] & 0x3f) | 0x80
    const id = uuidFromBytes(b)
    // Kafka reserves the zero uuid and ids starting with '-' (they look like CLI flags).
    if (id !== ZERO_UUID && !id.startsWith('-')) return id
  }
}

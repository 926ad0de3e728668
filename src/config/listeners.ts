/**
 * Parsers for the endpoint-shaped configs: `listeners` / `advertised.listeners`,
 * `listener.security.protocol.map`, `controller.quorum.voters` and
 * `controller.quorum.bootstrap.servers`. Each throws {@link InvalidValue} with the
 * "expected …" text on bad input.
 */
import { InvalidValue, splitList } from './schema.js'

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number]

export interface Listener {
  /** Listener name, upper-cased as Kafka normalises it, e.g. `PLAINTEXT`. */
  name: string
  /** Host or IP to bind/advertise; '' means the default interface (Kafka: all interfaces). IPv6 without brackets. */
  host: string
  /** 0 means any free port (bind listeners only). */
  port: number
}

export interface QuorumVoter {
  id: number
  host: string
  port: number
}

export interface HostPort {
  host: string
  port: number
}

const LISTENER_EXPECTED = 'a comma-separated list of NAME://host:port (port 0-65535, host may be empty or [ipv6])'
const LISTENER = /^([A-Za-z][A-Za-z0-9_-]*):\/\/(?:\[([0-9A-Za-z:.%]*)\]|([0-9A-Za-z._%-]*)):(\d+)$/

function parsePort(s: string, expected: string): number {
  const port = Number(s)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidValue(expected)
  return port
}

/**
 * Parse `listeners` / `advertised.listeners`, e.g. `PLAINTEXT://localhost:9092,CONTROLLER://[::1]:0`.
 * Names are upper-cased; each name may appear once.
 */
export function parseListeners(raw: string): Listener[] {
  const out: Listener[] = []
  for (const item of splitList(raw)) {
    const m = LISTENER.exec(item)
    if (!m) throw new InvalidValue(LISTENER_EXPECTED)
    const name = m[1]!.toUpperCase()
    if (out.some((l) => l.name === name)) throw new InvalidValue(`${LISTENER_EXPECTED}, each name once`)
    out.push({ name, host: m[2] ?? m[3] ?? '', port: parsePort(m[4]!, LISTENER_EXPECTED) })
  }
  return out
}

const MAP_EXPECTED = `a comma-separated list of NAME:PROTOCOL with PROTOCOL one of ${SECURITY_PROTOCOLS.join(', ')}`

/** Parse `listener.security.protocol.map`, e.g. `CONTROLLER:PLAINTEXT,EXTERNAL:SSL`. */
export function parseSecurityProtocolMap(raw: string): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>()
  for (const item of splitList(raw)) {
    const i = item.indexOf(':')
    if (i <= 0) throw new InvalidValue(MAP_EXPECTED)
    const name = item.slice(0, i).trim().toUpperCase()
    const protocol = item.slice(i + 1).trim().toUpperCase()
    if (!/^[A-Z][A-Z0-9_-]*$/.test(name)) throw new InvalidValue(MAP_EXPECTED)
    if (!(SECURITY_PROTOCOLS as readonly string[]).includes(protocol)) throw new InvalidValue(MAP_EXPECTED)
    if (map.has(name)) throw new InvalidValue(`${MAP_EXPECTED}, each name once`)
    map.set(name, protocol as SecurityProtocol)
  }
  return map
}

const HOST_PORT = /^(?:\[([0-9A-Za-z:.%]+)\]|([0-9A-Za-z._%-]+)):(\d+)$/
const VOTERS_EXPECTED = 'a comma-separated list of id@host:port'

/** Parse `controller.quorum.voters`, e.g. `1@localhost:9093,2@[::1]:9093`. */
export function parseQuorumVoters(raw: string): QuorumVoter[] {
  const out: QuorumVoter[] = []
  for (const item of splitList(raw)) {
    const at = item.indexOf('@')
    if (at <= 0 || !/^\d+$/.test(item.slice(0, at))) throw new InvalidValue(VOTERS_EXPECTED)
    const id = Number(item.slice(0, at))
    const m = HOST_PORT.exec(item.slice(at + 1))
    if (!m || !Number.isSafeInteger(id) || id > 2147483647) throw new InvalidValue(VOTERS_EXPECTED)
    const port = parsePort(m[3]!, VOTERS_EXPECTED)
    if (port === 0) throw new InvalidValue(VOTERS_EXPECTED)
    if (out.some((v) => v.id === id)) throw new InvalidValue(`${VOTERS_EXPECTED}, each id once`)
    out.push({ id, host: m[1] ?? m[2]!, port })
  }
  return out
}

const BOOTSTRAP_EXPECTED = 'a comma-separated list of host:port'

/** Parse `controller.quorum.bootstrap.servers`, e.g. `localhost:9093,[::1]:9093`. */
export function parseHostPorts(raw: string): HostPort[] {
  return splitList(raw).map((item) => {
    const m = HOST_PORT.exec(item)
    if (!m) throw new InvalidValue(BOOTSTRAP_EXPECTED)
    const port = parsePort(m[3]!, BOOTSTRAP_EXPECTED)
    if (port === 0) throw new InvalidValue(BOOTSTRAP_EXPECTED)
    return { host: m[1] ?? m[2]!, port }
  })
}

/** Render a listener back to Kafka's text form. */
export function formatListener(l: Listener): string {
  const host = l.host.includes(':') ? `[${l.host}]` : l.host
  return `${l.name}://${host}:${l.port}`
}

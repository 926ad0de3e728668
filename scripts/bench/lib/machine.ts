// What the figures were measured on.

import { execFileSync } from 'node:child_process'
import { cpus, loadavg, totalmem } from 'node:os'

export interface MachineInfo {
  cores: number
  cpuModel: string
  memoryGiB: number
  node: string
  platform: string
  loadAvg: number[]
  commit: string | null
  dirty: boolean | null
}

export function machineInfo(cwd: string): MachineInfo {
  let commit: string | null = null
  let dirty: boolean | null = null
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim()
    dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' }).trim().length > 0
  } catch {
    /* not a checkout */
  }
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAvg: loadavg().map(x => Math.round(x * 100) / 100),
    commit,
    dirty,
  }
}

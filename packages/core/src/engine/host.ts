import { arch, cpus, hostname, platform, release, totalmem } from 'node:os';
import type { HostInfo } from './types.js';

export function hostInfo(): HostInfo {
  const cpu = cpus();
  return {
    node: process.version,
    platform: platform(),
    release: release(),
    arch: arch(),
    cpuModel: cpu[0]?.model?.trim() ?? 'unknown',
    cores: cpu.length,
    memoryBytes: totalmem(),
    hostname: hostname(),
  };
}

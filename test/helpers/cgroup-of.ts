// A process's cgroups as the host sees them, for assertions and benchmarks from outside a container.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The host's directory of CONTROLLER's cgroup for PID (v1: the controller's own hierarchy; v2: the unified one). */
export function cgroupDir(pid: number, controller: 'pids' | 'memory' | 'cpu' | 'cpuacct'): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const v1 = lines.map((l) => l.split(':')).find(([, list]) => list!.split(',').includes(controller));
  if (v1) return `/sys/fs/cgroup/${v1[1]}${v1[2]}`;
  return `/sys/fs/cgroup${lines.find((l) => l.startsWith('0::'))!.slice(3)}`;
}

export const readCgroup = (dir: string, file: string): string => readFileSync(join(dir, file), 'utf8').trim();

/** "key N" lines (pids.events, memory.events, memory.oom_control): N for KEY, NaN when absent. */
export const keyedValue = (text: string, key: string): number => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);

export const isCgroupV1 = (memoryDir: string): boolean => existsSync(join(memoryDir, 'memory.limit_in_bytes'));

/** The most memory the cgroup has held (v1 max_usage_in_bytes, v2 memory.peak where the kernel has it), and its OOM kills. */
export function memoryPeak(memoryDir: string): { peakBytes: number | null; oomKills: number } {
  if (isCgroupV1(memoryDir)) {
    return { peakBytes: Number(readCgroup(memoryDir, 'memory.max_usage_in_bytes')), oomKills: keyedValue(readCgroup(memoryDir, 'memory.oom_control'), 'oom_kill') };
  }
  const peak = existsSync(join(memoryDir, 'memory.peak')) ? Number(readCgroup(memoryDir, 'memory.peak')) : null;
  return { peakBytes: peak, oomKills: keyedValue(readCgroup(memoryDir, 'memory.events'), 'oom_kill') };
}

import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Where a container instance keeps its files: run directory (pid, exit, start-error) and log, by restart count. */
export function instancePaths(podDir: string, container: string, instance: number) {
  return {
    runDir: join(podDir, 'containers', container, String(instance)),
    logFile: join(podDir, 'logs', container, `${instance}.log`),
  };
}

/** kubelet's fallback termination message: the last 80 lines of the log, at most 2 KiB. */
export function logTail(file: string): string {
  try {
    const content = readFileSync(file);
    const lines = content
      .subarray(Math.max(0, content.length - 2048))
      .toString('utf8')
      .split('\n');
    return lines.slice(-81).join('\n').trimEnd();
  } catch {
    return '';
  }
}

/** kubelet keeps the current and the previous instance (logs, run directories); older ones go. */
export function prune(dir: string, instance: number): void {
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(dir)) {
    const n = Number(file.replace(/\.log$/, ''));
    if (Number.isInteger(n) && n < instance - 1) rmSync(join(dir, file), { recursive: true, force: true });
  }
}

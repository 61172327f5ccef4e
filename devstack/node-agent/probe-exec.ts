import type { V1Container } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import type { ProbeResult } from './probes.js';
import type { Launch } from './launch.js';
import { preamble, type HostTools } from './sandbox.js';
import { signalGroup } from './proc.js';

const MAX_OUTPUT = 10 * 1024;

/**
 * An exec probe: the command runs as the container's own processes do, in a fresh private mount namespace with the
 * same bind mounts, environment and working directory, in its own process group so a timeout ends all of it.
 */
export async function runInContainer(opts: {
  tools: HostTools;
  runDir: string;
  spec: V1Container;
  argv: string[];
  timeoutMs: number;
  launch: () => Promise<Pick<Launch, 'env' | 'mounts'>>;
}): Promise<ProbeResult> {
  const { tools } = opts;
  const launch = await opts.launch();
  const script = preamble({ mounts: launch.mounts, workingDir: opts.spec.workingDir, mode: 'probe', tools });
  return new Promise((resolve) => {
    const child = spawn(
      tools.unshare,
      ['--mount', '--propagation', 'private', tools.sh, '-c', script, 'probe', opts.runDir, ...opts.argv],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: launch.env, cwd: '/' },
    );
    let output = '';
    const collect = (chunk: Buffer) => {
      if (output.length < MAX_OUTPUT) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) signalGroup(child.pid, 'SIGKILL');
    }, opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, message: err.message });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (timedOut) resolve({ ok: false, message: `command timed out after ${opts.timeoutMs / 1000}s` });
      else if (code === 0) resolve({ ok: true });
      else resolve({ ok: false, message: `command exited ${code ?? 'by signal'}: ${output.trim().slice(0, 500)}` });
    });
  });
}

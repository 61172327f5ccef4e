import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts, isPortFree } from '../../devstack/ports.js';
import { repoRoot } from '../../devstack/repo-root.js';
import { DEMO_TENANT } from '../../devstack/stack.js';

// The start command itself, as a user runs it: its own data dir and free ports, so it never meets the dev stack.
const dataDir = mkdtempSync(join(tmpdir(), 'lifeboat-devstack-'));
const [temporalPort, uiPort, s3Port] = await freePorts(3);
const kubePort = await consecutiveFreePorts(5);

/** The kube-apiserver port and the four after it (control plane etcd, scheduler, node agent) must all be free. */
async function consecutiveFreePorts(count: number): Promise<number> {
  for (;;) {
    const [base] = (await freePorts(1)) as [number];
    if (base + count >= 65535) continue;
    const free = await Promise.all(Array.from({ length: count }, (_, i) => isPortFree(base + i)));
    if (free.every(Boolean)) return base;
  }
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startStack(): Run {
  const args = ['--import', 'tsx', 'devstack/cli.ts', '--data-dir', dataDir, '--temporal-port', String(temporalPort)];
  args.push('--ui-port', String(uiPort), '--s3-port', String(s3Port), '--kube-port', String(kubePort));
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

async function waitFor(run: Run, text: string, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!run.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}"; output so far:\n${run.output()}`);
    if (run.child.exitCode !== null)
      throw new Error(`stack exited (${run.child.exitCode}) before "${text}":\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Processes of this stack: servers and worker name our data dir; Pod processes (the demo tenant's etcd members and
 * stand-in apiserver) name the tenant instead.
 */
function stackProcesses(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return [dataDir, `${DEMO_TENANT}.svc.cluster.local`, 'stand-in for the tenant kube-apiserver'].some((m) =>
          cmdline.includes(m),
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function uiAnswers(): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${uiPort}/`);
  return response.status;
}

afterAll(() => {
  for (const pid of stackProcesses()) process.kill(pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the dev stack start command', () => {
  it(
    'starts, refuses a second copy, recovers after SIGKILL with its data, and stops cleanly on Ctrl-C',
    { timeout: 600_000 },
    async () => {
      const first = startStack();
      await waitFor(first, 'Press Ctrl-C to stop everything.');
      expect(await uiAnswers()).toBe(200);
      expect(first.output()).toContain('+ etcd-backup/demo/hourly  created');
      expect(first.output()).toContain(`demo tenant    namespace ${DEMO_TENANT}: etcd StatefulSet (3 members, TLS)`);

      const second = startStack();
      expect(await second.exited).toBe(3);
      expect(second.output()).toContain(`already running (pid ${first.child.pid}`);
      expect(await uiAnswers()).toBe(200); // the first one is untouched

      first.child.kill('SIGKILL');
      await first.exited;
      expect(stackProcesses().length).toBeGreaterThan(0); // orphaned servers and worker

      const third = startStack();
      await waitFor(third, 'Press Ctrl-C to stop everything.');
      expect(third.output()).toContain('left over from a stack that did not shut down');
      // The Temporal database survived: the schedule from the first start is still there.
      expect(third.output()).toContain('etcd-backup/demo/hourly  unchanged');
      expect(await uiAnswers()).toBe(200);

      third.child.kill('SIGINT');
      expect(await third.exited).toBe(0);
      // Pods are stopped asynchronously by their shims; give them the grace period the agent gives.
      await new Promise((r) => setTimeout(r, 2000));
      expect(stackProcesses()).toEqual([]);
      expect(existsSync(join(dataDir, 'stack.json'))).toBe(false);
    },
  );

  it('a port in use is named with the option to change it, and nothing is left running', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(s3Port, '127.0.0.1', resolve));
    try {
      const run = startStack();
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`Port ${s3Port} (S3 (versitygw)) is already in use`);
      expect(run.output()).toContain('--s3-port');
      expect(stackProcesses()).toEqual([]);
      expect(existsSync(join(dataDir, 'stack.json'))).toBe(false);
    } finally {
      squatter.close();
    }
  });
});

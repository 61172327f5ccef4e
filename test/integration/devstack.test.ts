import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts, isPortFree } from '../../devstack/ports.js';
import { repoRoot } from '../../build/repo-root.js';
import { DEMO_TENANT } from '../../devstack/stack.js';

// The start command itself, as a user runs it: its own data dir and free ports, so it never meets the dev stack.
const dataDir = mkdtempSync(join(tmpdir(), 'lifeboat-devstack-'));
const [temporalPort, uiPort, s3Port] = await freePorts(3);
const kubePort = await consecutiveFreePorts(5);
// Where this stack's node agent keeps its Pods (devstack/stack.ts): each container's shim names its run dir here.
const podsDir = join(dataDir, 'kubernetes', 'node-agent', 'pods');

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

interface StackProcess {
  pid: number;
  /** argv, space-joined, for messages and matching. */
  command: string;
  /** A Pod's process: a container shim of this stack's node agent, or a descendant of one. */
  pod: boolean;
}

/** True when one NUL-separated entry of a cmdline or environ is this stack's data dir or a path under it. */
function namesDataDir(nulSeparated: string): boolean {
  return nulSeparated
    .split('\0')
    .some((entry) => entry === dataDir || entry.endsWith(`=${dataDir}`) || entry.includes(`${dataDir}/`));
}

/**
 * Processes of this stack and no other. Every tenant's Pods look alike (other files run the same images and the
 * same stand-in apiserver, and their own dev stacks the same demo tenant), so a marker in the command line would
 * also find theirs. What is this stack's own: its data dir, named by the stack process and its servers in their
 * command lines, by the worker in its environment (LIFEBOAT_CONFIG), and by each container's shim (its run
 * directory under this stack's node agent); and descent from one of those, which covers the Pods' containers and
 * exec probes. Descent holds after the stack process is killed: its children are re-parented, but a container
 * stays the child of its shim.
 */
function stackProcesses(): StackProcess[] {
  const table = new Map<number, { ppid: number; command: string; own: boolean; shim: boolean }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' || state === 'X') continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      table.set(Number(entry), {
        ppid: Number(ppid),
        command: cmdline.split('\0').join(' ').trim(),
        own: namesDataDir(cmdline) || namesDataDir(environ),
        shim: cmdline.includes(`${podsDir}/`),
      });
    } catch {
      // Exited while we looked.
    }
  }
  const found: StackProcess[] = [];
  for (const [pid, proc] of table) {
    let own = false;
    let pod = false;
    // Walk up to init; a pid seen twice would be a loop (pids reused while we read), so stop there too.
    const seen = new Set<number>();
    for (let at: number | undefined = pid; at !== undefined && !seen.has(at); at = table.get(at)?.ppid) {
      seen.add(at);
      const ancestor = table.get(at);
      if (!ancestor) break;
      own ||= ancestor.own;
      pod ||= ancestor.shim;
    }
    if (own) found.push({ pid, command: proc.command, pod });
  }
  return found;
}

/** Polls until none of this stack's processes is left; after the deadline, fails naming what still runs. */
async function waitUntilNoneLeft(what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = stackProcesses();
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      const list = left.map((p) => `  ${p.pid}${p.pod ? ' (pod)' : ''}: ${p.command.slice(0, 200)}`).join('\n');
      throw new Error(
        `${what}: ${left.length} process(es) of this stack still run after ${timeoutMs / 1000}s:\n${list}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function uiAnswers(): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${uiPort}/`);
  return response.status;
}

afterAll(() => {
  for (const { pid } of stackProcesses()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  if (!process.env.LIFEBOAT_KEEP_TEST_DATA) rmSync(dataDir, { recursive: true, force: true });
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
      // Orphaned servers, worker and Pods, all found as this stack's (the matching is what the checks below rely on).
      const orphans = stackProcesses();
      const commands = orphans.map((p) => p.command);
      expect(commands).toContainEqual(expect.stringMatching(/ server start-dev /)); // Temporal
      expect(commands).toContainEqual(expect.stringContaining('worker/main.ts'));
      const pods = orphans.filter((p) => p.pod).map((p) => p.command);
      expect(pods.filter((c) => c.startsWith('etcd --name='))).toHaveLength(3); // the demo tenant's members
      expect(pods).toContain('sleep 2147483647'); // its stand-in apiserver

      const third = startStack();
      await waitFor(third, 'Press Ctrl-C to stop everything.');
      expect(third.output()).toContain('left over from a stack that did not shut down');
      // The Temporal database survived: the schedule from the first start is still there.
      expect(third.output()).toContain('etcd-backup/demo/hourly  unchanged');
      expect(await uiAnswers()).toBe(200);

      third.child.kill('SIGINT');
      expect(await third.exited).toBe(0);
      // Pods end asynchronously (their shims write the exit status after the container ends): wait for it, with a
      // deadline well past the grace period the agent gives.
      await waitUntilNoneLeft('after Ctrl-C');
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

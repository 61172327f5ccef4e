import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { Etcd3 } from 'etcd3';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { stringify } from 'yaml';
import { freePorts } from '../../devstack/ports.js';
import { ManagedProcess } from '../../devstack/process.js';
import { etcdCluster, etcdMembers } from '../../devstack/servers/etcd.js';
import { versitygwServer } from '../../devstack/servers/versitygw.js';
import { builtWorker, workerFromSource, workerProcessSpec } from '../../devstack/worker-process.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import type { S3ServerInfo } from './stack.js';
import { temporalEnv } from './temporal-namespace.js';

/** A three-member etcd of our own, so tests may kill members without disturbing other files. */
export async function privateEtcd(
  dir: string,
): Promise<{ endpoints: string[]; members: Map<string, ManagedProcess>; stop(): Promise<void> }> {
  const ports = await freePorts(6);
  const clientPorts = ports.slice(0, 3);
  const peerPorts = ports.slice(3);
  const specs = etcdCluster({
    binary: inject('tools').etcd!,
    dataDir: dir,
    clientPorts,
    peerPorts,
    clusterToken: 'faults',
    unsafeNoFsync: true,
  });
  const endpoints = etcdMembers({ clientPorts, peerPorts }).map((m) => m.clientUrl);
  const members = new Map(specs.map((spec, i) => [endpoints[i]!, new ManagedProcess(spec)]));
  await Promise.all([...members.values()].map((m) => m.start()));
  return { endpoints, members, stop: async () => void (await Promise.all([...members.values()].map((m) => m.stop()))) };
}

/** Random values do not compress, so the snapshot stays as large as the data and takes seconds to stream. */
export async function loadEtcd(endpoints: string[], mebibytes: number): Promise<void> {
  const client = new Etcd3({ hosts: endpoints });
  try {
    for (let i = 0; i < mebibytes; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, mebibytes - i) }, (_, j) =>
          client.put(`/load/${i + j}`).value(randomBytes(1024 * 1024)),
        ),
      );
    }
  } finally {
    client.close();
  }
}

export async function privateS3(dir: string): Promise<{ server: S3ServerInfo; start(): Promise<ManagedProcess> }> {
  const [port] = (await freePorts(1)) as [number];
  const credentials = { accessKeyId: 'faults', secretAccessKey: 'faults-secret-123456' };
  const spec = versitygwServer({ binary: inject('tools').versitygw!, dataDir: dir, port, ...credentials });
  return {
    server: { name: 'versitygw', endpoint: `http://127.0.0.1:${port}`, ...credentials },
    start: async () => {
      const proc = new ManagedProcess(spec);
      await proc.start();
      return proc;
    },
  };
}

/** A protobuf timestamp (history event times, pending activity times) in epoch milliseconds. */
export function timestampMs(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined {
  return t ? Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6) : undefined;
}

/** The running activity as the server sees it: attempt, last failure and the last heartbeat details. */
export async function pendingActivity(handle: WorkflowHandle) {
  const description = await handle.describe();
  const pending = description.raw.pendingActivities?.[0];
  if (!pending) return undefined;
  const payload = pending.heartbeatDetails?.payloads?.[0];
  return {
    /** The attempt running now, or the next one while waiting out the backoff. */
    attempt: pending.attempt ?? 0,
    lastAttemptCompleted: timestampMs(pending.lastAttemptCompleteTime),
    nextAttemptScheduled: timestampMs(pending.nextAttemptScheduleTime),
    lastFailure: pending.lastFailure?.message ?? undefined,
    details: payload ? defaultPayloadConverter.fromPayload<Record<string, unknown>>(payload) : undefined,
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A worker in its own process, so a test can SIGKILL it like an OOM kill would: the production entrypoint from
 * source, or with `crashTest` the crash-test worker (test/helpers/crash-worker.ts: the prebuilt workflow bundle, so
 * it starts in seconds) that freezes at `crashPoint`, if given, for the test to kill; or with `builtIn` the built
 * worker's launcher in that dist directory (`npm run build`).
 */
export function workerProcess(
  config: LifeboatConfig,
  taskQueue: string,
  secrets: Map<string, string>,
  crashTest?: { crashPoint?: string; crashLedger?: string },
  builtIn?: string,
): ManagedProcess {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-worker-'));
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'lifeboat.yaml');
  writeFileSync(configFile, stringify(config));
  const launch = builtIn
    ? builtWorker(builtIn)
    : workerFromSource(crashTest ? 'test/helpers/crash-worker.ts' : undefined);
  return new ManagedProcess(
    workerProcessSpec(launch, {
      name: 'worker',
      env: {
        ...temporalEnv(),
        LIFEBOAT_TASK_QUEUE: taskQueue,
        LIFEBOAT_CONFIG: configFile,
        LIFEBOAT_SHUTDOWN_GRACE: '1s',
        ...(crashTest ? { LIFEBOAT_WORKFLOW_BUNDLE: inject('workflowBundlePath') } : {}),
        ...(crashTest?.crashPoint ? { LIFEBOAT_CRASH_POINT: crashTest.crashPoint } : {}),
        ...(crashTest?.crashLedger ? { LIFEBOAT_CRASH_LEDGER: crashTest.crashLedger } : {}),
        ...Object.fromEntries(secrets),
      },
      logFile: join(dir, 'worker.log'),
    }),
  );
}

/** Waits until a crash-test worker (workerProcess with a crashPoint) has frozen at its crash point's activity. */
export function frozenAtCrashPoint(worker: ManagedProcess, activity: string, timeoutMs = 240_000): Promise<true> {
  return waitFor(
    `the worker to freeze at its crash point (${activity})`,
    () => Promise.resolve(readFileSync(worker.spec.logFile, 'utf8').includes(`CRASH POINT ${activity}`) || undefined),
    timeoutMs,
  );
}

/** The line test/helpers/crash-worker.ts prints at start (it cannot be imported: importing it starts a worker). */
const IDENTITY_LINE = /^WORKER IDENTITY (.+)$/m;

/** The identity a crash-test worker process gives the server, from its log. */
export function identityOf(worker: ManagedProcess): string {
  const found = IDENTITY_LINE.exec(readFileSync(worker.spec.logFile, 'utf8'));
  if (!found) throw new Error(`${worker.spec.logFile} has no identity line`);
  return found[1]!;
}

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { Etcd3 } from 'etcd3';
import { parseDocument } from 'yaml';
import { applySchedules } from '../client/schedules-sync.js';
import { describePlan } from '../client/commands/apply.js';
import { TASK_QUEUE } from '../core/naming.js';
import { loadConfigFile } from '../runtime/config-file.js';
import { ensureSearchAttributes } from '../runtime/search-attributes.js';
import { acquireStackLock, releaseStackLock, writeState, type StackState } from './lock.js';
import { assertPortsFree, type PortClaim } from './ports.js';
import { lastLogLines, ManagedProcess, type ProcessSpec } from './process.js';
import { ensureBucket } from './s3-bucket.js';
import { etcdCluster, etcdMembers } from './servers/etcd.js';
import { temporalServer } from './servers/temporal.js';
import { versitygwServer } from './servers/versitygw.js';
import { consoleProgress, ensureTools } from './tools/build.js';

export const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const exampleConfigPath = join(repoRoot, 'deploy/examples/lifeboat.yaml');

export interface StackOptions {
  dataDir: string;
  temporalPort: number;
  uiPort: number;
  s3Port: number;
  etcdClientPorts: number[];
  configTemplate: string;
}

export const defaultStackOptions: StackOptions = {
  dataDir: join(repoRoot, '.lifeboat/dev'),
  temporalPort: 7233,
  uiPort: 8233,
  s3Port: 7070,
  etcdClientPorts: [2379, 22379, 32379],
  configTemplate: exampleConfigPath,
};

const S3_ACCESS_KEY_ENV = 'LIFEBOAT_S3_ACCESS_KEY_ID';
const S3_SECRET_KEY_ENV = 'LIFEBOAT_S3_SECRET_ACCESS_KEY';
const DEMO_BUCKET = 'lifeboat';

const say = (line: string) => process.stderr.write(`${line}\n`);

/** S3 keys for the local gateway: generated once per data directory, kept 0600, never printed. */
function localS3Credentials(dataDir: string): { accessKeyId: string; secretAccessKey: string; file: string } {
  const file = join(dataDir, 'credentials.env');
  if (!existsSync(file)) {
    writeFileSync(
      file,
      `${S3_ACCESS_KEY_ENV}=lifeboat-${randomBytes(4).toString('hex')}\n${S3_SECRET_KEY_ENV}=${randomBytes(24).toString('base64url')}\n`,
      { mode: 0o600 },
    );
  }
  const values = Object.fromEntries(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );
  return { accessKeyId: values[S3_ACCESS_KEY_ENV]!, secretAccessKey: values[S3_SECRET_KEY_ENV]!, file };
}

/** The example config with this stack's ports filled in; the example itself targets the default ports. */
function renderConfig(template: string, s3Endpoint: string, etcdEndpoints: string[], out: string): string {
  const doc = parseDocument(readFileSync(template, 'utf8'));
  doc.setIn(['storageLocations', 0, 'endpoint'], s3Endpoint);
  doc.setIn(['clusters', 0, 'etcd', 'endpoints'], doc.createNode(etcdEndpoints));
  writeFileSync(out, `# Rendered by the dev stack from ${template}\n${doc.toString()}`);
  return out;
}

function workerProcess(dataDir: string, env: Record<string, string>): ProcessSpec {
  const logFile = join(dataDir, 'worker.log');
  return {
    name: 'lifeboat worker',
    command: process.execPath,
    args: ['--import', 'tsx', join(repoRoot, 'worker/main.ts')],
    cwd: repoRoot,
    env,
    logFile,
    startTimeoutMs: 120_000,
    stopGraceMs: 35_000,
    // The worker logs this line once it polls; it is the one signal that bundling and connecting worked.
    ready: () =>
      Promise.resolve(existsSync(logFile) && readFileSync(logFile, 'utf8').includes('lifeboat worker ready')),
  };
}

/** A little tenant data on first start, so the first backup has something in it and a restore has something to bring back. */
async function seedDemoData(endpoints: string[]): Promise<void> {
  const client = new Etcd3({ hosts: endpoints });
  try {
    if ((await client.getAll().prefix('/demo/').count()) > 0) return;
    for (let i = 0; i < 100; i++) {
      await client
        .put(`/demo/tenants/tenant-${String(i).padStart(3, '0')}`)
        .value(JSON.stringify({ plan: i % 3 ? 'standard' : 'premium', createdAt: new Date().toISOString() }));
    }
  } finally {
    client.close();
  }
}

export class DevStack {
  private readonly processes: ManagedProcess[] = [];
  private readonly lockPath: string;
  private state: StackState | undefined;
  private stopping = false;

  constructor(readonly opts: StackOptions) {
    this.lockPath = join(opts.dataDir, 'stack.json');
  }

  private record(proc: ManagedProcess) {
    this.processes.push(proc);
    if (this.state && proc.pid) {
      this.state.children.push({ name: proc.spec.name, pid: proc.pid, command: proc.spec.command });
      writeState(this.lockPath, this.state);
    }
  }

  private async launch(specs: ProcessSpec[]): Promise<void> {
    const procs = specs.map((spec) => new ManagedProcess(spec));
    const starts = procs.map(async (proc) => {
      const started = proc.start();
      // start() spawns synchronously before its first await, so the pid is known here.
      this.record(proc);
      await started;
    });
    await Promise.all(starts);
  }

  async start(): Promise<void> {
    const { opts } = this;
    mkdirSync(opts.dataDir, { recursive: true });
    this.state = acquireStackLock(this.lockPath, say);
    try {
      await this.startServers();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private async startServers(): Promise<void> {
    const { opts } = this;
    const peerPorts = opts.etcdClientPorts.map((p) => p + 1);
    const claims: PortClaim[] = [
      { port: opts.temporalPort, purpose: 'Temporal frontend', option: '--temporal-port' },
      { port: opts.uiPort, purpose: 'Temporal Web UI', option: '--ui-port' },
      { port: opts.s3Port, purpose: 'S3 (versitygw)', option: '--s3-port' },
      ...opts.etcdClientPorts.flatMap((port, i) => [
        { port, purpose: `etcd member-${i} clients`, option: '--etcd-ports' },
        { port: port + 1, purpose: `etcd member-${i} peers (client port + 1)`, option: '--etcd-ports' },
      ]),
    ];
    await assertPortsFree(claims);

    const tools = await ensureTools(consoleProgress(), ['etcd', 'versitygw', 'temporal']);
    const s3 = localS3Credentials(opts.dataDir);
    const s3Endpoint = `http://127.0.0.1:${opts.s3Port}`;
    const etcdEndpoints = etcdMembers({ clientPorts: opts.etcdClientPorts, peerPorts }).map((m) => m.clientUrl);

    say('starting Temporal, S3 (versitygw) and a three-member etcd...');
    await this.launch([
      temporalServer({
        binary: tools.temporal,
        dataDir: join(opts.dataDir, 'temporal'),
        port: opts.temporalPort,
        uiPort: opts.uiPort,
        ui: true,
        persist: true,
      }),
      versitygwServer({ binary: tools.versitygw, dataDir: join(opts.dataDir, 's3'), port: opts.s3Port, ...s3 }),
      ...etcdCluster({
        binary: tools.etcd,
        dataDir: join(opts.dataDir, 'etcd'),
        clientPorts: opts.etcdClientPorts,
        peerPorts,
        clusterToken: 'lifeboat-dev',
      }),
    ]);

    await ensureBucket({ endpoint: s3Endpoint, ...s3 }, DEMO_BUCKET);
    await seedDemoData(etcdEndpoints);
    const temporalAddress = `127.0.0.1:${opts.temporalPort}`;
    const connection = await Connection.connect({ address: temporalAddress });
    try {
      // A persisted namespace keeps the attributes it was created with; register any that are missing.
      await ensureSearchAttributes(connection, 'default');

      const configPath = renderConfig(
        opts.configTemplate,
        s3Endpoint,
        etcdEndpoints,
        join(opts.dataDir, 'lifeboat.yaml'),
      );
      say('starting the Lifeboat worker...');
      await this.launch([
        workerProcess(opts.dataDir, {
          TEMPORAL_ADDRESS: temporalAddress,
          TEMPORAL_NAMESPACE: 'default',
          LIFEBOAT_CONFIG: configPath,
          [S3_ACCESS_KEY_ENV]: s3.accessKeyId,
          [S3_SECRET_KEY_ENV]: s3.secretAccessKey,
        }),
      ]);

      const plan = await applySchedules(new Client({ connection }), loadConfigFile(configPath), TASK_QUEUE, {
        dryRun: false,
      });
      say(`applied ${configPath}:\n${describePlan(plan, false)}`);

      this.state!.urls = {
        'Temporal UI': `http://127.0.0.1:${opts.uiPort}`,
        'Temporal gRPC': temporalAddress,
        S3: `${s3Endpoint} (bucket ${DEMO_BUCKET}; keys in ${s3.file})`,
        etcd: etcdEndpoints.join(','),
        config: configPath,
      };
      writeState(this.lockPath, this.state!);
      this.printSummary(configPath, s3.file);
    } finally {
      await connection.close();
    }
  }

  private printSummary(configPath: string, credentialsFile: string): void {
    const { opts } = this;
    const urls = this.state!.urls;
    const lines = [
      '',
      'Lifeboat dev stack is up (loopback only):',
      ...Object.entries(urls).map(([what, url]) => `  ${what.padEnd(14)} ${url}`),
      `  data dir       ${opts.dataDir} (kept across restarts; logs are here too)`,
      '',
      'Try next, in another terminal:',
      `  open http://127.0.0.1:${opts.uiPort}/namespaces/default/schedules     # the backup schedules`,
      `  TEMPORAL_ADDRESS=127.0.0.1:${opts.temporalPort} npx lifeboat check -f ${configPath}`,
      `  TEMPORAL_ADDRESS=127.0.0.1:${opts.temporalPort} npx lifeboat apply -f ${configPath} --dry-run`,
      `  set -a; . ${credentialsFile}; set +a   # the S3 keys, for aws-cli or mc`,
      '',
      'Press Ctrl-C to stop everything.',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }

  /** Resolves with the first server that exits on its own; the caller then stops the rest. */
  async watch(): Promise<ManagedProcess> {
    for (;;) {
      const dead = this.processes.find((p) => !p.running);
      if (dead) return dead;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Worker first (it drains activities), then the servers; safe to call more than once. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const worker = this.processes.filter((p) => p.spec.name === 'lifeboat worker');
    const rest = this.processes.filter((p) => p.spec.name !== 'lifeboat worker');
    await Promise.all(worker.map((p) => p.stop()));
    await Promise.all(rest.map((p) => p.stop()));
    releaseStackLock(this.lockPath);
  }
}

export function describeExit(proc: ManagedProcess): string {
  return `${proc.spec.name} stopped unexpectedly. Last log lines (${proc.spec.logFile}):\n${lastLogLines(proc.spec.logFile)}`;
}

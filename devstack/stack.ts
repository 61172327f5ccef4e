import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { parseDocument } from 'yaml';
import { resolveEtcd } from '../activities/etcd/target.js';
import { etcdClient } from '../activities/etcd/members.js';
import { productionDeps, type ActivityDeps } from '../activities/index.js';
import { applySchedules } from '../client/schedules-sync.js';
import { describePlan } from '../client/commands/apply-run.js';
import { TASK_QUEUE } from '../core/naming.js';
import { loadConfigFile } from '../runtime/config-file.js';
import { ensureSearchAttributes } from '../runtime/search-attributes.js';
import { startControlPlane, type ControlPlane } from './kube/control-plane.js';
import { applyTenant, waitForTenant } from './kube/etcd-tenant.js';
import { seedDemoApps } from './kube/demo-apps.js';
import { grantResourceReaderAccess, grantResourceRestorerAccess, grantWorkerAccess } from './kube/worker-access.js';
import { startNodeAgent, type NodeAgent } from './node-agent/agent.js';
import { prepareNodeIdentity } from './node-agent/identity.js';
import { killRecordedContainers } from './node-agent/leftovers.js';
import { acquireStackLock, releaseStackLock, writeState, type StackState } from './lock.js';
import { assertPortsFree, type PortClaim } from './ports.js';
import { lastLogLines, ManagedProcess, type ProcessSpec } from './process.js';
import { repoRoot } from '../build/repo-root.js';
import { ensureBucket } from './s3-bucket.js';
import { temporalServer } from './servers/temporal.js';
import { versitygwServer } from './servers/versitygw.js';
import { consoleProgress, ensureTools } from './tools/build.js';
import { workerFromSource, workerProcessSpec } from './worker-process.js';

export const exampleConfigPath = join(repoRoot, 'deploy/examples/lifeboat.yaml');

export interface StackOptions {
  dataDir: string;
  temporalPort: number;
  uiPort: number;
  s3Port: number;
  /** kube-apiserver; the control plane's etcd, the scheduler and the node agent take the next four ports. */
  kubePort: number;
  configTemplate: string;
}

export const DEMO_TENANT = 'tenant-demo';

export function kubePorts(kubePort: number) {
  return {
    apiServer: kubePort,
    etcdClient: kubePort + 1,
    etcdPeer: kubePort + 2,
    scheduler: kubePort + 3,
    kubelet: kubePort + 4,
  };
}

export const defaultStackOptions: StackOptions = {
  dataDir: join(repoRoot, '.lifeboat/dev'),
  temporalPort: 7233,
  uiPort: 8233,
  s3Port: 7070,
  kubePort: 6443,
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

/**
 * The example config with this stack's S3 endpoint and kubeconfigs filled in: the worker's least-privilege one for
 * the demo tenant's etcd, and the resource reader's (deploy/kubernetes/resource-reader.yaml) as the API of both the
 * tenant and the hub. The stack has one control plane, so the demo's "own API" and the hub are that cluster.
 */
function renderConfig(
  template: string,
  s3Endpoint: string,
  kubeconfigs: { worker: string; resourceReader: string; resourceRestorer: string },
  out: string,
): string {
  const doc = parseDocument(readFileSync(template, 'utf8'));
  doc.setIn(['storageLocations', 0, 'endpoint'], s3Endpoint);
  doc.setIn(['clusters', 0, 'kubernetes', 'kubeconfig'], kubeconfigs.worker);
  doc.setIn(['clusters', 0, 'api', 'kubeconfig'], kubeconfigs.resourceReader);
  doc.setIn(['clusters', 0, 'restoreApi', 'kubeconfig'], kubeconfigs.resourceRestorer);
  doc.setIn(['clusters', 1, 'kubernetes', 'kubeconfig'], kubeconfigs.resourceReader);
  doc.setIn(['clusters', 1, 'restoreApi', 'kubeconfig'], kubeconfigs.resourceRestorer);
  writeFileSync(out, `# Rendered by the dev stack from ${template}\n${doc.toString()}`);
  return out;
}

function workerProcess(dataDir: string, env: Record<string, string>): ProcessSpec {
  return workerProcessSpec(workerFromSource(), {
    env,
    logFile: join(dataDir, 'worker.log'),
    startTimeoutMs: 120_000,
    stopGraceMs: 35_000,
  });
}

async function retry<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** A little tenant data on first start, so the first backup has something in it and a restore has something to bring back. */
async function seedDemoData(deps: ActivityDeps, cluster: string): Promise<void> {
  // Members may still be settling (a recovered stack's etcd Pods are being adopted): the whole step is retried, the
  // lookup and the writes, which are idempotent (the same keys).
  await retry(async () => {
    // The same route and credentials the worker uses: members from Kubernetes, client TLS from the tenant's Secret.
    const connection = await resolveEtcd(deps, cluster);
    const client = etcdClient(connection.endpoints, connection.tls);
    try {
      if ((await client.getAll().prefix('/demo/').count()) > 0) return;
      for (let i = 0; i < 100; i++) {
        const value = JSON.stringify({ plan: i % 3 ? 'standard' : 'premium', createdAt: new Date().toISOString() });
        await client.put(`/demo/tenants/tenant-${String(i).padStart(3, '0')}`).value(value);
      }
    } finally {
      client.close();
    }
  }, 60_000);
}

export class DevStack {
  private readonly processes: ManagedProcess[] = [];
  private controlPlane: ControlPlane | undefined;
  private recovered = false;
  private agent: NodeAgent | undefined;
  private readonly lockPath: string;
  private state: StackState | undefined;
  private stopping = false;

  constructor(readonly opts: StackOptions) {
    this.lockPath = join(opts.dataDir, 'stack.json');
  }

  /** Remembers a child (in the state file too, for cleanup after a crash); `watch` only for ones this class stops. */
  private record(proc: ManagedProcess, watch = true) {
    if (watch) this.processes.push(proc);
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
    const { recovered, ...state } = acquireStackLock(this.lockPath, say);
    this.state = state;
    // Pod processes outlive a killed supervisor (their shims are not its children): the node agent adopts them.
    this.recovered = recovered;
    try {
      await this.startServers();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private async startServers(): Promise<void> {
    const { opts } = this;
    const kube = kubePorts(opts.kubePort);
    const claims: PortClaim[] = [
      { port: opts.temporalPort, purpose: 'Temporal frontend', option: '--temporal-port' },
      { port: opts.uiPort, purpose: 'Temporal Web UI', option: '--ui-port' },
      { port: opts.s3Port, purpose: 'S3 (versitygw)', option: '--s3-port' },
      { port: kube.apiServer, purpose: 'kube-apiserver', option: '--kube-port' },
      { port: kube.etcdClient, purpose: 'the control plane etcd (kube port + 1)', option: '--kube-port' },
      { port: kube.etcdPeer, purpose: 'the control plane etcd peers (kube port + 2)', option: '--kube-port' },
      { port: kube.scheduler, purpose: 'kube-scheduler (kube port + 3)', option: '--kube-port' },
      { port: kube.kubelet, purpose: 'the node agent (kube port + 4)', option: '--kube-port' },
    ];
    await assertPortsFree(claims, this.recovered ? 15_000 : 0);

    const tools = await ensureTools(consoleProgress(), ['etcd', 'versitygw', 'temporal', 'kubernetes']);
    const s3 = localS3Credentials(opts.dataDir);
    const s3Endpoint = `http://127.0.0.1:${opts.s3Port}`;

    say('starting Temporal, S3 (versitygw) and Kubernetes (etcd, kube-apiserver, controller-manager, scheduler)...');
    const kubeDir = join(opts.dataDir, 'kubernetes');
    const [, plane] = await Promise.all([
      this.launch([
        temporalServer({
          binary: tools.temporal,
          dataDir: join(opts.dataDir, 'temporal'),
          port: opts.temporalPort,
          ui: { port: opts.uiPort },
          persist: true,
        }),
        versitygwServer({ binary: tools.versitygw, dataDir: join(opts.dataDir, 's3'), port: opts.s3Port, ...s3 }),
      ]),
      startControlPlane({
        tools,
        dataDir: kubeDir,
        apiServerPort: kube.apiServer,
        etcdClientPort: kube.etcdClient,
        etcdPeerPort: kube.etcdPeer,
        schedulerPort: kube.scheduler,
      }),
    ]);
    this.controlPlane = plane;
    plane.processes.forEach((proc) => this.record(proc, false));

    say('starting the node agent and the demo tenant (a three-member etcd StatefulSet)...');
    const identity = await prepareNodeIdentity({
      pki: plane.pki,
      server: plane.server,
      nodeName: 'lifeboat-node',
      dir: join(kubeDir, 'node'),
    });
    this.agent = await startNodeAgent({
      ...identity,
      dataDir: join(kubeDir, 'node-agent'),
      port: kube.kubelet,
      etcdBinDir: dirname(tools.etcd),
      adminKubeconfig: plane.adminKubeconfig,
      log: (line) => appendFileSync(join(kubeDir, 'node-agent.log'), `${new Date().toISOString()} ${line}\n`),
    });
    const admin = new KubeConfig();
    admin.loadFromFile(plane.adminKubeconfig);
    const workerKubeconfig = await grantWorkerAccess(plane, kubeDir);
    const resourceReaderKubeconfig = await grantResourceReaderAccess(plane, kubeDir);
    const resourceRestorerKubeconfig = await grantResourceRestorerAccess(plane, kubeDir);
    await seedDemoApps(admin);
    await applyTenant(admin, {
      namespace: DEMO_TENANT,
      pkiDir: join(kubeDir, 'tenant-pki'),
      s3Credentials: s3,
    });
    await waitForTenant(admin, DEMO_TENANT);

    await ensureBucket({ endpoint: s3Endpoint, ...s3 }, DEMO_BUCKET);
    const configPath = renderConfig(
      opts.configTemplate,
      s3Endpoint,
      {
        worker: workerKubeconfig,
        resourceReader: resourceReaderKubeconfig,
        resourceRestorer: resourceRestorerKubeconfig,
      },
      join(opts.dataDir, 'lifeboat.yaml'),
    );
    const config = loadConfigFile(configPath);
    await seedDemoData(
      productionDeps(config, { [S3_ACCESS_KEY_ENV]: s3.accessKeyId, [S3_SECRET_KEY_ENV]: s3.secretAccessKey }),
      config.clusters[0]!.name,
    );

    const temporalAddress = `127.0.0.1:${opts.temporalPort}`;
    const connection = await Connection.connect({ address: temporalAddress });
    try {
      // A persisted namespace keeps the attributes it was created with; register any that are missing.
      await ensureSearchAttributes(connection, 'default');
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

      const plan = await applySchedules(new Client({ connection }), config, TASK_QUEUE, { dryRun: false });
      say(`applied ${configPath}:\n${describePlan(plan, false)}`);

      this.state!.urls = {
        'Temporal UI': `http://127.0.0.1:${opts.uiPort}`,
        'Temporal gRPC': temporalAddress,
        S3: `${s3Endpoint} (bucket ${DEMO_BUCKET}; keys in ${s3.file})`,
        Kubernetes: `${plane.server} (kubeconfig ${plane.adminKubeconfig})`,
        'demo tenant': `namespace ${DEMO_TENANT}: etcd StatefulSet (3 members, TLS), apiserver Deployment`,
        config: configPath,
      };
      writeState(this.lockPath, this.state!);
      this.printSummary(configPath, s3.file, plane.adminKubeconfig);
    } finally {
      await connection.close();
    }
  }

  private printSummary(configPath: string, credentialsFile: string, kubeconfig: string): void {
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
      `  export LIFEBOAT_CONFIG=${configPath} TEMPORAL_ADDRESS=127.0.0.1:${opts.temporalPort}`,
      `  set -a; . ${credentialsFile}; set +a      # the S3 keys, for the commands that read the bucket`,
      '  npx lifeboat backup now demo/hourly --wait',
      '  npx lifeboat backup now demo/apps --wait     # the API objects the apps policy selects, in Velero format',
      '  npx lifeboat backups list',
      `  KUBECONFIG=${kubeconfig} kubectl get sts,pods,pvc -n ${DEMO_TENANT}`,
      '',
      'Press Ctrl-C to stop everything.',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }

  /** Resolves with the first server that exits on its own; the caller then stops the rest. */
  async watch(): Promise<ManagedProcess> {
    for (;;) {
      const dead = [...this.processes, ...(this.controlPlane?.processes ?? [])].find((p) => !p.running);
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
    // Pods before the API that tracks them; the control plane before the servers it does not need.
    if (this.agent) await this.agent.stop();
    // A start that failed before its agent ran leaves the previous run's Pod processes unadopted: end them here.
    else killRecordedContainers(join(this.opts.dataDir, 'kubernetes', 'node-agent'));
    await this.controlPlane?.stop();
    await Promise.all(rest.map((p) => p.stop()));
    releaseStackLock(this.lockPath);
  }
}

export function describeExit(proc: ManagedProcess): string {
  return `${proc.spec.name} stopped unexpectedly. Last log lines (${proc.spec.logFile}):\n${lastLogLines(proc.spec.logFile)}`;
}

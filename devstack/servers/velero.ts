import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { createIfMissing } from '../kube/create.js';
import { isAlive } from '../lock.js';
import { freePorts, isPortFree } from '../ports.js';
import { lastLogLines, ManagedProcess } from '../process.js';
import { toolsCacheDir } from '../tools/build.js';
import { httpOk } from './http.js';

/**
 * A stock Velero server (v1.18.3 with velero-plugin-for-aws v1.14.3, devstack/tools/components.ts) run as a host
 * process against a kubeconfig and an S3 endpoint, the way the notes' "run locally" recipe does it
 * (../shared/research/velero-resources-notes.md, section 6 and "Verified on this project's machine"). For the
 * compatibility tests and the resource benchmark only; the dev and test stacks never start it by themselves.
 */

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface VeleroTools {
  velero: string;
  plugin: string;
}

export interface VeleroStore {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
}

export interface VeleroLocation {
  name: string;
  bucket: string;
  prefix?: string;
  /** ReadOnly for a prefix Velero must never write backups to nor delete from (Lifeboat's). */
  readOnly?: boolean;
  default?: boolean;
}

export interface VeleroOptions {
  tools: VeleroTools;
  /** A kubeconfig with the rights Velero needs (cluster-admin in the local stacks). */
  kubeconfig: string;
  dataDir: string;
  /** Velero's namespace; a unique one per test file keeps their Backup and Restore objects apart. */
  namespace?: string;
  store: VeleroStore;
  locations: VeleroLocation[];
  /** Extra `velero server` flags; none means Velero's defaults (the benchmark compares against those). */
  serverFlags?: string[];
}

/** What `velero backup get -o json` says of a backup (the fields the tests and the benchmark read). */
export interface VeleroBackup {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { storageLocation?: string; includedNamespaces?: string[] };
  status?: {
    phase?: string;
    formatVersion?: string;
    expiration?: string;
    startTimestamp?: string;
    completionTimestamp?: string;
    warnings?: number;
    errors?: number;
    progress?: { totalItems?: number; itemsBackedUp?: number };
  };
}

export interface VeleroRestore {
  metadata: { name: string };
  spec: { backupName: string; namespaceMapping?: Record<string, string> };
  status?: {
    phase?: string;
    warnings?: number;
    errors?: number;
    failureReason?: string;
    progress?: { itemsRestored?: number; totalItems?: number };
  };
}

export interface Velero {
  namespace: string;
  logFile: string;
  /** The `velero server` command line, as run (no secrets in it: credentials are in a file). */
  serverArgs: string[];
  pid: number | undefined;
  /** Runs the velero CLI against this server; returns stdout. */
  cli(args: string[], timeoutMs?: number): Promise<string>;
  backups(): Promise<VeleroBackup[]>;
  /** Polls `velero backup get` until the backup is listed (the sync controller imports a bucket's backups). */
  waitForBackup(name: string, timeoutMs?: number): Promise<VeleroBackup>;
  describe(name: string): Promise<string>;
  createBackup(
    name: string,
    opts: { location: string; includeNamespaces: string[]; includeResources?: string[] },
  ): Promise<VeleroBackup>;
  restore(
    name: string,
    opts: { fromBackup: string; namespaceMappings: Record<string, string> },
    timeoutMs?: number,
  ): Promise<VeleroRestore>;
  stop(): Promise<void>;
}

export class VeleroStartError extends Error {
  override name = 'VeleroStartError';
}

/** The AWS plugin's INI format; the file is the only place the secret key is written (mode 0600, never logged). */
function writeCredentials(dataDir: string, store: VeleroStore): string {
  const file = join(dataDir, 'credentials');
  rmSync(file, { force: true });
  writeFileSync(
    file,
    `[default]\naws_access_key_id=${store.accessKeyId}\naws_secret_access_key=${store.secretAccessKey}\n`,
    { mode: 0o600 },
  );
  return file;
}

/**
 * Velero runs every executable under --plugin-dir, so the plugin gets a directory of its own (the tool cache holds
 * velero itself beside it). A hard link when the cache is on the same file system, else a copy.
 */
function pluginDir(dataDir: string, plugin: string): string {
  const dir = join(dataDir, 'plugins');
  mkdirSync(dir, { recursive: true });
  const target = join(dir, 'velero-plugin-for-aws');
  rmSync(target, { force: true });
  try {
    linkSync(plugin, target);
  } catch {
    copyFileSync(plugin, target);
    chmodSync(target, 0o755);
  }
  return dir;
}

const CONTROLLER_RUNTIME_METRICS_PORT = 8080;

/**
 * controller-runtime's own metrics server always listens on :8080 on every interface: Velero sets no metrics options
 * for its manager and has no flag for it, so the port cannot be moved. Two Velero servers on one host therefore
 * collide, whatever their other ports. This lock (host-wide: in the tool cache, not in a run's TMPDIR) lets only one
 * run at a time; a lock whose owner died is taken over.
 */
async function acquireHostLock(timeoutMs: number): Promise<() => void> {
  const file = join(toolsCacheDir(), '.velero-server.lock');
  mkdirSync(toolsCacheDir(), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number(readFileSync(file, 'utf8').trim());
    if (!owner || !isAlive(owner)) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new VeleroStartError(
        `Another Velero server (started by pid ${owner}) still runs on this host after ${timeoutMs / 1000}s. Only one ` +
          `can run at a time (controller-runtime binds :${CONTROLLER_RUNTIME_METRICS_PORT}); stop it or wait for it.`,
      );
    await sleep(1000);
  }
}

async function waitForPort8080(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await isPortFree(CONTROLLER_RUNTIME_METRICS_PORT, '0.0.0.0'))) {
    if (Date.now() > deadline)
      throw new VeleroStartError(
        `Port ${CONTROLLER_RUNTIME_METRICS_PORT} is in use on this host: Velero's controller-runtime metrics server ` +
          `must bind it (it cannot be moved). Stop whatever listens there (ss -ltnp | grep :8080).`,
      );
    await sleep(500);
  }
}

/** Every object `velero install --crds-only --dry-run -o yaml` prints (a List or separate documents). */
async function veleroCrds(velero: string, env: NodeJS.ProcessEnv): Promise<KubernetesObject[]> {
  const { stdout } = await run(velero, ['install', '--crds-only', '--dry-run', '-o', 'yaml'], {
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as (KubernetesObject & { items?: KubernetesObject[] }) | null)
    .flatMap((o) => (o === null ? [] : o.kind === 'List' ? (o.items ?? []) : [o]));
}

async function waitEstablished(api: KubernetesObjectApi, crds: KubernetesObject[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const crd of crds) {
    for (;;) {
      const read = (await api.read({
        apiVersion: crd.apiVersion!,
        kind: crd.kind!,
        metadata: { name: crd.metadata!.name! },
      })) as { status?: { conditions?: { type: string; status: string }[] } };
      if (read.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new VeleroStartError(`CRD ${crd.metadata!.name} is not Established after 60s`);
      await sleep(250);
    }
  }
}

function storageLocation(namespace: string, store: VeleroStore, location: VeleroLocation): KubernetesObject {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'BackupStorageLocation',
    metadata: { name: location.name, namespace },
    spec: {
      provider: 'velero.io/aws',
      objectStorage: { bucket: location.bucket, ...(location.prefix ? { prefix: location.prefix } : {}) },
      config: {
        region: store.region ?? 'us-east-1',
        s3Url: store.endpoint,
        s3ForcePathStyle: 'true',
        // The plugin's default CRC32 upload checksums are not accepted by every S3 implementation (notes, section 6).
        checksumAlgorithm: '',
      },
      default: location.default ?? false,
      accessMode: location.readOnly ? 'ReadOnly' : 'ReadWrite',
      // Short periods so a test sees a new backup within seconds (the defaults are 1m).
      backupSyncPeriod: '10s',
      validationFrequency: '10s',
    },
  } as KubernetesObject;
}

/**
 * A restore item action reads the Velero server's image from a Deployment named `velero` in its namespace and fails
 * the restore without one (verified on this machine). The server runs on the host, so it is never scaled up.
 */
function placeholderDeployment(namespace: string): KubernetesObject {
  const labels = { app: 'velero', component: 'velero' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'velero', namespace, labels },
    spec: {
      replicas: 0,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'velero', image: 'velero/velero:v1.18.3', command: ['/velero'] }] },
      },
    },
  } as KubernetesObject;
}

async function waitAvailable(api: KubernetesObjectApi, namespace: string, names: string[], logFile: string) {
  const deadline = Date.now() + 120_000;
  for (const name of names) {
    for (;;) {
      const bsl = (await api.read({
        apiVersion: 'velero.io/v1',
        kind: 'BackupStorageLocation',
        metadata: { name, namespace },
      })) as { status?: { phase?: string; message?: string } };
      if (bsl.status?.phase === 'Available') break;
      if (Date.now() > deadline)
        throw new VeleroStartError(
          `BackupStorageLocation ${namespace}/${name} is not Available after 120s (phase ` +
            `${bsl.status?.phase ?? 'unset'}: ${bsl.status?.message ?? 'no message'}). Velero's log (${logFile}):\n` +
            lastLogLines(logFile, 30),
        );
      await sleep(500);
    }
  }
}

/** Pids of the processes whose parent is `pid` (Velero's plugin processes), read from /proc. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** Velero's `-o json` prints a list of one as that one object, any other list as a BackupList or RestoreList. */
function itemsOf<T>(json: string): T[] {
  const parsed = JSON.parse(json) as { kind?: string; items?: T[] | null };
  return parsed.kind?.endsWith('List') ? (parsed.items ?? []) : [parsed as T];
}

/**
 * Starts `velero server` as a host process: CRDs, namespace, placeholder Deployment and BackupStorageLocations first
 * (the server refuses to start without the first two), then the server, ready once its metrics answer and every
 * location is Available.
 */
export async function startVelero(opts: VeleroOptions): Promise<Velero> {
  const namespace = opts.namespace ?? 'velero';
  mkdirSync(opts.dataDir, { recursive: true });
  const home = join(opts.dataDir, 'home');
  mkdirSync(home, { recursive: true });
  const credentials = writeCredentials(opts.dataDir, opts.store);
  // The CLI keeps its config under HOME; keep it out of the user's.
  const env = { ...process.env, HOME: home, AWS_SHARED_CREDENTIALS_FILE: credentials };
  const common = ['--kubeconfig', opts.kubeconfig, '--namespace', namespace];

  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfig);
  const api = KubernetesObjectApi.makeApiClient(kc);
  const crds = await veleroCrds(opts.tools.velero, env);
  for (const crd of crds) await createIfMissing(api, crd);
  await waitEstablished(api, crds);
  await createIfMissing(api, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await createIfMissing(api, placeholderDeployment(namespace));
  for (const location of opts.locations) await createIfMissing(api, storageLocation(namespace, opts.store, location));

  const [metricsPort, profilerPort] = (await freePorts(2)) as [number, number];
  const serverArgs = [
    'server',
    ...common,
    '--plugin-dir',
    pluginDir(opts.dataDir, opts.tools.plugin),
    `--metrics-address=127.0.0.1:${metricsPort}`,
    `--profiler-address=127.0.0.1:${profilerPort}`,
    '--log-format=text',
    ...(opts.serverFlags ?? []),
  ];
  const logFile = join(opts.dataDir, 'velero-server.log');
  const server = new ManagedProcess({
    name: 'velero',
    command: opts.tools.velero,
    args: serverArgs,
    env: { HOME: home, AWS_SHARED_CREDENTIALS_FILE: credentials },
    logFile,
    startTimeoutMs: 120_000,
    stopGraceMs: 15_000,
    ready: () => httpOk(`http://127.0.0.1:${metricsPort}/metrics`),
  });

  const release = await acquireHostLock(10 * 60_000);
  let plugins: number[] = [];
  const stop = async () => {
    if (server.pid && server.running) plugins = childrenOf(server.pid);
    await server.stop();
    // Plugins are go-plugin children the server kills on a clean exit; after a forced stop they may outlive it.
    for (const pid of plugins) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    release();
  };
  try {
    await waitForPort8080(20_000);
    await server.start();
    await waitAvailable(
      api,
      namespace,
      opts.locations.map((l) => l.name),
      logFile,
    );
  } catch (err) {
    await stop();
    throw err;
  }

  const cli = async (args: string[], timeoutMs = 300_000) => {
    try {
      const { stdout } = await run(opts.tools.velero, [...args, ...common], {
        env,
        timeout: timeoutMs,
        maxBuffer: 256 * 1024 * 1024,
      });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`velero ${args.join(' ')} failed: ${e.stderr?.trim() || e.stdout?.trim() || e.message}`);
    }
  };
  const backups = async () => itemsOf<VeleroBackup>(await cli(['backup', 'get', '-o', 'json']));
  const backup = async (name: string) => itemsOf<VeleroBackup>(await cli(['backup', 'get', name, '-o', 'json']))[0]!;

  return {
    namespace,
    logFile,
    serverArgs,
    get pid() {
      return server.pid;
    },
    cli,
    backups,
    async waitForBackup(name, timeoutMs = 150_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = (await backups()).find((b) => b.metadata.name === name);
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(
            `velero backup get did not list ${name} within ${timeoutMs / 1000}s. Velero's log (${logFile}):\n` +
              lastLogLines(logFile, 30),
          );
        await sleep(2000);
      }
    },
    describe: (name) => cli(['backup', 'describe', name, '--details']),
    async createBackup(name, { location, includeNamespaces, includeResources }) {
      await cli([
        'backup',
        'create',
        name,
        '--storage-location',
        location,
        '--include-namespaces',
        includeNamespaces.join(','),
        ...(includeResources ? ['--include-resources', includeResources.join(',')] : []),
        '--snapshot-volumes=false',
        '--wait',
      ]);
      return backup(name);
    },
    async restore(name, { fromBackup, namespaceMappings }, timeoutMs) {
      const mappings = Object.entries(namespaceMappings)
        .map(([from, to]) => `${from}:${to}`)
        .join(',');
      await cli(
        ['restore', 'create', name, '--from-backup', fromBackup, '--namespace-mappings', mappings, '--wait'],
        timeoutMs,
      );
      return itemsOf<VeleroRestore>(await cli(['restore', 'get', name, '-o', 'json']))[0]!;
    },
    stop,
  };
}

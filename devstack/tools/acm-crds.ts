import type { KubeConfig } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { clusterApiFor, type ClusterApi } from '../../activities/kube/cluster-api.js';
import { waitForEstablished } from '../../activities/kube/crd-established.js';
import { apiReason, withApiRetries } from '../../activities/kube/list-pages.js';
import { clusterSchema } from '../../core/config/schema.js';
import { consoleProgress, toolsCacheDir, type Progress } from './build.js';

/**
 * The real ACM, OCM, Hive and OpenShift CRDs an ACM hub is simulated with (issue 15), taken from the Go modules that
 * publish them, through the module proxy: the only network the test machines have besides npm and Debian. Which
 * module, version and file, and why those, is /work/shared/research/acm-backup-notes.md section 4: the proxy refuses
 * version lists for these modules, so every version is an exact one it was seen to serve.
 */

export interface AcmKind {
  kind: string;
  group: string;
  /** The version the tests write: the CRD's storage version. */
  version: string;
  plural: string;
  namespaced: boolean;
}

const OCM_CLUSTER = 'cluster.open-cluster-management.io';
const HIVE = 'hive.openshift.io';

/** Every kind the CRDs below provide, by a name of its own (two groups have a ClusterClaim). */
export const AcmKinds = {
  ManagedCluster: {
    kind: 'ManagedCluster',
    group: OCM_CLUSTER,
    version: 'v1',
    plural: 'managedclusters',
    namespaced: false,
  },
  ManagedClusterSet: {
    kind: 'ManagedClusterSet',
    group: OCM_CLUSTER,
    version: 'v1beta2',
    plural: 'managedclustersets',
    namespaced: false,
  },
  ManagedClusterSetBinding: {
    kind: 'ManagedClusterSetBinding',
    group: OCM_CLUSTER,
    version: 'v1beta2',
    plural: 'managedclustersetbindings',
    namespaced: true,
  },
  Placement: { kind: 'Placement', group: OCM_CLUSTER, version: 'v1beta1', plural: 'placements', namespaced: true },
  PlacementDecision: {
    kind: 'PlacementDecision',
    group: OCM_CLUSTER,
    version: 'v1beta1',
    plural: 'placementdecisions',
    namespaced: true,
  },
  OcmClusterClaim: {
    kind: 'ClusterClaim',
    group: OCM_CLUSTER,
    version: 'v1alpha1',
    plural: 'clusterclaims',
    namespaced: false,
  },
  ManagedClusterAddOn: {
    kind: 'ManagedClusterAddOn',
    group: 'addon.open-cluster-management.io',
    version: 'v1alpha1',
    plural: 'managedclusteraddons',
    namespaced: true,
  },
  ClusterManagementAddOn: {
    kind: 'ClusterManagementAddOn',
    group: 'addon.open-cluster-management.io',
    version: 'v1alpha1',
    plural: 'clustermanagementaddons',
    namespaced: false,
  },
  ManifestWork: {
    kind: 'ManifestWork',
    group: 'work.open-cluster-management.io',
    version: 'v1',
    plural: 'manifestworks',
    namespaced: true,
  },
  KlusterletAddonConfig: {
    kind: 'KlusterletAddonConfig',
    group: 'agent.open-cluster-management.io',
    version: 'v1',
    plural: 'klusterletaddonconfigs',
    namespaced: true,
  },
  ClusterDeployment: {
    kind: 'ClusterDeployment',
    group: HIVE,
    version: 'v1',
    plural: 'clusterdeployments',
    namespaced: true,
  },
  ClusterPool: { kind: 'ClusterPool', group: HIVE, version: 'v1', plural: 'clusterpools', namespaced: true },
  HiveClusterClaim: { kind: 'ClusterClaim', group: HIVE, version: 'v1', plural: 'clusterclaims', namespaced: true },
  MachinePool: { kind: 'MachinePool', group: HIVE, version: 'v1', plural: 'machinepools', namespaced: true },
  ClusterImageSet: {
    kind: 'ClusterImageSet',
    group: HIVE,
    version: 'v1',
    plural: 'clusterimagesets',
    namespaced: false,
  },
  Policy: {
    kind: 'Policy',
    group: 'policy.open-cluster-management.io',
    version: 'v1',
    plural: 'policies',
    namespaced: true,
  },
  PlacementBinding: {
    kind: 'PlacementBinding',
    group: 'policy.open-cluster-management.io',
    version: 'v1',
    plural: 'placementbindings',
    namespaced: true,
  },
  Channel: {
    kind: 'Channel',
    group: 'apps.open-cluster-management.io',
    version: 'v1',
    plural: 'channels',
    namespaced: true,
  },
  Subscription: {
    kind: 'Subscription',
    group: 'apps.open-cluster-management.io',
    version: 'v1',
    plural: 'subscriptions',
    namespaced: true,
  },
  ManagedServiceAccount: {
    kind: 'ManagedServiceAccount',
    group: 'authentication.open-cluster-management.io',
    version: 'v1beta1',
    plural: 'managedserviceaccounts',
    namespaced: true,
  },
  ClusterVersion: {
    kind: 'ClusterVersion',
    group: 'config.openshift.io',
    version: 'v1',
    plural: 'clusterversions',
    namespaced: false,
  },
} as const satisfies Record<string, AcmKind>;

export type AcmKindName = keyof typeof AcmKinds;

export const crdName = (k: AcmKind): string => `${k.plural}.${k.group}`;
export const apiVersionOf = (k: AcmKind): string => `${k.group}/${k.version}`;

interface CrdSource {
  module: string;
  version: string;
  /** Each file in the module and the kind its CRD defines. */
  files: { path: string; kind: AcmKindName }[];
}

const OCM_API = 'open-cluster-management.io/api';
const HIVE_CRDS = 'config/crds';

/**
 * Install order is this order. Each module is a root module (a zip leaves out subtrees with a go.mod of their own).
 * Hive: its root module's newer pseudo-versions are refused; github.com/openshift/hive/apis holds no YAML.
 */
const SOURCES: readonly CrdSource[] = [
  {
    module: OCM_API,
    version: 'v1.3.0',
    files: [
      {
        path: 'cluster/v1/0000_00_clusters.open-cluster-management.io_managedclusters.crd.yaml',
        kind: 'ManagedCluster',
      },
      {
        path: 'cluster/v1beta2/0000_00_clusters.open-cluster-management.io_managedclustersets.crd.yaml',
        kind: 'ManagedClusterSet',
      },
      {
        path: 'cluster/v1beta2/0000_01_clusters.open-cluster-management.io_managedclustersetbindings.crd.yaml',
        kind: 'ManagedClusterSetBinding',
      },
      { path: 'cluster/v1beta1/0000_02_clusters.open-cluster-management.io_placements.crd.yaml', kind: 'Placement' },
      {
        path: 'cluster/v1beta1/0000_03_clusters.open-cluster-management.io_placementdecisions.crd.yaml',
        kind: 'PlacementDecision',
      },
      {
        path: 'cluster/v1alpha1/0000_02_clusters.open-cluster-management.io_clusterclaims.crd.yaml',
        kind: 'OcmClusterClaim',
      },
      // v1alpha1 rather than addon/v1beta1: those copies serve both versions with no conversion webhook.
      {
        path: 'addon/v1alpha1/0000_01_addon.open-cluster-management.io_managedclusteraddons.crd.yaml',
        kind: 'ManagedClusterAddOn',
      },
      {
        path: 'addon/v1alpha1/0000_00_addon.open-cluster-management.io_clustermanagementaddons.crd.yaml',
        kind: 'ClusterManagementAddOn',
      },
      { path: 'work/v1/0000_00_work.open-cluster-management.io_manifestworks.crd.yaml', kind: 'ManifestWork' },
    ],
  },
  {
    module: 'github.com/stolostron/klusterlet-addon-controller',
    version: 'v0.0.0-20251011010713-c9f0c7b72224',
    files: [
      {
        path: 'deploy/agent.open-cluster-management.io_klusterletaddonconfigs_crd.yaml',
        kind: 'KlusterletAddonConfig',
      },
    ],
  },
  {
    module: 'github.com/openshift/hive',
    version: 'v1.1.17-0.20230410203125-bb0124b40f86',
    files: [
      { path: `${HIVE_CRDS}/hive.openshift.io_clusterimagesets.yaml`, kind: 'ClusterImageSet' },
      { path: `${HIVE_CRDS}/hive.openshift.io_clusterdeployments.yaml`, kind: 'ClusterDeployment' },
      { path: `${HIVE_CRDS}/hive.openshift.io_clusterpools.yaml`, kind: 'ClusterPool' },
      { path: `${HIVE_CRDS}/hive.openshift.io_clusterclaims.yaml`, kind: 'HiveClusterClaim' },
      { path: `${HIVE_CRDS}/hive.openshift.io_machinepools.yaml`, kind: 'MachinePool' },
    ],
  },
  {
    // Not config-policy-controller: that one is the managed cluster's side.
    module: 'open-cluster-management.io/governance-policy-propagator',
    version: 'v0.19.0',
    files: [
      { path: 'deploy/crds/policy.open-cluster-management.io_policies.yaml', kind: 'Policy' },
      { path: 'deploy/crds/policy.open-cluster-management.io_placementbindings.yaml', kind: 'PlacementBinding' },
    ],
  },
  {
    module: 'open-cluster-management.io/multicloud-operators-subscription',
    version: 'v0.16.0',
    files: [
      { path: 'deploy/hub-common/apps.open-cluster-management.io_channels_crd.yaml', kind: 'Channel' },
      { path: 'deploy/hub-common/apps.open-cluster-management.io_subscriptions_crd_v1.yaml', kind: 'Subscription' },
    ],
  },
  {
    module: 'open-cluster-management.io/managed-serviceaccount',
    version: 'v0.10.0',
    files: [
      {
        path: 'config/crd/bases/authentication.open-cluster-management.io_managedserviceaccounts.yaml',
        kind: 'ManagedServiceAccount',
      },
    ],
  },
  {
    // The hub id of an OpenShift hub is its ClusterVersion's spec.clusterID.
    module: 'github.com/openshift/api',
    version: 'v0.0.0-20260805215214-cfb63858e9d7',
    files: [
      {
        path: 'config/v1/zz_generated.crd-manifests/0000_00_cluster-version-operator_01_clusterversions-Default.crd.yaml',
        kind: 'ClusterVersion',
      },
    ],
  },
];

export class AcmCrdError extends Error {
  override name = 'AcmCrdError';
}

/** Generous: a cold proxy serves the seven zips (about 12 MB) in seconds, a slow one may take minutes. */
const DOWNLOAD_TIMEOUT_MS = 5 * 60_000;

/** Keyed by the list itself, so editing a module, version, path or kind makes a new cache entry. */
function cacheDir(): string {
  const hash = createHash('sha256').update(JSON.stringify({ SOURCES, AcmKinds })).digest('hex').slice(0, 12);
  return join(toolsCacheDir(), `acm-crds-${hash}`);
}

/** Numbered so that the cache folder lists in install order and two modules' files of one name cannot collide. */
function cachedFiles(dir: string): string[] {
  const files = SOURCES.flatMap((s) => s.files.map((f) => f.path));
  return files.map((path, i) => join(dir, `${String(i + 1).padStart(2, '0')}-${basename(path)}`));
}

interface Downloaded {
  Dir?: string;
  Error?: string;
}

function goModDownload(source: CrdSource, cwd: string): Promise<string> {
  const target = `${source.module}@${source.version}`;
  const fix =
    `The version is pinned in devstack/tools/acm-crds.ts; check that the proxy serves it ` +
    `(\`go list -m ${target}\`, GOPROXY=${process.env.GOPROXY ?? "go's default"}) or pin one it does.`;
  return new Promise((resolve, reject) => {
    const child = spawn('go', ['mod', 'download', '-json', target], {
      cwd,
      // Outside any module, so no go.mod or workspace takes part; -modcacherw leaves the cache deletable.
      env: { ...process.env, GO111MODULE: 'on', GOFLAGS: '-modcacherw', GOWORK: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: DOWNLOAD_TIMEOUT_MS,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'ENOENT'
          ? "Go is not installed; install Go (from go.dev, or Debian's golang-go) and run again."
          : err.message;
      reject(new AcmCrdError(`go mod download ${target}: ${why}`));
    });
    child.on('close', (code, signal) => {
      let answer: Downloaded = {};
      try {
        answer = JSON.parse(Buffer.concat(stdout).toString('utf8')) as Downloaded;
      } catch {
        // No JSON: go failed before it got to the module; stderr says why.
      }
      if (code === 0 && answer.Dir) return resolve(answer.Dir);
      const why =
        signal !== null
          ? `no answer within ${DOWNLOAD_TIMEOUT_MS / 60_000} minutes (${signal})`
          : (answer.Error ?? Buffer.concat(stderr).toString('utf8').trim()) || `exit ${code}`;
      reject(new AcmCrdError(`go mod download ${target} failed: ${why}\n${fix}`));
    });
  });
}

interface CrdDocument {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { scope?: string; versions?: { name?: string; served?: boolean }[] };
}

function readCrds(file: string): CrdDocument[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const broken = docs.find((d) => d.errors.length > 0);
  if (broken) throw new AcmCrdError(`${file}: not valid YAML: ${broken.errors[0]!.message}`);
  const crds = docs.map((d) => d.toJS() as CrdDocument | null).filter((d): d is CrdDocument => d !== null);
  const other = crds.find((d) => d.kind !== 'CustomResourceDefinition' || !d.metadata?.name);
  if (other) throw new AcmCrdError(`${file}: holds a ${other.kind ?? 'document without a kind'}, not a named CRD`);
  return crds;
}

/** A file that no longer defines what the list says (a moved path, another version) fails here, not in a test. */
function checkProvides(file: string, where: string, kindName: AcmKindName): void {
  const want = AcmKinds[kindName];
  const crds = readCrds(file);
  const names = crds.map((c) => c.metadata!.name!);
  const crd = crds.find((c) => c.metadata!.name === crdName(want));
  const served = crd?.spec?.versions?.some((v) => v.name === want.version && v.served) ?? false;
  const scope = want.namespaced ? 'Namespaced' : 'Cluster';
  if (crd && served && crd.spec?.scope === scope) return;
  throw new AcmCrdError(
    `${where} defines ${names.join(', ')}; devstack/tools/acm-crds.ts expects ${crdName(want)} serving ` +
      `${want.version}, ${scope}. Fix the list (path, kind or version) to match the module.`,
  );
}

async function download(finalDir: string, progress: Progress): Promise<void> {
  const staging = `${finalDir}.partial-${process.pid}`;
  const empty = mkdtempSync(join(tmpdir(), 'acm-crds-go-'));
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    // Concurrently: the proxy's latency, not the 12 MB, is what a cold download waits for; go locks its cache.
    const dirs = await Promise.all(SOURCES.map((s) => goModDownload(s, empty)));
    const targets = cachedFiles(staging);
    let i = 0;
    for (const [s, source] of SOURCES.entries()) {
      for (const file of source.files) {
        const from = join(dirs[s]!, file.path);
        const where = `${source.module}@${source.version} ${file.path}`;
        if (!existsSync(from))
          throw new AcmCrdError(
            `${where} is not in the module (${dirs[s]}); fix the path in devstack/tools/acm-crds.ts.`,
          );
        checkProvides(from, where, file.kind);
        copyFileSync(from, targets[i++]!);
      }
    }
    writeFileSync(join(staging, '.complete'), new Date().toISOString());
    // A folder without its marker is a copy someone broke by hand: never complete, so ours replaces it.
    if (!existsSync(join(finalDir, '.complete'))) rmSync(finalDir, { recursive: true, force: true });
    try {
      renameSync(staging, finalDir);
    } catch (err) {
      // Another test file finished the same download first: its copy is as good as ours.
      if (!existsSync(join(finalDir, '.complete'))) throw err;
      progress.tick(`ACM CRDs: another process cached them first`);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  }
}

/**
 * The CRD files, in install order, from the cache outside the work tree; downloaded through the module proxy (Go
 * needed) when the cache has none for this list.
 */
export async function ensureAcmCrds(progress: Progress = consoleProgress()): Promise<string[]> {
  const dir = cacheDir();
  if (!existsSync(join(dir, '.complete'))) {
    const started = Date.now();
    progress.step(`ACM CRDs: downloading ${SOURCES.length} Go modules through the module proxy`);
    await download(dir, progress);
    progress.done(`ACM CRDs: cached in ${dir} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
  const files = cachedFiles(dir);
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0)
    throw new AcmCrdError(`${dir} lacks ${missing.join(', ')}; delete the folder so the next run downloads again.`);
  return files;
}

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
/** One field manager for every test file, so re-applying the same list from two of them never conflicts. */
const FIELD_MANAGER = 'lifeboat-acm-crds';

/**
 * Server-side apply: creates a CRD or updates one an older list left on a long-lived control plane, and, unlike a
 * client-side apply, keeps no copy of the object in an annotation (Hive's CRDs are large). Status is the server's.
 */
async function applyCrd(api: ClusterApi, crd: CrdDocument, file: string): Promise<void> {
  const { apiVersion, kind, metadata, spec } = crd;
  const name = metadata!.name!;
  try {
    await withApiRetries(() =>
      api.send(
        'PATCH',
        `${CRDS}/${name}`,
        { apiVersion, kind, metadata, spec },
        {
          contentType: 'application/apply-patch+yaml',
          query: { fieldManager: FIELD_MANAGER, force: 'true' },
          discardBody: true,
        },
      ),
    );
  } catch (err) {
    throw new AcmCrdError(`applying CRD ${name} (${file}) to ${api.server}: ${apiReason(err)}`);
  }
}

/**
 * The project's API client for a KubeConfig as the tests hold it: that client reads its credentials from a
 * kubeconfig file when it connects, so the config is written to a private file for that moment only.
 */
async function clusterApiOf(kc: KubeConfig): Promise<ClusterApi> {
  const dir = mkdtempSync(join(tmpdir(), 'acm-crds-kube-'));
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, kc.exportConfig(), { mode: 0o600 });
    return await clusterApiFor(clusterSchema.parse({ name: 'acm-crds', api: { kubeconfig } }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Applies every CRD of `files` (an existing one is updated in place) and waits until all are Established with
 * their names accepted, so objects can be created right after; the CRD names, in order.
 */
export async function installAcmCrds(
  kc: KubeConfig,
  files: readonly string[],
  options: { timeoutMs?: number } = {},
): Promise<string[]> {
  const crds = files.flatMap((file) => readCrds(file).map((crd) => ({ crd, file })));
  const names = crds.map(({ crd }) => crd.metadata!.name!);
  const api = await clusterApiOf(kc);
  try {
    await Promise.all(crds.map(({ crd, file }) => applyCrd(api, crd, file)));
    const timeoutMs = options.timeoutMs ?? 60_000;
    const states = await waitForEstablished(api, names, { timeoutMs });
    const pending = states.filter((s) => !(s.established && s.namesAccepted));
    if (pending.length > 0) {
      const why = pending.map((s) => `${s.name}: ${s.reason ?? 'not Established yet'}`).join('; ');
      throw new AcmCrdError(`CRDs not ready on ${api.server} after ${timeoutMs / 1000}s: ${why}`);
    }
    return names;
  } finally {
    await api.close();
  }
}

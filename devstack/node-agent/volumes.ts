import type { CoreV1Api, V1KeyToPath, V1Pod, V1Volume } from '@kubernetes/client-node';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, normalize } from 'node:path';
import { configMapEntries, secretEntries, type ConfigSource } from './config-source.js';
import { isNotFound } from './kube.js';
import { podField, resourceField, type PodAddresses } from './pod-fields.js';

/** A volume as a directory (or file) on this machine; containers bind-mount it onto their mountPaths. */
export interface LocalVolume {
  path: string;
  readOnly: boolean;
}

/** Kubelet's FailedMount: the Pod waits in ContainerCreating and the agent tries again. */
export class VolumeNotReadyError extends Error {
  override name = 'VolumeNotReadyError';
}

export interface VolumeContext {
  pod: V1Pod;
  /** Per-Pod directory for emptyDir and materialized Secret/ConfigMap/downward API volumes. */
  podDir: string;
  source: ConfigSource;
  core: CoreV1Api;
  addresses: PodAddresses;
}

interface FileItem {
  path: string;
  data: Buffer;
  mode?: number;
}

const DEFAULT_MODE = 0o644;

/**
 * Writes a materialized volume afresh, so keys removed from a Secret are gone on the next container start too. Each
 * file is replaced by a rename, never emptied first: a probe or a restarted sibling container rewrites the volume
 * while other containers of the Pod read it (etcd loads its TLS files on every handshake, and a missing file there
 * fails the handshake), so a reader sees the old file or the new one, never none.
 */
function writeFiles(dir: string, files: FileItem[], defaultMode: number): void {
  mkdirSync(dir, { recursive: true });
  const targets = files.map((file) => {
    const target = normalize(join(dir, file.path));
    if (!target.startsWith(`${dir}/`)) throw new VolumeNotReadyError(`invalid item path ${JSON.stringify(file.path)}`);
    return target;
  });
  const topLevel = new Set(targets.map((t) => t.slice(dir.length + 1).split('/')[0]));
  for (const entry of readdirSync(dir))
    if (!topLevel.has(entry)) rmSync(join(dir, entry), { recursive: true, force: true });
  files.forEach((file, i) => {
    const target = targets[i]!;
    mkdirSync(dirname(target), { recursive: true });
    const staged = join(dirname(target), `..${basename(target)}.${process.pid}.tmp`);
    writeFileSync(staged, file.data);
    chmodSync(staged, file.mode ?? defaultMode);
    renameSync(staged, target);
  });
}

/** Secret/ConfigMap keys as files: all keys, or only the listed items (a missing listed key fails unless optional). */
function keyFiles(
  data: Map<string, Buffer>,
  items: V1KeyToPath[] | undefined,
  what: string,
  optional: boolean,
): FileItem[] {
  if (!items?.length) return [...data].map(([key, value]) => ({ path: key, data: value }));
  const files: FileItem[] = [];
  for (const item of items) {
    const value = data.get(item.key);
    if (value === undefined) {
      if (optional) continue;
      throw new VolumeNotReadyError(`configuration key "${item.key}" not found in ${what}`);
    }
    files.push({ path: item.path, data: value, mode: item.mode });
  }
  return files;
}

async function secretFiles(
  ctx: VolumeContext,
  ref: { name?: string; secretName?: string; items?: V1KeyToPath[]; optional?: boolean },
): Promise<FileItem[]> {
  const name = ref.secretName ?? ref.name ?? '';
  const secret = await ctx.source.secret(ctx.pod.metadata!.namespace!, name);
  if (!secret) {
    if (ref.optional) return [];
    throw new VolumeNotReadyError(`secret "${name}" not found`);
  }
  return keyFiles(secretEntries(secret), ref.items, `Secret ${name}`, ref.optional ?? false);
}

async function configMapFiles(
  ctx: VolumeContext,
  ref: { name?: string; items?: V1KeyToPath[]; optional?: boolean },
): Promise<FileItem[]> {
  const name = ref.name ?? '';
  const cm = await ctx.source.configMap(ctx.pod.metadata!.namespace!, name);
  if (!cm) {
    if (ref.optional) return [];
    throw new VolumeNotReadyError(`configmap "${name}" not found`);
  }
  return keyFiles(configMapEntries(cm), ref.items, `ConfigMap ${name}`, ref.optional ?? false);
}

function downwardFiles(
  ctx: VolumeContext,
  items: { path: string; mode?: number; fieldRef?: { fieldPath: string }; resourceFieldRef?: unknown }[],
): FileItem[] {
  return items.map((item) => {
    const value = item.fieldRef
      ? podField(ctx.pod, item.fieldRef.fieldPath, ctx.addresses)
      : resourceField(ctx.pod, item.resourceFieldRef as Parameters<typeof resourceField>[1]);
    return { path: item.path, data: Buffer.from(value), mode: item.mode };
  });
}

/** A claim's volume is the directory its bound PersistentVolume names (the local provisioner makes hostPath PVs). */
async function claimPath(ctx: VolumeContext, claimName: string): Promise<string> {
  const namespace = ctx.pod.metadata!.namespace!;
  let pvc;
  try {
    pvc = await ctx.core.readNamespacedPersistentVolumeClaim({ name: claimName, namespace });
  } catch (err) {
    if (isNotFound(err)) throw new VolumeNotReadyError(`persistentvolumeclaim "${claimName}" not found`);
    throw err;
  }
  const volumeName = pvc.spec?.volumeName;
  if (pvc.status?.phase !== 'Bound' || !volumeName) {
    throw new VolumeNotReadyError(`persistentvolumeclaim "${claimName}" is not bound yet`);
  }
  const pv = await ctx.core.readPersistentVolume({ name: volumeName });
  const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
  if (!path) throw new VolumeNotReadyError(`persistentvolume "${volumeName}" has no local path (hostPath or local)`);
  mkdirSync(path, { recursive: true });
  return path;
}

function hostPath(path: string, type: string | undefined): string {
  switch (type ?? '') {
    case 'DirectoryOrCreate':
      mkdirSync(path, { recursive: true });
      break;
    case 'FileOrCreate':
      mkdirSync(dirname(path), { recursive: true });
      if (!existsSync(path)) writeFileSync(path, '');
      break;
    case 'Directory':
      if (!existsSync(path) || !statSync(path).isDirectory())
        throw new VolumeNotReadyError(`hostPath type check failed: ${path} is not a directory`);
      break;
    case 'File':
      if (!existsSync(path) || !statSync(path).isFile())
        throw new VolumeNotReadyError(`hostPath type check failed: ${path} is not a file`);
      break;
    default:
      break;
  }
  return path;
}

async function prepareVolume(ctx: VolumeContext, volume: V1Volume): Promise<LocalVolume> {
  const dir = join(ctx.podDir, 'volumes', volume.name);
  if (volume.emptyDir) {
    mkdirSync(dir, { recursive: true });
    return { path: dir, readOnly: false };
  }
  if (volume.hostPath) return { path: hostPath(volume.hostPath.path, volume.hostPath.type), readOnly: false };
  if (volume.persistentVolumeClaim) {
    const { claimName, readOnly } = volume.persistentVolumeClaim;
    return { path: await claimPath(ctx, claimName), readOnly: readOnly ?? false };
  }
  if (volume.ephemeral) {
    // The ephemeral volume controller names the claim <pod>-<volume>.
    return { path: await claimPath(ctx, `${ctx.pod.metadata!.name}-${volume.name}`), readOnly: false };
  }
  if (volume.secret) {
    writeFiles(dir, await secretFiles(ctx, volume.secret), volume.secret.defaultMode ?? DEFAULT_MODE);
    return { path: dir, readOnly: true };
  }
  if (volume.configMap) {
    writeFiles(dir, await configMapFiles(ctx, volume.configMap), volume.configMap.defaultMode ?? DEFAULT_MODE);
    return { path: dir, readOnly: true };
  }
  if (volume.downwardAPI) {
    writeFiles(dir, downwardFiles(ctx, volume.downwardAPI.items ?? []), volume.downwardAPI.defaultMode ?? DEFAULT_MODE);
    return { path: dir, readOnly: true };
  }
  if (volume.projected) {
    const files: FileItem[] = [];
    for (const source of volume.projected.sources ?? []) {
      if (source.secret) files.push(...(await secretFiles(ctx, source.secret)));
      if (source.configMap) files.push(...(await configMapFiles(ctx, source.configMap)));
      if (source.downwardAPI) files.push(...downwardFiles(ctx, source.downwardAPI.items ?? []));
      // serviceAccountToken sources are skipped: the local cluster issues no pod tokens (README).
    }
    writeFiles(dir, files, volume.projected.defaultMode ?? DEFAULT_MODE);
    return { path: dir, readOnly: true };
  }
  throw new VolumeNotReadyError(`volume "${volume.name}": this volume type is not supported by the local node agent`);
}

/** Every volume of the Pod as a local path; Secrets and ConfigMaps are read again each time (kubelet refreshes too). */
export async function prepareVolumes(ctx: VolumeContext): Promise<Map<string, LocalVolume>> {
  const volumes = new Map<string, LocalVolume>();
  for (const volume of ctx.pod.spec?.volumes ?? []) volumes.set(volume.name, await prepareVolume(ctx, volume));
  return volumes;
}

import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleEntries } from '../../build/bundle.js';
import { repoRoot } from '../../build/repo-root.js';

/**
 * What a container image means on this machine: the PATH its commands resolve against, and its ENTRYPOINT and CMD
 * (a Pod's `command` replaces the entrypoint, its `args` the cmd, as with a real image).
 */
export interface LocalImage {
  path: string[];
  entrypoint: string[];
  cmd: string[];
}

export interface ImageTable {
  resolve(image: string): LocalImage | undefined;
}

const SHELL_IMAGES = new Set(['busybox', 'alpine', 'debian', 'ubuntu', 'bash']);
const HOST_PATH = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];

/** registry.k8s.io/etcd:3.6.14 and quay.io/coreos/etcd@sha256:... both name the repository "etcd". */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@')[0]!;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const lastColon = withoutDigest.lastIndexOf(':');
  const withoutTag = lastColon > lastSlash ? withoutDigest.slice(0, lastColon) : withoutDigest;
  return withoutTag.slice(withoutTag.lastIndexOf('/') + 1);
}

/** The sources the CLI is built from: the bundle is rebuilt when any of them is newer. */
const CLI_SOURCES = ['client', 'activities', 'core', 'runtime', 'workflows'].map((d) => join(repoRoot, d));

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The Lifeboat image: the CLI built to JavaScript, as a real image ships it. Through tsx each container would spend
 * about 0.3 s of CPU compiling before it starts, which a restore pays three times at once (bench/etcd-restore).
 * Built as `npm run build` builds it (build/bundle.ts; packages left to node_modules, reached through a symlink), and
 * rebuilt before a container starts when a source changed, so a running dev stack never runs stale code.
 */
class LifeboatImage {
  readonly binDir: string;
  private readonly outDir: string;
  private builtAt = 0;

  constructor(dataDir: string) {
    this.binDir = join(dataDir, 'bin');
    this.outDir = join(dataDir, 'lifeboat-image');
    mkdirSync(this.binDir, { recursive: true });
    mkdirSync(this.outDir, { recursive: true });
    const modules = join(this.outDir, 'node_modules');
    if (!existsSync(modules)) symlinkSync(join(repoRoot, 'node_modules'), modules);
    const path = join(this.binDir, 'lifeboat');
    writeFileSync(path, `#!/bin/sh\nexec '${process.execPath}' '${join(this.outDir, 'cli.js')}' "$@"\n`);
    chmodSync(path, 0o755);
  }

  /** Builds the bundle if it is missing or older than the newest source. */
  ensureFresh(): void {
    const newest = Math.max(...CLI_SOURCES.map(newestSource));
    if (this.builtAt > newest) return;
    const startedAt = Date.now();
    try {
      bundleEntries({ cli: join(repoRoot, 'client', 'cli.ts') }, this.outDir);
      this.builtAt = startedAt;
    } catch (err) {
      // A source that does not compile mid-edit: keep the last good build; its containers' logs show the rest.
      process.stderr.write(`[node-agent] building the lifeboat image failed: ${(err as Error).message}\n`);
    }
  }
}

/**
 * The one place that maps images to local commands. An image not listed here cannot run: the agent reports it the way
 * kubelet reports an image it cannot pull.
 */
export function localImageTable(opts: { etcdBinDir: string; dataDir: string }): ImageTable {
  const lifeboat = new LifeboatImage(opts.dataDir);
  return {
    resolve(image) {
      const repository = imageRepository(image);
      // The etcd images (registry.k8s.io, quay.io/coreos, gcr.io/etcd-development) only set CMD.
      if (repository === 'etcd') return { path: [opts.etcdBinDir, ...HOST_PATH], entrypoint: [], cmd: ['etcd'] };
      // Lifeboat's image runs its CLI: `args` are a lifeboat command line.
      if (repository === 'lifeboat') {
        lifeboat.ensureFresh();
        return { path: [lifeboat.binDir, ...HOST_PATH], entrypoint: ['lifeboat'], cmd: [] };
      }
      if (SHELL_IMAGES.has(repository)) return { path: HOST_PATH, entrypoint: [], cmd: ['/bin/sh'] };
      // curlimages/curl: a shell and curl, here the host's (its entrypoint runs curl with the args).
      if (repository === 'curl') return { path: HOST_PATH, entrypoint: ['curl'], cmd: [] };
      return undefined;
    },
  };
}

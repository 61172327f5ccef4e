import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

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

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The `lifeboat` command inside the Lifeboat image: the repository's CLI through tsx, whatever the working dir. */
function writeLifeboatWrapper(binDir: string): void {
  mkdirSync(binDir, { recursive: true });
  // `tsx`'s import entry, found through its package.json (import.meta.resolve is missing under some loaders, e.g. vitest's).
  const tsxLoader = pathToFileURL(
    join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs'),
  ).href;
  const script = [
    '#!/bin/sh',
    `exec '${process.execPath}' --import '${tsxLoader}' '${join(repoRoot, 'client', 'cli.ts')}' "$@"`,
    '',
  ].join('\n');
  const path = join(binDir, 'lifeboat');
  writeFileSync(path, script);
  chmodSync(path, 0o755);
}

/**
 * The one place that maps images to local commands. An image not listed here cannot run: the agent reports it the way
 * kubelet reports an image it cannot pull.
 */
export function localImageTable(opts: { etcdBinDir: string; dataDir: string }): ImageTable {
  const lifeboatBin = join(opts.dataDir, 'bin');
  writeLifeboatWrapper(lifeboatBin);
  return {
    resolve(image) {
      const repository = imageRepository(image);
      // The etcd images (registry.k8s.io, quay.io/coreos, gcr.io/etcd-development) only set CMD.
      if (repository === 'etcd') return { path: [opts.etcdBinDir, ...HOST_PATH], entrypoint: [], cmd: ['etcd'] };
      // Lifeboat's image runs its CLI: `args` are a lifeboat command line.
      if (repository === 'lifeboat') return { path: [lifeboatBin, ...HOST_PATH], entrypoint: ['lifeboat'], cmd: [] };
      if (SHELL_IMAGES.has(repository)) return { path: HOST_PATH, entrypoint: [], cmd: ['/bin/sh'] };
      // curlimages/curl: a shell and curl, here the host's (its entrypoint runs curl with the args).
      if (repository === 'curl') return { path: HOST_PATH, entrypoint: ['curl'], cmd: [] };
      return undefined;
    },
  };
}

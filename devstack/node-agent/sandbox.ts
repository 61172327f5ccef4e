import type { V1Container } from '@kubernetes/client-node';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { ContainerConfigError } from './config-source.js';
import { expand } from './expansion.js';
import type { LocalVolume } from './volumes.js';

/** One bind mount of a container: a local path shown at the container's mountPath inside its mount namespace. */
export interface BindMount {
  source: string;
  target: string;
  readOnly: boolean;
  kind: 'dir' | 'file';
  /** Under another mount of the same container: created inside the namespace (in that volume), not on the host. */
  nested: boolean;
}

const depth = (path: string) => path.split(sep).filter(Boolean).length;
const isUnder = (path: string, parent: string) =>
  path !== parent && path.startsWith(parent === '/' ? '/' : `${parent}/`);

/** The container's volumeMounts (with subPath) plus the node's hosts file as /etc/hosts, parents before children. */
export function planMounts(
  container: V1Container,
  volumes: Map<string, LocalVolume>,
  env: Record<string, string>,
  hostsFile: string,
): BindMount[] {
  const mounts: Omit<BindMount, 'nested'>[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.get(mount.name);
    if (!volume) throw new ContainerConfigError(`volume mount "${mount.name}" names no volume of the pod`);
    const target = normalize(mount.mountPath);
    if (!isAbsolute(target)) throw new ContainerConfigError(`mountPath ${mount.mountPath} is not absolute`);
    let source = volume.path;
    const subPath = mount.subPathExpr ? expand(mount.subPathExpr, env) : mount.subPath;
    if (subPath) {
      if (isAbsolute(subPath) || normalize(subPath).split(sep).includes('..')) {
        throw new ContainerConfigError(`subPath ${JSON.stringify(subPath)} must be a relative path inside the volume`);
      }
      source = join(volume.path, subPath);
      // kubelet creates a missing subPath as a directory.
      if (!existsSync(source)) mkdirSync(source, { recursive: true });
    }
    const kind = existsSync(source) && statSync(source).isFile() ? 'file' : 'dir';
    mounts.push({ source, target, readOnly: (mount.readOnly ?? false) || volume.readOnly, kind });
  }
  if (!mounts.some((m) => m.target === '/etc/hosts')) {
    mounts.push({ source: hostsFile, target: '/etc/hosts', readOnly: true, kind: 'file' });
  }
  mounts.sort((a, b) => depth(a.target) - depth(b.target));
  return mounts.map((m, i) => ({ ...m, nested: mounts.slice(0, i).some((p) => isUnder(m.target, p.target)) }));
}

export const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

export interface HostTools {
  mount: string;
  mkdir: string;
  setsid: string;
  unshare: string;
  sh: string;
}

/**
 * The shell that runs first inside the container's private mount namespace (see README): bind-mount the volumes,
 * enter workingDir, check the command, then exec it. $1 is the instance's run directory; the rest is the argv.
 * In container mode a failure is written to <run>/start-error and the exit code is 128 (kubelet's StartError);
 * in probe mode it is printed, and the probe fails.
 */
export function preamble(opts: {
  mounts: BindMount[];
  workingDir?: string;
  mode: 'container' | 'probe';
  tools: HostTools;
}) {
  const { mount, mkdir } = opts.tools;
  const q = shellQuote;
  const lines = ['run=$1; shift'];
  if (opts.mode === 'container') {
    lines.push(`fail() { printf '%s' "$1" > "$run/start-error"; exit 128; }`, 'echo $$ > "$run/pid"');
  } else {
    lines.push(`fail() { printf '%s\\n' "$1" >&2; exit 126; }`);
  }
  for (const m of opts.mounts) {
    const t = q(m.target);
    if (m.nested) {
      lines.push(
        m.kind === 'dir'
          ? `[ -e ${t} ] || ${q(mkdir)} -p ${t} || fail ${q(`failed to create mount point ${m.target}`)}`
          : `[ -e ${t} ] || : > ${t} || fail ${q(`failed to create mount point ${m.target}`)}`,
      );
    }
    lines.push(`${q(mount)} --bind ${q(m.source)} ${t} || fail ${q(`failed to mount ${m.source} on ${m.target}`)}`);
    if (m.readOnly) {
      lines.push(`${q(mount)} -o remount,bind,ro ${t} || fail ${q(`failed to make ${m.target} read-only`)}`);
    }
  }
  if (opts.workingDir) {
    const wd = q(opts.workingDir);
    lines.push(`${q(mkdir)} -p ${wd} && cd ${wd} || fail ${q(`chdir to ${opts.workingDir} failed`)}`);
  }
  lines.push(
    'case "$1" in',
    `  */*) if [ ! -e "$1" ]; then fail "exec: \\"$1\\": stat $1: no such file or directory";`,
    `       elif [ -d "$1" ] || [ ! -x "$1" ]; then fail "exec: \\"$1\\": permission denied"; fi ;;`,
    `  *) command -v -- "$1" >/dev/null 2>&1 || fail "exec: \\"$1\\": executable file not found in \\$PATH" ;;`,
    'esac',
    'exec "$@"',
  );
  return lines.join('\n');
}

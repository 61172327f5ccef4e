import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { sep } from 'node:path';
import type { AgentState, MountPointRecord } from './state.js';

/**
 * Host paths the agent had to create so a container's mountPath exists to bind onto. Each is owned by the Pods using
 * it and removed (when still empty) once the last owner is gone, so running Pods leave no trace on the host.
 *
 * A path is not removed while any mount namespace on the machine still has something mounted on it or below it:
 * Linux detaches the mounts of every other namespace whose mount point is deleted, so removing /etc/etcd/tls when
 * this agent's last etcd Pod ends would pull the TLS files out from under every etcd another agent runs on the same
 * host (the dev stack's, a second test run's): their handshakes then fail with "internal error". Such a path stays
 * ownerless and is tried again at the next release.
 */
export class MountPoints {
  private readonly points: Record<string, MountPointRecord>;

  constructor(private readonly state: AgentState) {
    this.points = { ...state.mountPoints() };
  }

  ensure(path: string, kind: 'dir' | 'file', owner: string): void {
    const parts = path.split(sep).filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const current = sep + parts.slice(0, i).join(sep);
      const isTarget = i === parts.length;
      const record = this.points[current];
      if (record) {
        if (!record.owners.includes(owner)) record.owners.push(owner);
        continue;
      }
      if (existsSync(current)) continue;
      if (isTarget && kind === 'file') {
        writeFileSync(current, '', { flag: 'a' });
      } else {
        mkdirSync(current);
      }
      this.points[current] = { kind: isTarget ? kind : 'dir', owners: [owner] };
    }
    this.state.saveMountPoints(this.points);
  }

  release(owner: string): void {
    const orphaned: string[] = [];
    for (const [path, record] of Object.entries(this.points)) {
      if (record.owners.includes(owner)) record.owners = record.owners.filter((o) => o !== owner);
      if (record.owners.length === 0) orphaned.push(path);
    }
    if (orphaned.length === 0) return this.state.saveMountPoints(this.points);
    const mounted = mountPointsInUse();
    // Deepest first, so a created parent is empty by the time its turn comes.
    orphaned.sort((a, b) => b.length - a.length);
    for (const path of orphaned) {
      if (mounted.some((m) => m === path || m.startsWith(`${path}${sep}`))) continue;
      const record = this.points[path]!;
      delete this.points[path];
      try {
        if (record.kind === 'dir') rmdirSync(path);
        else if (statSync(path).size === 0) unlinkSync(path);
      } catch {
        // Someone put content there or removed it already: either way it is no longer the agent's to remove.
      }
    }
    this.state.saveMountPoints(this.points);
  }

  owners(): Set<string> {
    return new Set(Object.values(this.points).flatMap((p) => p.owners));
  }
}

/** The mount points of every mount namespace on the machine but this process's own (containers run in their own). */
function mountPointsInUse(): string[] {
  const own = readlinkSync('/proc/self/ns/mnt');
  const seen = new Set([own]);
  const points: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const namespace = readlinkSync(`/proc/${pid}/ns/mnt`);
      if (seen.has(namespace)) continue;
      seen.add(namespace);
      // Field 5 of a mountinfo line is the mount point, with spaces written as \040.
      for (const line of readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n')) {
        const point = line.split(' ')[4];
        if (point) points.push(point.replace(/\\040/g, ' '));
      }
    } catch {
      // The process ended while we looked: its namespace holds nothing any more.
    }
  }
  return points;
}

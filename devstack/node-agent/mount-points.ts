import { existsSync, mkdirSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { sep } from 'node:path';
import type { AgentState, MountPointRecord } from './state.js';

/**
 * Host paths the agent had to create so a container's mountPath exists to bind onto. Each is owned by the Pods using
 * it and removed (when still empty) once the last owner is gone, so running Pods leave no trace on the host.
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
      if (!record.owners.includes(owner)) continue;
      record.owners = record.owners.filter((o) => o !== owner);
      if (record.owners.length === 0) orphaned.push(path);
    }
    // Deepest first, so a created parent is empty by the time its turn comes.
    orphaned.sort((a, b) => b.length - a.length);
    for (const path of orphaned) {
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

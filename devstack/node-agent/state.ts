import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** One running container instance, as the agent must find it again after it restarts. */
export interface ContainerRecord {
  podUid: string;
  namespace: string;
  podName: string;
  container: string;
  restartCount: number;
  /** The shim (the container's parent, which records its exit code) and the container's process group. */
  shimPid: number;
  shimStartTime: string;
  pgid?: number;
  runDir: string;
}

/** A mount point the agent created on the host for a Pod's volume mount; removed when its last Pod is gone. */
export interface MountPointRecord {
  kind: 'dir' | 'file';
  owners: string[];
}

interface StateData {
  containers: Record<string, ContainerRecord>;
  mountPoints: Record<string, MountPointRecord>;
}

export const containerKey = (podUid: string, container: string) => `${podUid}/${container}`;

/** The agent's only local memory across restarts; everything else comes back from the API. */
export class AgentState {
  private data: StateData = { containers: {}, mountPoints: {} };

  constructor(private readonly path: string) {
    if (existsSync(path)) {
      try {
        const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<StateData>;
        this.data = { containers: parsed.containers ?? {}, mountPoints: parsed.mountPoints ?? {} };
      } catch {
        // A torn file from a crash mid-write cannot happen (rename), but a hand-edited one can: start empty.
      }
    }
  }

  containers(): ContainerRecord[] {
    return Object.values(this.data.containers);
  }

  container(podUid: string, container: string): ContainerRecord | undefined {
    return this.data.containers[containerKey(podUid, container)];
  }

  putContainer(record: ContainerRecord): void {
    this.data.containers[containerKey(record.podUid, record.container)] = record;
    this.save();
  }

  deleteContainer(podUid: string, container: string): void {
    const key = containerKey(podUid, container);
    if (!(key in this.data.containers)) return;
    delete this.data.containers[key];
    this.save();
  }

  mountPoints(): Record<string, MountPointRecord> {
    return this.data.mountPoints;
  }

  saveMountPoints(points: Record<string, MountPointRecord>): void {
    this.data.mountPoints = points;
    this.save();
  }

  private save(): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 2));
    renameSync(tmp, this.path);
  }
}

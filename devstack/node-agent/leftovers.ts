import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerProcess } from './container.js';
import { MountPoints } from './mount-points.js';
import { AgentState } from './state.js';

/**
 * For a supervisor cleaning up after an agent that died and will not be restarted (a restarted agent adopts or ends
 * them itself): kills every container its state file records and removes the mount points it created.
 * Returns how many containers were recorded.
 */
export function killRecordedContainers(dataDir: string): number {
  const path = join(dataDir, 'state.json');
  if (!existsSync(path)) return 0;
  const state = new AgentState(path);
  const records = state.containers();
  for (const record of records) ContainerProcess.kill(record);
  const mountPoints = new MountPoints(state);
  for (const owner of mountPoints.owners()) mountPoints.release(owner);
  return records.length;
}

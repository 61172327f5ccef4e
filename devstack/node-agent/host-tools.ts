import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { HostTools } from './sandbox.js';

export class NodeAgentSetupError extends Error {
  override name = 'NodeAgentSetupError';
}

const DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];

function find(name: string): string {
  const found = DIRS.map((d) => join(d, name)).find((p) => existsSync(p));
  if (!found) throw new NodeAgentSetupError(`the node agent needs ${name} (util-linux/coreutils) in ${DIRS.join(':')}`);
  return found;
}

/**
 * Absolute paths of the host programs containers are set up with (a container's PATH is its image's, not the host's),
 * after checking that this process may create mount namespaces: containers need root.
 */
export function hostTools(): HostTools {
  const tools = {
    mount: find('mount'),
    mkdir: find('mkdir'),
    setsid: find('setsid'),
    unshare: find('unshare'),
    sh: '/bin/sh',
  };
  const probe = spawnSync(tools.unshare, ['--mount', '--propagation', 'private', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new NodeAgentSetupError(
      `the node agent runs containers in private mount namespaces and needs root for that: ` +
        `unshare --mount failed (${(probe.stderr || probe.error?.message || '').trim()})`,
    );
  }
  return tools;
}

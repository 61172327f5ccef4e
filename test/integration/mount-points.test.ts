import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MountPoints } from '../../devstack/node-agent/mount-points.js';
import { AgentState } from '../../devstack/node-agent/state.js';
import { waitFor } from '../helpers/kube.js';

// Two node agents on one host (the dev stack's and a test run's) create and remove the same mount points, such as
// /etc/etcd/tls. Linux detaches every other namespace's mounts on a mount point that is deleted, so an agent that
// removed one its neighbour's containers still use pulled their files away (etcd then failed TLS handshakes with
// "internal error"). Real mount namespaces here, as the node agent's containers have them.
describe('node agent mount points', () => {
  let holder: ChildProcess | undefined;
  afterEach(() => void holder?.kill('SIGKILL'));

  it('are kept while another mount namespace has something mounted on them, and removed once it has not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-mounts-'));
    const source = join(dir, 'source');
    const target = join(dir, 'etc', 'etcd', 'tls');
    const points = new MountPoints(new AgentState(join(dir, 'state.json')));
    points.ensure(target, 'dir', 'pod-a');
    expect(existsSync(target)).toBe(true);

    // Another agent's container: its own mount namespace with a bind mount on the same path, reading a file through it.
    mkdirSync(source);
    writeFileSync(join(source, 'tls.key'), 'still here');
    const seen = join(dir, 'seen');
    holder = spawn('unshare', [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      // What it read goes to `seen` through a rename, so the test never reads a half-written file.
      `mount --bind '${source}' '${target}' && while :; do cat '${target}/tls.key' > '${seen}.new' 2>/dev/null || ` +
        `echo gone > '${seen}.new'; mv '${seen}.new' '${seen}'; sleep 0.1; done`,
    ]);
    await waitFor('the container to read through its mount', () =>
      Promise.resolve(existsSync(seen) && readFileSync(seen, 'utf8') === 'still here' ? true : undefined),
    );

    points.release('pod-a');
    expect(existsSync(target)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(readFileSync(seen, 'utf8')).toBe('still here');

    holder.kill('SIGKILL');
    await new Promise((r) => holder!.once('exit', r));
    holder = undefined;
    // Retried at the next release of any owner, once the namespace is gone (its last process, a `sleep`, may
    // outlive the shell by a moment).
    await waitFor(
      'the mount point to be removed at a later release',
      () => {
        points.ensure(join(dir, 'other'), 'dir', 'pod-b');
        points.release('pod-b');
        return Promise.resolve(existsSync(target) ? undefined : true);
      },
      10_000,
    );
    expect(existsSync(join(dir, 'etc'))).toBe(false);
  });
});

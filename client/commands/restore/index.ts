import type { Command } from 'commander';
import { registerEtcd } from './etcd.js';
import { registerOperatorUpdates } from './operator.js';
import { registerResources } from './resources.js';
import { registerStatus } from './status.js';

/**
 * `lifeboat restore ...`, one file per job: etcd (start, with from.ts for --from and dry-run.ts for the plan),
 * resources (start, with resource-request.ts for its flags and resource-output.ts for its results), follow.ts
 * (progress as it happens), status.ts, operator.ts (approve, retry, abort), kind.ts (which restore of a cluster
 * they mean), failure.ts (how one ended).
 */
export function registerRestore(program: Command): void {
  const restore = program
    .command('restore')
    .description(
      "Restore a cluster's etcd or its Kubernetes resources from a backup, and watch, approve, retry or abort a running restore",
    );
  registerEtcd(restore);
  registerResources(restore);
  registerStatus(restore);
  registerOperatorUpdates(restore);
}

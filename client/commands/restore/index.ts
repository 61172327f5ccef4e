import type { Command } from 'commander';
import { registerAcm } from './acm.js';
import { registerEtcd } from './etcd.js';
import { registerOperatorUpdates } from './operator.js';
import { registerResources } from './resources.js';
import { registerStatus } from './status.js';

/**
 * `lifeboat restore ...`, one file per job: etcd (start, with from.ts for --from and dry-run.ts for the plan),
 * resources (start, with resource-request.ts for its flags and resource-output.ts for its results), acm (an ACM hub
 * restore: acm-request.ts, acm-output.ts), follow.ts
 * (progress as it happens), status.ts, operator.ts (approve, retry, abort), kind.ts and find-restore.ts (which
 * restore of a cluster they mean), failure.ts (how one ended). Each command's file registers it; its action imports
 * the -run.ts beside it, so `lifeboat --help` loads none of them.
 */
export function registerRestore(program: Command): void {
  const restore = program
    .command('restore')
    .description(
      "Restore a cluster's etcd, its Kubernetes resources or an ACM hub from a backup, and watch, approve, retry or abort a running restore",
    );
  registerEtcd(restore);
  registerResources(restore);
  registerAcm(restore);
  registerStatus(restore);
  registerOperatorUpdates(restore);
}

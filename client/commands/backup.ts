import type { Command } from 'commander';
import { DURATION_RULE, parseDuration } from '../../core/duration.js';
import { backupName, workflowIds } from '../../core/naming.js';
import { LifeboatCluster, LifeboatKind, LifeboatKinds, LifeboatPolicy } from '../../core/search-attributes.js';
import { loadConfigFile } from '../../runtime/config-file.js';
import { etcdBackupProgress, type EtcdBackupPhase } from '../../workflows/etcd-backup.js';
import type { etcdBackup } from '../../workflows/index.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { humanBytes } from '../output.js';
import { resolvePolicy } from '../targets.js';
import { withTemporal, workflowFailureMessage } from '../temporal.js';

export function registerBackup(program: Command): void {
  const backup = program.command('backup').description('Take backups outside their schedule');
  backup
    .command('now')
    .description("Back up a cluster now with a policy's settings (a one-off backup, kept unless keepOneOff is false)")
    .argument('<cluster/policy>', 'the policy to back up with, e.g. demo/hourly')
    .requiredOption('-f, --file <path>', 'the config file', process.env.LIFEBOAT_CONFIG)
    .option('-w, --wait', 'follow the backup until it ends; exit 0 only if it succeeded', false)
    .option('--give-up-after <duration>', 'stop retrying an unreachable etcd or storage after this long, e.g. 10m')
    .action(async (target: string, opts: { file: string; wait: boolean; giveUpAfter?: string }) => {
      if (opts.giveUpAfter !== undefined && parseDuration(opts.giveUpAfter) === undefined) {
        throw new CliError(
          `--give-up-after "${opts.giveUpAfter}" is not a duration: use ${DURATION_RULE}`,
          ExitCode.BadInput,
        );
      }
      const config = loadConfigFile(opts.file);
      const policy = resolvePolicy(config, target);
      // Second precision: the name is the contract (ARCHITECTURE.md, "Names": <policy>-<yyyymmddhhmmss>).
      const requestedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
      const name = backupName(policy.name, requestedAt);
      await withTemporal(async ({ client, settings }) => {
        const handle = await client.workflow.start<typeof etcdBackup>('etcdBackup', {
          args: [
            {
              cluster: policy.cluster,
              policy: policy.name,
              requestedAt: requestedAt.toISOString(),
              ...(opts.giveUpAfter ? { giveUpAfter: opts.giveUpAfter } : {}),
            },
          ],
          taskQueue: settings.taskQueue,
          workflowId: workflowIds.etcdBackup(policy.cluster, policy.name, name),
          workflowIdConflictPolicy: 'USE_EXISTING',
          typedSearchAttributes: [
            { key: LifeboatCluster, value: policy.cluster },
            { key: LifeboatPolicy, value: policy.name },
            { key: LifeboatKind, value: LifeboatKinds.etcdBackup },
          ],
          staticSummary: `one-off etcd backup of ${policy.cluster} (${policy.name})`,
        });
        console.log(`started backup ${name} (workflow ${handle.workflowId})`);
        if (!opts.wait) return;
        let last: EtcdBackupPhase | undefined;
        const started = Date.now();
        const report = (phase: EtcdBackupPhase) => {
          if (phase !== last) console.error(`  ${((Date.now() - started) / 1000).toFixed(1)}s  ${phase}`);
          last = phase;
        };
        const poll = () =>
          handle
            .query(etcdBackupProgress)
            .then((p) => report(p.phase))
            .catch(() => undefined); // not started yet, or already closed
        await poll();
        const ticker = setInterval(() => void poll(), 1000);
        try {
          const manifest = await handle.result();
          clearInterval(ticker);
          report('done');
          console.log(
            `backup ${manifest.backup} complete: ${humanBytes(manifest.object.bytes)} at ${manifest.object.key}, ` +
              `etcd revision ${manifest.etcd.revision} from ${manifest.etcd.member}`,
          );
        } catch (err) {
          throw new CliError(`backup ${name} failed: ${workflowFailureMessage(err)}`);
        } finally {
          clearInterval(ticker);
        }
      });
    });
}

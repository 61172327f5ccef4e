import type { Command } from 'commander';
import type { SchedulePlan } from '../../core/schedules.js';
import { loadConfigFile } from '../../runtime/config-file.js';
import { applySchedules } from '../schedules-sync.js';
import { withTemporal } from '../temporal.js';

export function describePlan(plan: SchedulePlan, dryRun: boolean): string {
  const verb = (past: string, future: string) => (dryRun ? future : past);
  const lines = [
    ...plan.create.map((s) => `  + ${s.id}  ${verb('created', 'would be created')}  (${s.cron} ${s.timezone})`),
    ...plan.update.map((s) => `  ~ ${s.id}  ${verb('updated', 'would be updated')}  (${s.cron} ${s.timezone})`),
    ...plan.delete.map((id) => `  - ${id}  ${verb('deleted', 'would be deleted')}`),
    ...plan.unchanged.map((id) => `    ${id}  unchanged`),
  ];
  return lines.length > 0 ? lines.join('\n') : '  (no schedules in the config and none to remove)';
}

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('Reconcile Temporal Schedules to a lifeboat.yaml: create, update, and delete what was removed')
    .requiredOption('-f, --file <path>', 'the config file', process.env.LIFEBOAT_CONFIG)
    .option('--dry-run', 'show what would change and change nothing', false)
    .action(async (opts: { file: string; dryRun: boolean }) => {
      const config = loadConfigFile(opts.file);
      await withTemporal(async ({ client, settings }) => {
        const plan = await applySchedules(client, config, settings.taskQueue, { dryRun: opts.dryRun });
        console.log(`${opts.dryRun ? 'Dry run: ' : ''}schedules for ${opts.file}:`);
        console.log(describePlan(plan, opts.dryRun));
      });
    });
}

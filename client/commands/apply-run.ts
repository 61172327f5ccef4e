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

/** `lifeboat apply` (apply.ts registers it). */
export async function runApply(opts: { file: string; dryRun: boolean }): Promise<void> {
  const config = loadConfigFile(opts.file);
  await withTemporal(async ({ client, settings }) => {
    const plan = await applySchedules(client, config, settings.taskQueue, { dryRun: opts.dryRun });
    console.log(`${opts.dryRun ? 'Dry run: ' : ''}schedules for ${opts.file}:`);
    console.log(describePlan(plan, opts.dryRun));
  });
}

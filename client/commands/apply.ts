import type { Command } from 'commander';

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('Reconcile Temporal Schedules to a lifeboat.yaml: create, update, and delete what was removed')
    .requiredOption('-f, --file <path>', 'the config file', process.env.LIFEBOAT_CONFIG)
    .option('--dry-run', 'show what would change and change nothing', false)
    .action(async (opts: { file: string; dryRun: boolean }) => (await import('./apply-run.js')).runApply(opts));
}

import type { Command } from 'commander';

export function registerSchedules(program: Command): void {
  const schedules = program.command('schedules').description("List, pause and resume Lifeboat's backup schedules");
  schedules
    .command('list', { isDefault: true })
    .description('Show each schedule with its last result, next run and paused state')
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (opts: { output: string }) => (await import('./schedules-run.js')).runListSchedules(opts));
  for (const verb of ['pause', 'resume'] as const) {
    schedules
      .command(verb)
      .description(
        verb === 'pause'
          ? 'Stop a schedule from starting backups (running ones finish)'
          : 'Let a paused schedule start backups again',
      )
      .argument('<schedule>', 'schedule id, or <cluster>/<policy> for an etcd backup schedule')
      .option('-n, --note <text>', 'why, shown in `lifeboat schedules` and the UI', `${verb}d with the lifeboat CLI`)
      .action(async (target: string, opts: { note: string }) =>
        (await import('./schedules-run.js')).runPauseOrResume(verb, target, opts),
      );
  }
}

import type { Command } from 'commander';

export function registerRetention(program: Command): void {
  const command = program.command('retention').description('See and run retention for a backup policy');
  command
    .command('plan')
    .description(
      'Print what retention would delete now and why, for an etcd or a resource backup policy (reads the bucket; ' +
        'changes nothing)',
    )
    .argument('<cluster/policy>', 'e.g. demo/hourly')
    .requiredOption('-f, --file <path>', 'the config file', process.env.LIFEBOAT_CONFIG)
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (target: string, opts: { file: string; output: string }) =>
      (await import('./retention-run.js')).runRetentionPlan(target, opts),
    );
  command
    .command('run')
    .description(
      'Run retention for an etcd or a resource backup policy now (the worker does it; it also runs after every backup)',
    )
    .argument('<cluster/policy>', 'e.g. demo/hourly')
    .requiredOption('-f, --file <path>', 'the config file', process.env.LIFEBOAT_CONFIG)
    .action(async (target: string, opts: { file: string }) =>
      (await import('./retention-run.js')).runRetention(target, opts),
    );
}

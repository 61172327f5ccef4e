import type { Command } from 'commander';

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description(
      "Register Lifeboat's search attributes (LifeboatCluster, LifeboatPolicy, ...) in the Temporal namespace",
    )
    .action(async () => (await import('./setup-run.js')).runSetup());
}

import type { Command } from 'commander';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description(
      'Check that storage locations are writable and readable (runs the storageCheck workflow on the worker)',
    )
    .requiredOption('-f, --file <path>', 'the config file', process.env.LIFEBOAT_CONFIG)
    .option('-l, --location <name...>', 'only these storage locations (default: all)')
    .action(async (opts: { file: string; location?: string[] }) => (await import('./check-run.js')).runCheck(opts));
}

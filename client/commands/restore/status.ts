import type { Command } from 'commander';
import { addKindOption } from './kind.js';
import type { StatusOptions } from './status-run.js';

export function registerStatus(restore: Command): void {
  addKindOption(
    restore
      .command('status')
      .description(
        'Show the latest restore of a cluster (running or ended), etcd, resources or acm: status, backup, phase, each step',
      )
      .argument('<cluster>', 'the cluster, as named in the config')
      .option('-o, --output <format>', 'table or json', 'table'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  lifeboat restore status demo\n  lifeboat restore status demo --kind resources\n  lifeboat restore status new-hub --kind acm\n\n' +
        'Without --kind: the running restore of either kind, else the latest that ran.\n' +
        'Exit codes: 0 completed or running, 1 failed/terminated/cancelled, 2 no restore ever ran for the cluster ' +
        '(or both kinds run: pass --kind).',
    )
    .action(async (cluster: string, opts: StatusOptions) => (await import('./status-run.js')).runStatus(cluster, opts));
}

import type { Command } from 'commander';
import { addKindOption, type RestoreKind } from './kind.js';
import type { OperatorVerb } from './operator-run.js';

/** The operator's decisions a waiting restore accepts (workflow updates: operator-run.ts), as help describes them. */
const descriptions: Record<OperatorVerb, string> = {
  approve: 'Approve a restore waiting at its approval gate',
  retry: 'Run the step a restore is waiting on (after the point of no return) once more',
  abort:
    'End a waiting restore: at the approval gate nothing has changed yet; after the point of no return the cluster stays paused',
};

/** `lifeboat restore approve|retry|abort <cluster>`: they need Temporal only, not the config. */
export function registerOperatorUpdates(restore: Command): void {
  for (const verb of ['approve', 'retry', 'abort'] as const) {
    const command = addKindOption(restore.command(verb))
      .description(descriptions[verb])
      .argument('<cluster>', 'the cluster, as named in the config')
      .option('--by <name>', 'who decides, recorded in the workflow (default: $USER)');
    if (verb === 'abort') command.option('--reason <text>', 'why, recorded in the workflow and its failure');
    command
      .addHelpText(
        'after',
        `\nExample:\n  lifeboat restore ${verb} demo${verb === 'abort' ? ' --reason "wrong backup"' : ''}`,
      )
      .action(async (cluster: string, opts: { by?: string; reason?: string; kind?: RestoreKind }) =>
        (await import('./operator-run.js')).runOperatorUpdate(verb, cluster, opts),
      );
  }
}

import type { Command } from 'commander';
import { ensureSearchAttributes } from '../../runtime/search-attributes.js';
import { withTemporal } from '../temporal.js';

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description(
      "Register Lifeboat's search attributes (LifeboatCluster, LifeboatPolicy, ...) in the Temporal namespace",
    )
    .action(async () => {
      await withTemporal(async ({ connection, settings }) => {
        const added = await ensureSearchAttributes(connection, settings.namespace);
        console.log(
          added.length > 0
            ? `Registered ${added.join(', ')} in namespace ${settings.namespace}.`
            : `Namespace ${settings.namespace} already has every Lifeboat search attribute.`,
        );
      });
    });
}

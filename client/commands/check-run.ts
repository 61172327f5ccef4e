import Table from 'cli-table3';
import { workflowIds } from '../../core/naming.js';
import { LifeboatKind, LifeboatKinds } from '../../core/search-attributes.js';
import { loadConfigFile } from '../../runtime/config-file.js';
import type { storageCheck } from '../../workflows/index.js';
import { CliError } from '../exit-codes.js';
import { selectLocations } from '../storage.js';
import { withTemporal, workflowFailureMessage } from '../temporal.js';

/** `lifeboat check` (check.ts registers it). */
export async function runCheck(opts: { file: string; location?: string[] }): Promise<void> {
  const config = loadConfigFile(opts.file);
  const names = selectLocations(config, opts.location).map((l) => l.name);
  const table = new Table({ head: ['location', 'result', 'detail'] });
  let failures = 0;
  await withTemporal(async ({ client, settings }) => {
    for (const name of names) {
      process.stderr.write(`checking ${name}...\n`);
      try {
        const result = await client.workflow.execute<typeof storageCheck>('storageCheck', {
          args: [name],
          taskQueue: settings.taskQueue,
          workflowId: workflowIds.storageCheck(name),
          workflowIdConflictPolicy: 'USE_EXISTING',
          typedSearchAttributes: [{ key: LifeboatKind, value: LifeboatKinds.storageCheck }],
          staticSummary: `storage check of ${name}`,
          workflowExecutionTimeout: '5m',
        });
        table.push([name, 'ok', `wrote, read back and deleted ${result.bytes} bytes`]);
      } catch (err) {
        failures++;
        table.push([name, 'FAILED', workflowFailureMessage(err)]);
      }
    }
  });
  console.log(table.toString());
  if (failures > 0) throw new CliError(`${failures} of ${names.length} storage location(s) failed the check.`);
}

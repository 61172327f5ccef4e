import { ensureSearchAttributes } from '../../runtime/search-attributes.js';
import { withTemporal } from '../temporal.js';

/** `lifeboat setup` (setup.ts registers it). */
export async function runSetup(): Promise<void> {
  await withTemporal(async ({ connection, settings }) => {
    const added = await ensureSearchAttributes(connection, settings.namespace);
    console.log(
      added.length > 0
        ? `Registered ${added.join(', ')} in namespace ${settings.namespace}.`
        : `Namespace ${settings.namespace} already has every Lifeboat search attribute.`,
    );
  });
}

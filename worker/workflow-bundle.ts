import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The workflow bundle `npm run build` writes next to the built worker (build/bundle.ts). */
export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';

/**
 * The prebuilt bundle when the worker runs built (dist/worker.js); from source (`npm run worker`) there is none and
 * the worker bundles workflows/ at start, which takes seconds and a few hundred MiB while it runs.
 */
export function prebuiltWorkflowBundle(): string | undefined {
  const path = fileURLToPath(new URL(`./${WORKFLOW_BUNDLE_FILE}`, import.meta.url));
  return existsSync(path) ? path : undefined;
}

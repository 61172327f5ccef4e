import { DefaultLogger, Runtime } from '@temporalio/worker';
import { beforeAll } from 'vitest';
import { fileNamespace } from '../helpers/temporal-namespace.js';

// Once per test process, before any connection exists: keep the SDK's own logging to errors (tests provoke failures on purpose).
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // Already installed in this process (vitest may reuse a fork).
}

// Every test file works in a Temporal namespace of its own (the rule is in test/helpers/temporal-namespace.ts): it
// exists before the file's own hooks run.
beforeAll(() => fileNamespace().then(() => undefined), 120_000);

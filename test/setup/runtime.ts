import { DefaultLogger, Runtime } from '@temporalio/worker';

// Once per test process, before any connection exists: keep the SDK's own logging to errors (tests provoke failures on purpose).
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // Already installed in this process (vitest may reuse a fork).
}

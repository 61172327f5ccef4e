import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { pino } from 'pino';
import { productionDeps } from '../activities/index.js';
import { loadConfigFile } from '../runtime/config-file.js';
import { connectionOptions, temporalSettingsFromEnv } from '../runtime/temporal-connection.js';
import { createLifeboatWorker } from './create-worker.js';
import { WORKER_READY_LINE } from './ready.js';
import { prebuiltWorkflowBundle } from './workflow-bundle.js';

/**
 * The worker process. Environment: LIFEBOAT_CONFIG (path to lifeboat.yaml), the TEMPORAL_* connection variables
 * (runtime/temporal-connection.ts), LIFEBOAT_SHUTDOWN_GRACE (default 30s), LOG_LEVEL (default info).
 * SIGINT/SIGTERM drain running activities for the grace time, then exit 0.
 * Built (`npm run build`, then `node dist/worker.js`) it runs the workflow bundle built next to it.
 */
const log = pino({ level: process.env.LOG_LEVEL ?? 'info' });

async function main(): Promise<void> {
  const configPath = process.env.LIFEBOAT_CONFIG ?? 'lifeboat.yaml';
  const config = loadConfigFile(configPath);
  const settings = temporalSettingsFromEnv();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect(connectionOptions(settings));
  try {
    const workflowBundle = prebuiltWorkflowBundle();
    const worker = await createLifeboatWorker({
      connection,
      namespace: settings.namespace,
      taskQueue: settings.taskQueue,
      deps: productionDeps(config),
      shutdownGraceTime: process.env.LIFEBOAT_SHUTDOWN_GRACE ?? '30s',
      workflowBundlePath: workflowBundle,
    });
    log.info(
      {
        address: settings.address,
        namespace: settings.namespace,
        taskQueue: settings.taskQueue,
        config: configPath,
        workflows: workflowBundle ?? 'bundled from source at start',
      },
      WORKER_READY_LINE,
    );
    await worker.run();
    log.info('lifeboat worker stopped');
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  log.error({ err: err instanceof Error ? err.message : String(err) }, 'lifeboat worker failed');
  process.exit(1);
});

import { NativeConnection, Worker, type ActivityInterceptorsFactory } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities, type ActivityDeps } from '../activities/index.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface LifeboatWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** How long running activities may take to finish on shutdown before they are cancelled. */
  shutdownGraceTime?: string;
  /** A prebuilt bundle (tests build one per run); otherwise workflows/ is bundled at start. */
  workflowBundlePath?: string;
  /** Activity interceptors (e.g. metrics, or a fault injector in crash tests). */
  activityInterceptors?: ActivityInterceptorsFactory[];
}

/** The one place a Lifeboat worker is assembled: the dev stack, the production entrypoint and tests all use it. */
export function createLifeboatWorker(opts: LifeboatWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundlePath ? { workflowBundle: { codePath: opts.workflowBundlePath } } : { workflowsPath }),
    activities: createActivities(opts.deps),
    shutdownGraceTime: (opts.shutdownGraceTime ?? '30s') as '30s',
    maxCachedWorkflows: 200,
    ...(opts.activityInterceptors ? { interceptors: { activity: opts.activityInterceptors } } : {}),
  });
}

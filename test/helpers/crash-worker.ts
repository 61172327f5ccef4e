import { activityInfo } from '@temporalio/activity';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { NativeConnection } from '@temporalio/worker';
import { productionDeps } from '../../activities/index.js';
import { loadConfigFile } from '../../runtime/config-file.js';
import { createLifeboatWorker } from '../../worker/create-worker.js';
import { WORKER_READY_LINE } from '../../worker/ready.js';

/**
 * A Lifeboat worker process for crash tests. With LIFEBOAT_CRASH_POINT=after:<activity> it runs that activity for
 * real and then freezes before reporting it done (prints "CRASH POINT <activity>"), the worst moment for a worker to
 * die: the side effects happened, the server does not know. With before:<activity> it freezes before running it.
 * With after-each:<activity> and LIFEBOAT_CRASH_LEDGER=<file> it freezes after each execution of that activity the
 * ledger does not list yet (by workflow and activity id, so a retry passes): a chain of such workers, each killed at
 * its marker, kills the worker once after every step of a workflow.
 * The test SIGKILLs the process at the marker; another worker must finish the work without doing harm twice.
 * It prints "WORKER IDENTITY <identity>" at start: the identity the server records on every task this worker runs,
 * so the test can tell from the history which worker ran each attempt.
 * Other environment: LIFEBOAT_CONFIG, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, LIFEBOAT_TASK_QUEUE, LIFEBOAT_WORKFLOW_BUNDLE, S3 secrets.
 */
// Read by etcd-restore-crash.test.ts (which cannot import this file: importing it would start a worker).
const WORKER_IDENTITY_PREFIX = 'WORKER IDENTITY ';

const [when, target] = (process.env.LIFEBOAT_CRASH_POINT ?? ':').split(':');
const ledger = process.env.LIFEBOAT_CRASH_LEDGER;

/** after-each: the first completion of this activity (not of a retry the ledger already lists) freezes. */
function firstCompletion(): boolean {
  const info = activityInfo();
  const key = `${info.workflowExecution?.workflowId ?? ''}/${info.activityId}`;
  if (!ledger) throw new Error('after-each needs LIFEBOAT_CRASH_LEDGER');
  const seen = existsSync(ledger) ? readFileSync(ledger, 'utf8').split('\n') : [];
  if (seen.includes(key)) return false;
  appendFileSync(ledger, `${key}\n`);
  return true;
}

const freeze = () => {
  console.log(`CRASH POINT ${target}`);
  return new Promise<never>(() => undefined);
};

const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
const worker = await createLifeboatWorker({
  connection,
  namespace: process.env.TEMPORAL_NAMESPACE!,
  taskQueue: process.env.LIFEBOAT_TASK_QUEUE!,
  deps: productionDeps(loadConfigFile(process.env.LIFEBOAT_CONFIG!)),
  workflowBundlePath: process.env.LIFEBOAT_WORKFLOW_BUNDLE!,
  shutdownGraceTime: '1s',
  activityInterceptors: [
    () => ({
      inbound: {
        async execute(input, next) {
          const type = activityInfo().activityType;
          if (when === 'before' && type === target) await freeze();
          const result = await next(input);
          if (when === 'after' && type === target) await freeze();
          if (when === 'after-each' && type === target && firstCompletion()) await freeze();
          return result;
        },
      },
    }),
  ],
});
console.log(`${WORKER_IDENTITY_PREFIX}${worker.options.identity}`);
console.log(WORKER_READY_LINE);
await worker.run();

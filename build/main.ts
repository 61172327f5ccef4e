import { DefaultLogger } from '@temporalio/worker';
import { relative } from 'node:path';
import { buildDist } from './bundle.js';

// `npm run build`: what a production image ships next to node_modules (dist/lifeboat-worker, node dist/lifeboat.js).
const started = performance.now();
const outdir = await buildDist(undefined, new DefaultLogger('WARN'));
process.stdout.write(
  `built ${relative(process.cwd(), outdir) || '.'}/: lifeboat-worker (worker.js), lifeboat.js, workflow-bundle.js in ${((performance.now() - started) / 1000).toFixed(1)}s\n`,
);

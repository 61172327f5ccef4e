import { Command, InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import { StackAlreadyRunningError } from './lock.js';
import { PortInUseError } from './ports.js';
import { ServerStartError } from './process.js';
import { defaultStackOptions, describeExit, DevStack } from './stack.js';
import { ToolBuildError } from './tools/build.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new InvalidArgumentError('must be a port number from 1 to 65535');
  return n;
}

const program = new Command('devstack')
  .description(
    'Runs the embedded local stack on loopback: Temporal dev server with its Web UI, S3 (versitygw), a\n' +
      'Kubernetes control plane with a node agent and a demo tenant (a three-member etcd StatefulSet) as the backup\n' +
      'target, and the Lifeboat worker; applies the example config. Ctrl-C stops everything.',
  )
  .option(
    '--data-dir <dir>',
    'where data, logs and state live (reused on the next start)',
    process.env.LIFEBOAT_DATA_DIR ?? defaultStackOptions.dataDir,
  )
  .option('--temporal-port <port>', 'Temporal gRPC port', port, defaultStackOptions.temporalPort)
  .option('--ui-port <port>', 'Temporal Web UI port', port, defaultStackOptions.uiPort)
  .option('--s3-port <port>', 'S3 (versitygw) port', port, defaultStackOptions.s3Port)
  .option(
    '--kube-port <port>',
    'kube-apiserver port; the control plane etcd, scheduler and node agent use the next four',
    port,
    defaultStackOptions.kubePort,
  )
  .option(
    '-f, --config <file>',
    "config template to apply (its first storage location gets the stack's S3, its first cluster the worker's kubeconfig)",
    defaultStackOptions.configTemplate,
  )
  .showHelpAfterError();

program.parse();
const opts = program.opts<{
  dataDir: string;
  temporalPort: number;
  uiPort: number;
  s3Port: number;
  kubePort: number;
  config: string;
}>();

const stack = new DevStack({
  dataDir: resolve(opts.dataDir),
  temporalPort: opts.temporalPort,
  uiPort: opts.uiPort,
  s3Port: opts.s3Port,
  kubePort: opts.kubePort,
  configTemplate: resolve(opts.config),
});

let interrupted = false;
const shutdown = (signal: string) => {
  if (interrupted) return;
  interrupted = true;
  process.stderr.write(`\n${signal}: stopping the dev stack...\n`);
  void stack.stop().then(() => {
    process.stderr.write('stopped.\n');
    process.exit(0);
  });
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

try {
  await stack.start();
} catch (err) {
  const known = [StackAlreadyRunningError, PortInUseError, ServerStartError, ToolBuildError].some(
    (t) => err instanceof t,
  );
  process.stderr.write(`error: ${known ? (err as Error).message : String((err as Error).stack ?? err)}\n`);
  process.exit(known && err instanceof StackAlreadyRunningError ? 3 : 1);
}
if (!interrupted) {
  const dead = await stack.watch();
  if (!interrupted) {
    process.stderr.write(`error: ${describeExit(dead)}\nstopping the rest of the stack...\n`);
    await stack.stop();
    process.exit(1);
  }
}

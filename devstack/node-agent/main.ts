import { Command, InvalidArgumentError } from 'commander';
import { dirname } from 'node:path';
import { consoleProgress, ensureTools } from '../tools/build.js';
import { startNodeAgent } from './agent.js';

const port = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('must be a port number');
  return n;
};

const program = new Command('node-agent')
  .description('Play kubelet for one Node of the local cluster: run its Pods as local processes (needs root).')
  .requiredOption('--kubeconfig <file>', 'kubeconfig of the node identity (system:node:<name>)')
  .requiredOption('--node-name <name>', 'the Node to register and run Pods for')
  .requiredOption('--data-dir <dir>', 'Pods, logs, volumes and state; reuse it to adopt running Pods after a restart')
  .requiredOption('--port <port>', 'kubelet HTTPS port (container logs)', port)
  .requiredOption('--serving-cert <file>', 'serving certificate for the HTTPS port')
  .requiredOption('--serving-key <file>', 'its key')
  .requiredOption('--client-ca <file>', 'CA that client certificates (the API server) must chain to')
  .option('--etcd-bin-dir <dir>', 'directory with etcd, etcdctl, etcdutl (default: the built tools)')
  .option('--admin-kubeconfig <file>', 'admin kubeconfig, only to create the default StorageClass')
  .parse();

const opts = program.opts<{
  kubeconfig: string;
  nodeName: string;
  dataDir: string;
  port: number;
  servingCert: string;
  servingKey: string;
  clientCa: string;
  etcdBinDir?: string;
  adminKubeconfig?: string;
}>();

const etcdBinDir = opts.etcdBinDir ?? dirname((await ensureTools(consoleProgress())).etcd);
const agent = await startNodeAgent({ ...opts, etcdBinDir });

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`[node-agent ${opts.nodeName}] ${signal}: stopping all containers`);
  agent.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

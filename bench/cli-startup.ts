import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { bundleEntries } from '../build/bundle.js';
import { INPUT_STAMP_FILE } from '../build/input-stamp.js';
import { repoRoot } from '../build/repo-root.js';
import { VERSION } from '../client/version.js';
import { median, say } from './lib/stats.js';

/**
 * bench/cli-startup (issue 16): what a CLI command costs to start, as CPU seconds (user + system) of its process and
 * as a multiple of `node -e 0`'s, measured in the same run, since absolute CPU differs between machines.
 *   - clone: `node client/bin/lifeboat.js` (the package's bin, `npx lifeboat`), with its cache of the built CLI warm
 *   - dist: `node dist/lifeboat.js` as `npm run build` makes it (built here into a temp dir beside a link to
 *     node_modules, as an image ships it)
 *   - sources: `node --import tsx client/cli.ts`, what the bin ran before, for reference
 * Each runs --version, --help, and two commands that talk to Temporal: `schedules` and `restore status demo`. Their
 * Temporal is a stand-in gRPC server in this process that answers every call UNIMPLEMENTED: the client connects (the
 * SDK takes UNIMPLEMENTED to GetSystemInfo for an old server), makes its first real call, fails it and exits 1, so the
 * figure is the load and one round trip without a server's own time. The commands run alternating, --rounds times
 * each (default 10); medians are reported. Targets: --help and --version at most 2x `node -e 0`, a Temporal command
 * at most 4x. For scale, it also times the floor of any command that talks to Temporal: a script that imports
 * @temporalio/client and nothing else, and one that also connects and lists schedules as `lifeboat schedules` does;
 * and, once, the first run after a source changed (the bin compiles its cache again).
 */
const execFileAsync = promisify(execFile);
const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '10' } } });
const ROUNDS = Number(args.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1)
  throw new Error(`--rounds must be a whole number >= 1, not ${args.rounds}`);

interface Sample {
  wall: number;
  cpu: number;
  code: number;
  stderr: string;
}

/**
 * One run of a command, timed by bash's `time`, which reads the child's rusage (getrusage of the children it waited
 * for, in milliseconds): the CPU of the process from its exec to its exit, whichever threads spent it.
 */
async function timed(command: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  const errFile = join(scratch, 'stderr');
  const script = 'TIMEFORMAT="%3R %3U %3S"; { time "$@" >/dev/null 2>"$ERR"; } 2>&1; echo "exit $?"';
  // Not spawnSync: the stand-in Temporal answers from this process's event loop meanwhile.
  const { stdout } = await execFileAsync('bash', ['-c', script, 'bench', ...command], {
    env: { ...env, ERR: errFile },
  });
  const [times, exit] = stdout.trim().split('\n');
  const [wall, user, sys] = times!.split(' ').map(Number) as [number, number, number];
  return { wall, cpu: user + sys, code: Number(exit?.split(' ')[1]), stderr: readFileSync(errFile, 'utf8') };
}

/** gRPC calls the stand-in answered: a Temporal command that makes none did not get as far as its first call. */
let calls = 0;

/** A Temporal stand-in: every gRPC call is answered UNIMPLEMENTED (the CLI's first real call fails with it). */
function standInTemporal(): Promise<Http2Server> {
  const server = createServer();
  server.on('stream', (stream: ServerHttp2Stream) => {
    calls++;
    stream.resume();
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () =>
      stream.sendTrailers({ 'grpc-status': '12', 'grpc-message': 'bench/cli-startup stand-in' }),
    );
    stream.end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const SDK_IMPORT = "(await import('node:module')).enableCompileCache(); await import('@temporalio/client');";
/** The floor of a Temporal command: the SDK alone (V8's code cache on, as the CLI has it) making the same first call. */
const SDK_ALONE = `
(await import('node:module')).enableCompileCache();
const { Client, Connection } = await import('@temporalio/client');
const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
try {
  for await (const schedule of new Client({ connection }).schedule.list()) break;
} catch {
  // the stand-in's UNIMPLEMENTED, as the CLI gets it
} finally {
  await connection.close();
}`;

const scratch = mkdtempSync(join(tmpdir(), 'lifeboat-cli-startup-'));
const node = process.execPath;
const server = await standInTemporal();
const env: NodeJS.ProcessEnv = {
  ...process.env,
  TEMPORAL_ADDRESS: `127.0.0.1:${(server.address() as AddressInfo).port}`,
};
delete env.NODE_OPTIONS;

try {
  // dist/ as `npm run build` writes the CLI (the same bundleEntries call), next to node_modules as in an image.
  symlinkSync(join(repoRoot, 'node_modules'), join(scratch, 'node_modules'));
  bundleEntries({ lifeboat: join(repoRoot, 'client', 'cli.ts') }, join(scratch, 'dist'));

  const bin = join(repoRoot, 'client', 'bin', 'lifeboat.js');
  const cacheStamp = join(repoRoot, 'node_modules', '.cache', 'lifeboat-cli', INPUT_STAMP_FILE);
  // The first run after a change: without its stamp the bin's cache is stale, as after an edit, and is built again.
  rmSync(`${cacheStamp}.bench`, { force: true });
  try {
    renameSync(cacheStamp, `${cacheStamp}.bench`);
  } catch {
    // no cache yet: this run builds the first
  }
  const rebuild = await timed([node, bin, '--version'], env);
  rmSync(`${cacheStamp}.bench`, { force: true });

  const variants: [string, string[]][] = [
    ['clone', [node, bin]],
    ['dist', [node, join(scratch, 'dist', 'lifeboat.js')]],
    ['sources', [node, '--import', 'tsx', join(repoRoot, 'client', 'cli.ts')]],
  ];
  const commands: [string, string[], number, number][] = [
    ['--version', ['--version'], 0, 2],
    ['--help', ['--help'], 0, 2],
    ['schedules', ['schedules'], 1, 4],
    ['restore status demo', ['restore', 'status', 'demo'], 1, 4],
  ];
  const runs: { name: string; argv: string[]; code: number; target?: number }[] = [
    { name: 'node -e 0', argv: [node, '-e', '0'], code: 0 },
    { name: 'floor: import @temporalio/client', argv: [node, '--input-type=module', '-e', SDK_IMPORT], code: 0 },
    { name: 'floor: the SDK lists schedules', argv: [node, '--input-type=module', '-e', SDK_ALONE], code: 0 },
    ...variants.flatMap(([variant, prefix]) =>
      commands.map(([command, argv, code, target]) => ({
        name: `${variant}: lifeboat ${command}`,
        argv: [...prefix, ...argv],
        code,
        target,
      })),
    ),
  ];

  // Each says what it should before it is timed: the version, the usage, the stand-in's answer.
  for (const run of runs) {
    const callsBefore = calls;
    const first = await timed(run.argv, env);
    if (first.code !== run.code)
      throw new Error(`${run.name} exited ${first.code}, not ${run.code}: ${first.stderr.slice(0, 500)}`);
    if ((run.code === 1 || run.name.includes('lists')) && calls < callsBefore + 2)
      throw new Error(`${run.name} did not reach the stand-in Temporal: ${first.stderr.slice(0, 500)}`);
  }
  const version = spawnSync(node, [bin, '--version'], { encoding: 'utf8' }).stdout.trim();
  if (version !== VERSION) throw new Error(`lifeboat --version printed ${version}, not ${VERSION}`);

  const samples = new Map(runs.map((r) => [r.name, [] as Sample[]]));
  const loads: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    loads.push(loadavg()[0]!);
    // The order turns each round, so no command always runs right after the same other.
    for (let i = 0; i < runs.length; i++) {
      const run = runs[(i + round) % runs.length]!;
      samples.get(run.name)!.push(await timed(run.argv, env));
    }
    say(`round ${round + 1}/${ROUNDS} done`);
  }

  const cpuOf = (name: string) => median(samples.get(name)!.map((s) => s.cpu));
  const baseline = cpuOf('node -e 0');
  const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
  const lines = [
    `bench/cli-startup on Node ${process.version}, ${ROUNDS} rounds, medians; load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`,
    '',
    '| command | CPU | x node -e 0 | target | wall |',
    '|---|---|---|---|---|',
    ...runs.map((run) => {
      const cpu = cpuOf(run.name);
      const ratio = cpu / baseline;
      const verdict = run.target === undefined ? '' : `${ratio <= run.target ? 'ok' : 'MISSED'} (<= ${run.target})`;
      const wall = median(samples.get(run.name)!.map((s) => s.wall));
      return `| ${run.name} | ${ms(cpu)} | **${ratio.toFixed(2)}** | ${verdict} | ${ms(wall)} |`;
    }),
    '',
    `first run after a source changed (clone: the bin builds its cache again): ${ms(rebuild.cpu)} CPU ` +
      `(${(rebuild.cpu / baseline).toFixed(1)}x), ${ms(rebuild.wall)} wall`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  server.close();
  rmSync(scratch, { recursive: true, force: true });
}

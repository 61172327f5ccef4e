import { enableCompileCache } from 'node:module';
import { VERSION } from './version.js';

const argv = process.argv.slice(2);

// V8's code cache for every module loaded from here on (the Temporal client alone is megabytes of JavaScript, which
// V8 otherwise compiles at every start): in NODE_COMPILE_CACHE or the temp dir, checked against each file's contents.
// Not in Lifeboat's Jobs: each runs in a fresh container, which would write the cache at every start and never read it.
if (argv[0] !== 'job') enableCompileCache();

// `lifeboat ... | head` closes the pipe early: the reader has what it wanted, so that is not a failure to report.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// Scripts ask for the version to check what they run: it needs no command tree (commander prints the same).
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) process.stdout.write(`${VERSION}\n`);
else process.exitCode = await (await import('./main.js')).run(argv);

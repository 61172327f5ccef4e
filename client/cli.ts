import { VERSION } from './version.js';

// `lifeboat ... | head` closes the pipe early: the reader has what it wanted, so that is not a failure to report.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const argv = process.argv.slice(2);
// Scripts ask for the version to check what they run: it needs no command tree (commander prints the same).
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) process.stdout.write(`${VERSION}\n`);
else process.exitCode = await (await import('./main.js')).run(argv);

import type { Command } from 'commander';

/**
 * Commands that run inside Lifeboat's own Jobs, not for people. `store-snapshot` is job mode's store container:
 * it verifies the saved snapshot, compresses/encrypts it like direct mode and uploads it where the Job says.
 * `fetch-snapshot` is the first container of a member's restore Job (core/restore-job.ts): the way back.
 */
export function registerJob(program: Command): void {
  const job = program
    .command('job')
    .description('Commands run inside Lifeboat Jobs (store container of job-mode backups)');
  job
    .command('store-snapshot')
    .description(
      'Verify and upload a saved snapshot; configured by the Job environment (ENDPOINT, BUCKET_NAME, LIFEBOAT_OBJECT_KEY, ...)',
    )
    .requiredOption('--file <path>', 'the snapshot etcdctl saved')
    .action(async (opts: { file: string }) => (await import('./job-run.js')).runStoreSnapshot(opts));

  job
    .command('fetch-snapshot')
    .description(
      'Download, check, decrypt and decompress a snapshot for etcdutl; configured by the restore Job (LIFEBOAT_SNAPSHOT_URL, ...)',
    )
    .requiredOption('--to <path>', 'where the plain snapshot is written')
    .option('--empty-dir <path>', "a directory to remove first (the member's data dir, which etcdutl must create)")
    .action(async (opts: { to: string; emptyDir?: string }) => (await import('./job-run.js')).runFetchSnapshot(opts));
}

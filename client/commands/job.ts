import type { Command } from 'commander';
import { S3Client } from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { abortUpload, uploadStream } from '../../activities/multipart-upload.js';
import { encrypt, compress, PART_SIZE } from '../../activities/snapshot-pipeline.js';
import { measure, verifyEtcdSnapshot, type StreamStats } from '../../activities/snapshot-stream.js';
import type { Compression } from '../../core/layout.js';
import { CliError, ExitCode } from '../exit-codes.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new CliError(`${name} is not set; the snapshot Job sets it (see core/snapshot-job.ts).`, ExitCode.BadInput);
  return value;
}

/**
 * Commands that run inside Lifeboat's own Jobs, not for people. `store-snapshot` is job mode's store container:
 * it verifies the saved snapshot, compresses/encrypts it like direct mode and uploads it where the Job says.
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
    .action(async (opts: { file: string }) => {
      const key = required('LIFEBOAT_OBJECT_KEY');
      const compression = (process.env.LIFEBOAT_COMPRESSION ?? 'none') as Compression;
      const recipients = (process.env.LIFEBOAT_AGE_RECIPIENTS ?? '').split(',').filter(Boolean);
      const s3 = new S3Client({
        endpoint: required('ENDPOINT'),
        region: process.env.AWS_REGION ?? 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: required('ACCESS_KEY_ID'), secretAccessKey: required('SECRET_ACCESS_KEY') },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      let snapshot: StreamStats | undefined;
      let stored: StreamStats | undefined;
      const plain = verifyEtcdSnapshot(createReadStream(opts.file) as AsyncIterable<Buffer>, (s) => (snapshot = s));
      const bucket = required('BUCKET_NAME');
      let uploadId: string | undefined;
      try {
        const source = measure(encrypt(compress(plain, compression), recipients), (s) => (stored = s));
        const onProgress = (p: { uploadId: string }) => (uploadId = p.uploadId);
        await uploadStream(source, { s3, bucket, key, partSize: PART_SIZE, concurrency: 2, onProgress });
      } catch (err) {
        // Unlike an activity, a Job pod has no successor to resume this upload: leave nothing behind.
        if (uploadId) await abortUpload(s3, bucket, key, uploadId).catch(() => undefined);
        throw err;
      } finally {
        s3.destroy();
      }
      // One JSON line the activity reads back from the container log: what was stored, with both checksums.
      console.log(JSON.stringify({ lifeboatStored: { key, stored, snapshot } }));
    });
}

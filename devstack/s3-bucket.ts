import { CreateBucketCommand, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { s3Client as lifeboatS3Client } from '../activities/storage/s3.js';

export interface S3Endpoint {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export function s3Client(s3: S3Endpoint): S3Client {
  return lifeboatS3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

/** Creates a bucket; one that already exists and is ours is fine (a restarted stack reuses its data). */
export async function ensureBucket(s3: S3Endpoint, bucket: string): Promise<void> {
  const client = s3Client(s3);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const owned =
      err instanceof S3ServiceException && ['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(err.name);
    if (!owned) throw err;
  } finally {
    client.destroy();
  }
}

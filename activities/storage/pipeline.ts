import { Decrypter, Encrypter } from 'age-encryption';
import { Readable, pipeline, type Transform } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { constants, createGunzip, createGzip, createZstdCompress, createZstdDecompress } from 'node:zlib';
import type { Compression } from '../../core/layout.js';

/**
 * The stages a snapshot passes between etcd and storage, shared by direct mode (in the worker) and job mode (in the
 * store container): optional compression, then optional encryption; and their inverses for a restore. All stream;
 * none holds the snapshot.
 */

/** Bytes per multipart part; memory is about PART_SIZE x (PART_CONCURRENCY + 1) whatever the snapshot size. */
export const PART_SIZE = 8 * 1024 * 1024;
export const PART_CONCURRENCY = 4;

type Codec = { compress: () => Transform; decompress: () => Transform };

/**
 * Both at level 1: snapshots are mostly free pages and repeated keys, and higher levels cost CPU for little gain
 * (zstd's level 3 cost 35% more CPU than its level 1 for 4% less output on the bench's kind of data; README,
 * Performance). Both formats are what the stock CLIs read: `gunzip`, `zstd -d`.
 */
const codecs: Record<Exclude<Compression, 'none'>, Codec> = {
  gzip: { compress: () => createGzip({ level: 1 }), decompress: () => createGunzip() },
  zstd: {
    compress: () => createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: 1 } }),
    decompress: () => createZstdDecompress(),
  },
};

export function compress(source: AsyncIterable<Buffer>, compression: Compression): AsyncIterable<Buffer> {
  if (compression === 'none') return source;
  return pipeline(Readable.from(source), codecs[compression].compress(), () => undefined);
}

/**
 * Passes a stored snapshot through, gunzipped when it starts with gzip's magic bytes, and says which it was. A plain
 * etcd snapshot never does: it starts with bbolt's first page header, whose page id is 0. For objects a foreign store
 * container uploaded, whose encoding nobody told Lifeboat.
 */
export async function* gunzipIfGzip(
  source: AsyncIterable<Buffer>,
  found: (compression: 'none' | 'gzip') => void,
): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < 2) {
    const next = await iterator.next();
    if (next.done) break;
    head = Buffer.concat([head, next.value]);
  }
  async function* whole(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  found(gzip ? 'gzip' : 'none');
  if (gzip) yield* decompress(whole(), 'gzip');
  else yield* whole();
}

/**
 * age encryption (STREAM, 64 KiB chunks): memory stays bounded whatever the snapshot size. Without recipients the
 * source itself comes back: no pass-through stage for gigabytes of chunks to hop through.
 */
export function encrypt(source: AsyncIterable<Buffer>, recipients: string[]): AsyncIterable<Buffer> {
  return recipients.length === 0 ? source : encrypted(source, recipients);
}

async function* encrypted(source: AsyncIterable<Buffer>, recipients: string[]): AsyncGenerator<Buffer> {
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  const encrypted = await encrypter.encrypt(Readable.toWeb(Readable.from(source)) as ReadableStream<Uint8Array>);
  for await (const chunk of encrypted as unknown as AsyncIterable<Uint8Array>)
    yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** The inverse of `encrypt`: an age identity (the `AGE-SECRET-KEY-1...` line of an identity file) opens the stream. */
export function decrypt(source: AsyncIterable<Buffer>, identityFile: string | undefined): AsyncIterable<Buffer> {
  return identityFile === undefined ? source : decrypted(source, identityFile);
}

async function* decrypted(source: AsyncIterable<Buffer>, identityFile: string): AsyncGenerator<Buffer> {
  const identities = identityFile
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('AGE-SECRET-KEY-'));
  if (identities.length === 0) throw new Error('the age identity file holds no AGE-SECRET-KEY line');
  const decrypter = new Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  const plain = await decrypter.decrypt(Readable.toWeb(Readable.from(source)) as ReadableStream<Uint8Array>);
  for await (const chunk of plain as unknown as AsyncIterable<Uint8Array>)
    yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** The inverse of `compress`. */
export function decompress(source: AsyncIterable<Buffer>, compression: Compression): AsyncIterable<Buffer> {
  if (compression === 'none') return source;
  return pipeline(Readable.from(source), codecs[compression].decompress(), () => undefined);
}

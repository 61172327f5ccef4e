import { availableParallelism } from 'node:os';
import { createGzip } from 'node:zlib';
import type { MemberSizes } from '../../core/velero/archive-index.js';

/** Input per member: large enough that a member's header and cold dictionary cost nothing, small against a part. */
export const GZIP_MEMBER_BYTES = 4 * 1024 * 1024;

/** zlib's output buffers: a member comes back in a few of these, as zlib filled them, never concatenated. */
const OUTPUT_CHUNK_BYTES = 1024 * 1024;

/**
 * One member, compressed on libuv's pool, as the pieces zlib wrote. Not zlib.gzip(): it concatenates its output into
 * one more buffer, and at the output size it was told to expect, every member allocated its input's size again.
 */
function gzipMember(input: Uint8Array, level: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const pieces: Buffer[] = [];
    const gzip = createGzip({ level, chunkSize: OUTPUT_CHUNK_BYTES });
    gzip.on('data', (piece: Buffer) => pieces.push(piece));
    gzip.on('error', reject);
    gzip.on('end', () => resolve(pieces));
    gzip.end(input);
  });
}

export interface GzipMembersOptions {
  level: number;
  /** Members compressed at once (libuv's pool runs them); by default one per core. */
  concurrency?: number;
  memberBytes?: number;
  /**
   * Called with an input buffer once its member is compressed, when the block was that one buffer (the resource
   * archive's chunks): its writer may fill it again.
   */
  release?: (input: Buffer) => void;
  /** Called with each member's input and output sizes, in order, as it comes out (the archive's index). */
  onMember?: (sizes: MemberSizes) => void;
}

/**
 * gzip on every core: the input is cut into blocks of about `memberBytes`, each compressed as its own gzip member on
 * libuv's thread pool, several at a time, and the members come out in order (each in the pieces zlib wrote). Concatenated members are one valid gzip
 * file (RFC 1952 §2.2): gunzip, Go's gzip.Reader (Velero's extractor; it reads multistream by default) and Node's
 * gunzip read them as one stream. One zlib stream would compress on a single thread, and compression is most of what
 * a resource backup costs. Memory: about `concurrency` blocks in and out.
 */
export async function* gzipMembers(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  opts: GzipMembersOptions,
): AsyncGenerator<Buffer> {
  const concurrency = Math.max(1, opts.concurrency ?? availableParallelism());
  const memberBytes = opts.memberBytes ?? GZIP_MEMBER_BYTES;
  const compressing: { member: Promise<Buffer[]>; input: number }[] = [];
  const out = async function* (next: { member: Promise<Buffer[]>; input: number }) {
    const pieces = await next.member;
    opts.onMember?.({ input: next.input, output: pieces.reduce((sum, p) => sum + p.length, 0) });
    yield* pieces;
  };
  let block: Uint8Array[] = [];
  let blockBytes = 0;
  const compress = () => {
    // A writer that cuts its chunks at memberBytes (the resource archive's) hands over one buffer per member.
    const input = block.length === 1 ? block[0]! : Buffer.concat(block, blockBytes);
    // Output buffers of 1 MiB: zlib hands each full one back to the main thread, which at the default 16 KiB made
    // hundreds of callbacks per member (a tenth of a backup's main-thread time).
    const member = gzipMember(input, opts.level);
    if (opts.release && block.length === 1 && Buffer.isBuffer(input)) {
      const release = opts.release;
      void member.then(
        () => release(input),
        () => undefined,
      );
    }
    // Awaited in order below; one that fails while an earlier one is awaited must not surface as unhandled.
    member.catch(() => undefined);
    compressing.push({ member, input: input.length });
    block = [];
    blockBytes = 0;
  };
  for await (const chunk of source) {
    if (chunk.length === 0) continue;
    block.push(chunk);
    blockBytes += chunk.length;
    if (blockBytes >= memberBytes) {
      compress();
      while (compressing.length >= concurrency) yield* out(compressing.shift()!);
    }
  }
  // An empty input still makes a gzip file: one member of nothing.
  if (blockBytes > 0 || compressing.length === 0) compress();
  while (compressing.length > 0) yield* out(compressing.shift()!);
}

import {
  METADATA_VERSION_PATH,
  itemPath,
  metadataVersionContent,
  preferredVersionItemPath,
} from '../../core/velero/archive-paths.js';
import { TAR_END, tarFileHeader, UstarFileHeaders } from '../../core/velero/tar.js';
import { GZIP_MEMBER_BYTES } from '../storage/gzip-members.js';
import { itemBytes, type ListedItem } from '../kube/list-pages.js';

/**
 * Objects to the entries of Velero's tarball (core/velero/ forms the names and headers): `metadata/version` first,
 * then every object twice, at its version-less path and under `<version>-preferredversion/` (Velero writes both for
 * every object listed at the server's preferred version, which is how a backup lists), as the JSON the server sent
 * (activities/kube/list-pages.ts).
 *
 * The tar stream comes out in chunks of exactly CHUNK_BYTES (the last one shorter), entries cut across chunks where
 * they fall: each chunk is then one gzip member as it is (activities/storage/gzip-members.ts), with no buffer
 * concatenated on the way. Large copies of short-lived buffers were a fifth of a backup's time in collection.
 */
export const CHUNK_BYTES = GZIP_MEMBER_BYTES;

/** As many as gzip members are compressed at once, and one being written. */
const MAX_FREE_CHUNKS = 4;

/** An entry's zero padding to the next 512-byte block (tar's unit). */
const paddingOf = (size: number) => (512 - (size % 512)) % 512;

export class ArchiveWriter {
  private readonly headers: UstarFileHeaders;
  private chunk: Buffer;
  private at = 0;
  private readonly full: Buffer[] = [];
  /** Chunks the gzip stage is done with (release), taken again before a new one is allocated. */
  private readonly free: Buffer[] = [];
  /** A header that falls across two chunks is written here first. */
  private readonly scratch = Buffer.alloc(512);
  /** Bytes of the chunks already handed out: the tar offset of `chunk`'s first byte. */
  private handedOut = 0;
  /** Where each resource's first entry went in the tar stream (core/velero/archive-index.ts), in writing order. */
  readonly resourceStarts: { resource: string; tarOffset: number }[] = [];
  private readonly started = new Set<string>();

  constructor(
    /** Velero stamps every entry with the time it wrote it; one time for the whole backup keeps archives comparable. */
    private readonly mtimeSeconds: number,
    /** Smaller in tests, to put many cuts through headers, contents and padding. */
    private readonly chunkBytes = CHUNK_BYTES,
  ) {
    this.headers = new UstarFileHeaders(mtimeSeconds);
    this.chunk = Buffer.allocUnsafe(chunkBytes);
  }

  /** The first entry of every archive; nothing comes out until a chunk is full. */
  begin(): Generator<Buffer> {
    const content = metadataVersionContent();
    this.put(tarFileHeader(METADATA_VERSION_PATH, content.length, this.mtimeSeconds));
    this.put(content);
    this.zeros(paddingOf(content.length));
    return this.ready();
  }

  /**
   * The entries of `items`, all of one resource (`groupResource`) listed at `version`; namespaced objects go under
   * their namespace, cluster-scoped ones under `cluster/`. Yields the chunks they fill.
   */
  *entries(groupResource: string, version: string, items: ListedItem[]): Generator<Buffer> {
    if (items.length > 0 && !this.started.has(groupResource)) {
      this.started.add(groupResource);
      this.resourceStarts.push({ resource: groupResource, tarOffset: this.handedOut + this.at });
    }
    for (const item of items) {
      const name = item.object.metadata?.name ?? '';
      const namespace = item.object.metadata?.namespace || undefined;
      const size = itemBytes(item);
      for (const path of [
        itemPath(groupResource, namespace, name),
        preferredVersionItemPath(groupResource, version, namespace, name),
      ]) {
        this.header(path, size);
        if (item.head) this.put(item.head);
        this.copy(item.body, item.from, item.end);
        this.zeros(paddingOf(size));
      }
      yield* this.ready();
    }
  }

  /** The end-of-archive blocks, and the last chunk. */
  *end(): Generator<Buffer> {
    this.put(TAR_END);
    yield* this.ready();
    if (this.at > 0) yield this.chunk.subarray(0, this.at);
    this.at = 0;
  }

  private *ready(): Generator<Buffer> {
    while (this.full.length > 0) yield this.full.shift()!;
  }

  /**
   * A chunk this writer yielded, once its reader is done with it (gzipMembers' `release`): the next chunk is written
   * into it. Without this, a 50k-object backup allocated over 100 MiB of chunks that the collector then had to find.
   */
  release(chunk: Buffer): void {
    if (chunk.length === this.chunkBytes && this.free.length < MAX_FREE_CHUNKS && !this.free.includes(chunk))
      this.free.push(chunk);
  }

  private next(): void {
    this.handedOut += this.chunkBytes;
    this.full.push(this.chunk);
    this.chunk = this.free.pop() ?? Buffer.allocUnsafe(this.chunkBytes);
    this.at = 0;
  }

  /** source[from, end) into the stream, with Buffer.copy: no view of the source per item. */
  private copy(source: Buffer, from: number, end: number): void {
    while (from < end) {
      const n = Math.min(end - from, this.chunkBytes - this.at);
      source.copy(this.chunk, this.at, from, from + n);
      this.at += n;
      from += n;
      if (this.at === this.chunkBytes) this.next();
    }
  }

  private put(bytes: Uint8Array): void {
    for (let from = 0; from < bytes.length;) {
      const n = Math.min(bytes.length - from, this.chunkBytes - this.at);
      this.chunk.set(from === 0 && n === bytes.length ? bytes : bytes.subarray(from, from + n), this.at);
      this.at += n;
      from += n;
      if (this.at === this.chunkBytes) this.next();
    }
  }

  private zeros(count: number): void {
    while (count > 0) {
      const n = Math.min(count, this.chunkBytes - this.at);
      this.chunk.fill(0, this.at, this.at + n);
      this.at += n;
      count -= n;
      if (this.at === this.chunkBytes) this.next();
    }
  }

  /** A ustar header is written in place; one ustar cannot hold (PAX) or one across chunks is copied in. */
  private header(path: string, size: number): void {
    const layout = UstarFileHeaders.layout(path, size);
    if (!layout) return this.put(tarFileHeader(path, size, this.mtimeSeconds));
    if (this.chunkBytes - this.at >= 512) {
      this.headers.write(this.chunk, this.at, layout, size);
      this.at += 512;
      if (this.at === this.chunkBytes) this.next();
      return;
    }
    this.headers.write(this.scratch, 0, layout, size);
    this.put(this.scratch);
  }
}

import {
  METADATA_VERSION_PATH,
  itemPath,
  metadataVersionContent,
  preferredVersionItemPath,
} from '../../core/velero/archive-paths.js';
import { TAR_END, tarFileHeader, tarPadding, UstarFileHeaders } from '../../core/velero/tar.js';
import type { KubeObject } from '../kube/list-pages.js';

/**
 * Objects to the entries of Velero's tarball (core/velero/ forms the names and headers): `metadata/version` first,
 * then every object twice, at its version-less path and under `<version>-preferredversion/` (Velero writes both for
 * every object listed at the server's preferred version, which is how a backup lists), as the compact JSON of the
 * object as listed. Entries come out in buffers of a few MiB, not one per entry: the gzip stage after this works
 * best on large chunks.
 */
/** The size the entries are cut at for the gzip stage: large enough for its throughput, small against a part. */
const CHUNK_BYTES = 4 * 1024 * 1024;

/** An entry's content and its zero padding to the next 512-byte block (tar's unit). */
const padded = (size: number) => size + ((512 - (size % 512)) % 512);

/** One entry's header: laid out for the in-place ustar writer, or written whole by tarFileHeader (PAX). */
type EntryHeader = { layout: { prefix: string; name: string } } | { bytes: Uint8Array };

export class ArchiveWriter {
  private readonly headers: UstarFileHeaders;

  constructor(
    /** Velero stamps every entry with the time it wrote it; one time for the whole backup keeps archives comparable. */
    private readonly mtimeSeconds: number,
  ) {
    this.headers = new UstarFileHeaders(mtimeSeconds);
  }

  /** The first entry of every archive. */
  begin(): Buffer {
    const content = metadataVersionContent();
    return Buffer.concat([
      tarFileHeader(METADATA_VERSION_PATH, content.length, this.mtimeSeconds),
      content,
      tarPadding(content.length),
    ]);
  }

  /**
   * The entries of `objects`, all of one resource (`groupResource`) listed at `version`; namespaced objects go under
   * their namespace, cluster-scoped ones under `cluster/`. In chunks of about CHUNK_BYTES: a page of large objects
   * (500 Secrets near their 1 MiB limit) never becomes one buffer twice its size.
   */
  *entries(groupResource: string, version: string, objects: KubeObject[]): Generator<Buffer> {
    // Each object's JSON is encoded once, straight into the chunk, and copied for its second entry; headers are
    // written in place: no buffer per entry for the collector to chase (50k objects would make 100k of them).
    let from = 0;
    while (from < objects.length) {
      const batch: { json: string; size: number; headers: [EntryHeader, EntryHeader] }[] = [];
      let bytes = 0;
      for (; from < objects.length && (bytes < CHUNK_BYTES || batch.length === 0); from++) {
        const object = objects[from]!;
        const name = object.metadata?.name ?? '';
        const namespace = object.metadata?.namespace || undefined;
        const json = JSON.stringify(object);
        const size = Buffer.byteLength(json);
        const headers: [EntryHeader, EntryHeader] = [
          this.header(itemPath(groupResource, namespace, name), size),
          this.header(preferredVersionItemPath(groupResource, version, namespace, name), size),
        ];
        batch.push({ json, size, headers });
        bytes += headerLength(headers[0]) + headerLength(headers[1]) + 2 * padded(size);
      }
      const chunk = Buffer.allocUnsafe(bytes);
      let at = 0;
      for (const { json, size, headers } of batch) {
        let first = -1;
        for (const header of headers) {
          if ('bytes' in header) chunk.set(header.bytes, at);
          else this.headers.write(chunk, at, header.layout, size);
          at += headerLength(header);
          if (first < 0) {
            first = at;
            chunk.write(json, at, size, 'utf8');
          } else {
            chunk.copyWithin(at, first, first + size);
          }
          chunk.fill(0, at + size, at + padded(size));
          at += padded(size);
        }
      }
      yield chunk;
    }
  }

  /** The end-of-archive blocks. */
  end(): Buffer {
    return Buffer.from(TAR_END);
  }

  private header(name: string, size: number): EntryHeader {
    const layout = UstarFileHeaders.layout(name, size);
    return layout ? { layout } : { bytes: tarFileHeader(name, size, this.mtimeSeconds) };
  }
}

const headerLength = (header: EntryHeader) => ('bytes' in header ? header.bytes.length : 512);

import {
  METADATA_VERSION_PATH,
  itemPath,
  metadataVersionContent,
  preferredVersionItemPath,
} from '../../core/velero/archive-paths.js';
import { TAR_END, tarFileHeader, tarPadding } from '../../core/velero/tar.js';
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

export class ArchiveWriter {
  constructor(
    /** Velero stamps every entry with the time it wrote it; one time for the whole backup keeps archives comparable. */
    private readonly mtimeSeconds: number,
  ) {}

  /** The first entry of every archive. */
  begin(): Buffer {
    const content = metadataVersionContent();
    return Buffer.concat([this.header(METADATA_VERSION_PATH, content.length), content, tarPadding(content.length)]);
  }

  /**
   * The entries of `objects`, all of one resource (`groupResource`) listed at `version`; namespaced objects go under
   * their namespace, cluster-scoped ones under `cluster/`. In chunks of about CHUNK_BYTES: a page of large objects
   * (500 Secrets near their 1 MiB limit) never becomes one buffer twice its size.
   */
  *entries(groupResource: string, version: string, objects: KubeObject[]): Generator<Buffer> {
    let parts: Uint8Array[] = [];
    let size = 0;
    for (const object of objects) {
      const name = object.metadata?.name ?? '';
      const namespace = object.metadata?.namespace || undefined;
      const content = Buffer.from(JSON.stringify(object));
      const padding = tarPadding(content.length);
      parts.push(this.header(itemPath(groupResource, namespace, name), content.length), content, padding);
      parts.push(
        this.header(preferredVersionItemPath(groupResource, version, namespace, name), content.length),
        content,
        padding,
      );
      size += 2 * (content.length + padding.length + 512);
      if (size >= CHUNK_BYTES) {
        yield Buffer.concat(parts);
        parts = [];
        size = 0;
      }
    }
    if (parts.length > 0) yield Buffer.concat(parts);
  }

  /** The end-of-archive blocks. */
  end(): Buffer {
    return Buffer.from(TAR_END);
  }

  private header(name: string, size: number): Uint8Array {
    return tarFileHeader(name, size, this.mtimeSeconds);
  }
}

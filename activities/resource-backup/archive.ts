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
 * object as listed. Entries of a whole page come out as one buffer: the gzip stage after this works best on large
 * chunks, and a page is bounded (500 objects).
 */
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
   * their namespace, cluster-scoped ones under `cluster/`.
   */
  entries(groupResource: string, version: string, objects: KubeObject[]): Buffer {
    const parts: Uint8Array[] = [];
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
    }
    return Buffer.concat(parts);
  }

  /** The end-of-archive blocks. */
  end(): Buffer {
    return Buffer.from(TAR_END);
  }

  private header(name: string, size: number): Uint8Array {
    return tarFileHeader(name, size, this.mtimeSeconds);
  }
}

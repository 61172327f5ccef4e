/**
 * Entry names inside a Velero backup tarball (Velero's pkg/archive): the one place they are formed and parsed, for
 * the archive Lifeboat writes and for the ones stock Velero wrote.
 */

/** Velero's BackupFormatVersion: in `metadata/version` and in the Backup record's `status.formatVersion`. */
export const BACKUP_FORMAT_VERSION = '1.1.0';
export const METADATA_VERSION_PATH = 'metadata/version';

const RESOURCES_DIR = 'resources';
const CLUSTER_DIR = 'cluster';
const NAMESPACES_DIR = 'namespaces';
const PREFERRED_VERSION_SUFFIX = '-preferredversion';
const ITEM_SUFFIX = '.json';

/** `1.1.0\n` as bytes: the content of METADATA_VERSION_PATH. */
export function metadataVersionContent(): Uint8Array {
  return new TextEncoder().encode(`${BACKUP_FORMAT_VERSION}\n`);
}

function scopeDir(namespace: string | undefined): string {
  return namespace ? `${NAMESPACES_DIR}/${namespace}` : CLUSTER_DIR;
}

/** `resources/<groupResource>/{namespaces/<ns>|cluster}/<name>.json`; a namespace of "" or undefined is cluster scope. */
export function itemPath(groupResource: string, namespace: string | undefined, name: string): string {
  return `${RESOURCES_DIR}/${groupResource}/${scopeDir(namespace)}/${name}${ITEM_SUFFIX}`;
}

/**
 * The copy under `<version>-preferredversion/`: Velero writes every item twice when it was listed at the server's
 * preferred version (always, without EnableAPIGroupVersions), and a restore with that flag reads this copy.
 */
export function preferredVersionItemPath(
  groupResource: string,
  version: string,
  namespace: string | undefined,
  name: string,
): string {
  return `${RESOURCES_DIR}/${groupResource}/${version}${PREFERRED_VERSION_SUFFIX}/${scopeDir(namespace)}/${name}${ITEM_SUFFIX}`;
}

/** The API version of a `<version>-preferredversion` directory, or undefined for any other directory name. */
export function preferredVersionOf(versionDir: string): string | undefined {
  return versionDir.endsWith(PREFERRED_VERSION_SUFFIX) && versionDir.length > PREFERRED_VERSION_SUFFIX.length
    ? versionDir.slice(0, -PREFERRED_VERSION_SUFFIX.length)
    : undefined;
}

/**
 * An entry name read back: the resource, the version directory if any (`v1-preferredversion`, or `v1beta1` in an
 * archive written with EnableAPIGroupVersions), the namespace (undefined for cluster scope) and the object's name.
 * Undefined for names that are not items (`metadata/version`, stray files), as Velero's parser skips them. A leading
 * `./` is accepted, since archives repacked by GNU tar carry it.
 */
export function parseItemPath(
  path: string,
): { groupResource: string; versionDir?: string; namespace?: string; name: string } | undefined {
  const parts = path.replace(/^\.\//, '').split('/');
  if (parts[0] !== RESOURCES_DIR || parts.some((p) => p === '' || p === '.' || p === '..')) return undefined;
  const groupResource = parts[1];
  if (groupResource === undefined) return undefined;
  let rest = parts.slice(2);
  let versionDir: string | undefined;
  if (rest[0] !== CLUSTER_DIR && rest[0] !== NAMESPACES_DIR) {
    versionDir = rest[0];
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  let file: string | undefined;
  if (rest[0] === CLUSTER_DIR && rest.length === 2) {
    file = rest[1];
  } else if (rest[0] === NAMESPACES_DIR && rest.length === 3) {
    namespace = rest[1];
    file = rest[2];
  } else {
    return undefined;
  }
  if (file === undefined || !file.endsWith(ITEM_SUFFIX) || file.length === ITEM_SUFFIX.length) return undefined;
  const name = file.slice(0, -ITEM_SUFFIX.length);
  return {
    groupResource,
    ...(versionDir !== undefined ? { versionDir } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    name,
  };
}

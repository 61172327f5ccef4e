import { describe, expect, it } from 'vitest';
import { ArchiveWriter, CHUNK_BYTES } from '../../activities/resource-backup/archive.js';
import {
  completeItems,
  itemJson,
  parseItem,
  type KubeObject,
  type ListedItem,
} from '../../activities/kube/list-pages.js';
import { gzipMembers } from '../../activities/storage/gzip-members.js';
import { scanList } from '../../core/resources/list-scan.js';
import { gunzipSync } from 'node:zlib';
import { TarReader, tarFileHeader, type TarEntry } from '../../core/velero/tar.js';

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

function read(chunks: Uint8Array[]): TarEntry[] {
  const reader = new TarReader();
  const entries = chunks.flatMap((c) => reader.push(c));
  reader.end();
  return entries;
}

const configMap = (name: string, namespace: string, payload: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data: { payload },
});

/** Objects as a typed LIST serves them (no apiVersion, no kind on the items) and listPages hands them on. */
function listed(objects: KubeObject[], apiVersion = 'v1', kind = 'ConfigMap'): ListedItem[] {
  const served = objects.map((o) => {
    const copy = { ...o };
    if (o.apiVersion === apiVersion && o.kind === kind) {
      delete copy.apiVersion;
      delete copy.kind;
    }
    return copy;
  });
  const body = Buffer.from(JSON.stringify({ kind: `${kind}List`, apiVersion, metadata: {}, items: served }));
  return completeItems(body, scanList(body).items, apiVersion, kind);
}

describe('completeItems', () => {
  it('puts apiVersion and kind first where a typed list leaves them out, and leaves the rest as served', () => {
    const body = Buffer.from(
      '{"items":[{"metadata":{"name":"a"},"data":{"n":12345678901234567890}},{"apiVersion":"x/v1","kind":"Widget","metadata":{"name":"w"}},{ },{"kind":"Own","metadata":{}}]}',
    );
    const items = completeItems(body, scanList(body).items, 'v1', 'ConfigMap');
    expect(items.map((i) => itemJson(i).toString())).toEqual([
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"n":12345678901234567890}}',
      '{"apiVersion":"x/v1","kind":"Widget","metadata":{"name":"w"}}',
      '{"apiVersion":"v1","kind":"ConfigMap"}',
      '{"apiVersion":"v1","kind":"Own","metadata":{}}',
    ]);
    expect(items.map((i) => [i.object.apiVersion, i.object.kind])).toEqual([
      ['v1', 'ConfigMap'],
      ['x/v1', 'Widget'],
      ['v1', 'ConfigMap'],
      ['v1', 'Own'],
    ]);
    expect(parseItem(items[1]!)).toEqual({ apiVersion: 'x/v1', kind: 'Widget', metadata: { name: 'w' } });
  });
});

describe('ArchiveWriter', () => {
  it('writes metadata/version, then every object at its path and its preferred-version path, with its JSON', () => {
    const writer = new ArchiveWriter(1_764_000_000);
    const objects = [configMap('a', 'team', 'x'), configMap('ü-ß', 'team', 'ünïcode ✓'), configMap('c', 'ops', '')];
    const entries = read([...writer.begin(), ...writer.entries('configmaps', 'v1', listed(objects)), ...writer.end()]);
    expect(entries.map((e) => e.name)).toEqual([
      'metadata/version',
      'resources/configmaps/namespaces/team/a.json',
      'resources/configmaps/v1-preferredversion/namespaces/team/a.json',
      'resources/configmaps/namespaces/team/ü-ß.json', // non-ASCII: a PAX path record
      'resources/configmaps/v1-preferredversion/namespaces/team/ü-ß.json',
      'resources/configmaps/namespaces/ops/c.json',
      'resources/configmaps/v1-preferredversion/namespaces/ops/c.json',
    ]);
    expect(decode(entries[0]!.content)).toBe('1.1.0\n');
    for (const [i, object] of objects.entries()) {
      expect(JSON.parse(decode(entries[1 + 2 * i]!.content))).toEqual(object);
      expect(entries[2 + 2 * i]!.content).toEqual(entries[1 + 2 * i]!.content);
    }
    expect(entries.every((e) => e.mode === 0o755 && e.type === '0')).toBe(true);
  });

  it('writes cluster-scoped objects under cluster/ with the same headers tarFileHeader would', () => {
    const mtime = 1_764_000_123;
    const writer = new ArchiveWriter(mtime);
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'reader' } };
    const [chunk] = [
      ...writer.entries('clusterroles.rbac.authorization.k8s.io', 'v1', listed([role], role.apiVersion, role.kind)),
      ...writer.end(),
    ];
    const json = JSON.stringify(role);
    const name = 'resources/clusterroles.rbac.authorization.k8s.io/cluster/reader.json';
    expect(chunk!.subarray(0, 512)).toEqual(Buffer.from(tarFileHeader(name, json.length, mtime)));
    expect(decode(chunk!.subarray(512, 512 + json.length))).toBe(json);
  });

  it('cuts the stream into chunks of exactly CHUNK_BYTES, and every entry survives the cut', () => {
    const writer = new ArchiveWriter(0);
    const big = 'y'.repeat(900_000);
    const objects = Array.from({ length: 12 }, (_, i) => configMap(`big-${i}`, 'data', big));
    const chunks = [...writer.begin(), ...writer.entries('configmaps', 'v1', listed(objects)), ...writer.end()];
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBe(CHUNK_BYTES);
    const entries = read(chunks);
    expect(entries).toHaveLength(25);
    expect(entries.slice(1).map((e) => (JSON.parse(decode(e.content)) as KubeObject).metadata?.name)).toEqual(
      objects.flatMap((o) => [o.metadata!.name, o.metadata!.name]),
    );
  });

  it('splits headers, contents and padding at any offset of a chunk boundary', () => {
    // Chunks of 1000 bytes (not a multiple of 512) and sizes that step through every offset: cuts fall inside
    // headers, contents and padding alike.
    const writer = new ArchiveWriter(0, 1000);
    const objects = Array.from({ length: 300 }, (_, i) => configMap(`cm-${i}`, 'spread', 'z'.repeat((i * 37) % 1500)));
    const chunks = [...writer.begin(), ...writer.entries('configmaps', 'v1', listed(objects)), ...writer.end()];
    for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBe(1000);
    const entries = read(chunks);
    expect(entries).toHaveLength(1 + 2 * objects.length);
    objects.forEach((object, i) => {
      expect(JSON.parse(decode(entries[1 + 2 * i]!.content))).toEqual(object);
      expect(entries[2 + 2 * i]!.content).toEqual(entries[1 + 2 * i]!.content);
    });
  });
});

describe('ArchiveWriter chunks recycled through gzipMembers', () => {
  const objects = Array.from({ length: 400 }, (_, i) => configMap(`cm-${i}`, 'recycle', `${i}`.repeat(i % 97)));

  it('writes into a released chunk again, and the compressed archive is the same as without recycling', async () => {
    const plain = new ArchiveWriter(7, 4096);
    const expected = Buffer.concat([
      ...plain.begin(),
      ...plain.entries('configmaps', 'v1', listed(objects)),
      ...plain.end(),
    ]);

    const writer = new ArchiveWriter(7, 4096);
    const yielded = new Set<Buffer>();
    let reused = 0;
    function* tar(): Generator<Buffer> {
      for (const chunk of [...writer.begin(), ...writer.entries('configmaps', 'v1', listed(objects.slice(0, 200)))])
        yield note(chunk);
      // Lazily, so that chunks released meanwhile are written into again.
      for (const chunk of writer.entries('configmaps', 'v1', listed(objects.slice(200)))) yield note(chunk);
      for (const chunk of writer.end()) yield note(chunk);
    }
    function note(chunk: Buffer): Buffer {
      if (yielded.has(chunk)) reused++;
      yielded.add(chunk);
      return chunk;
    }
    const pieces: Buffer[] = [];
    for await (const piece of gzipMembers(tar(), {
      level: 1,
      memberBytes: 4096,
      concurrency: 2,
      release: (c) => writer.release(c),
    }))
      pieces.push(piece);
    expect(gunzipSync(Buffer.concat(pieces)).equals(expected)).toBe(true);
    expect(reused).toBeGreaterThan(0);
  });

  it('keeps only chunks of its own size, once each', () => {
    const writer = new ArchiveWriter(0, 1024);
    const chunks = [...writer.begin(), ...writer.entries('configmaps', 'v1', listed(objects.slice(0, 50)))];
    writer.release(Buffer.alloc(512)); // not one of its chunks' size
    writer.release(chunks[0]!);
    writer.release(chunks[0]!);
    const next = [...writer.entries('configmaps', 'v1', listed(objects.slice(50, 100)))];
    expect(next.filter((c) => c === chunks[0])).toHaveLength(1);
    expect(next.some((c) => c.length !== 1024)).toBe(false);
  });
});

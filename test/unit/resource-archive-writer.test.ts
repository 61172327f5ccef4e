import { describe, expect, it } from 'vitest';
import { ArchiveWriter } from '../../activities/resource-backup/archive.js';
import type { KubeObject } from '../../activities/kube/list-pages.js';
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

describe('ArchiveWriter', () => {
  it('writes metadata/version, then every object at its path and its preferred-version path, with its JSON', () => {
    const writer = new ArchiveWriter(1_764_000_000);
    const objects = [configMap('a', 'team', 'x'), configMap('ü-ß', 'team', 'ünïcode ✓'), configMap('c', 'ops', '')];
    const entries = read([writer.begin(), ...writer.entries('configmaps', 'v1', objects), writer.end()]);
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
    const [chunk] = [...writer.entries('clusterroles.rbac.authorization.k8s.io', 'v1', [role])];
    const json = JSON.stringify(role);
    const name = 'resources/clusterroles.rbac.authorization.k8s.io/cluster/reader.json';
    expect(chunk!.subarray(0, 512)).toEqual(Buffer.from(tarFileHeader(name, json.length, mtime)));
    expect(decode(chunk!.subarray(512, 512 + json.length))).toBe(json);
  });

  it('cuts a page of large objects into chunks of a few MiB, and every entry survives the cut', () => {
    const writer = new ArchiveWriter(0);
    const big = 'y'.repeat(900_000);
    const objects = Array.from({ length: 12 }, (_, i) => configMap(`big-${i}`, 'data', big));
    const chunks = [...writer.entries('configmaps', 'v1', objects)];
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.length).toBeLessThan(8 * 1024 * 1024);
    const entries = read([...chunks, writer.end()]);
    expect(entries).toHaveLength(24);
    expect(entries.map((e) => (JSON.parse(decode(e.content)) as KubeObject).metadata?.name)).toEqual(
      objects.flatMap((o) => [o.metadata!.name, o.metadata!.name]),
    );
  });
});

import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ArchiveWriter } from '../../activities/resource-backup/archive.js';
import { completeItems, type KubeObject, type ListedItem } from '../../activities/kube/list-pages.js';
import { gzipMembers } from '../../activities/storage/gzip-members.js';
import { scanList } from '../../core/resources/list-scan.js';
import { buildArchiveIndex, indexEntryFor, type MemberSizes } from '../../core/velero/archive-index.js';
import { parseItemPath } from '../../core/velero/archive-paths.js';
import { TarReader } from '../../core/velero/tar.js';

function listed(objects: KubeObject[], apiVersion: string, kind: string): ListedItem[] {
  const body = Buffer.from(JSON.stringify({ kind: `${kind}List`, apiVersion, metadata: {}, items: objects }));
  return completeItems(body, scanList(body).items, apiVersion, kind);
}

const objects = (kind: string, count: number, namespaced: boolean): KubeObject[] =>
  Array.from({ length: count }, (_, i) => ({
    metadata: { name: `${kind.toLowerCase()}-${i}`, ...(namespaced ? { namespace: `ns-${i % 7}` } : {}) },
    data: { payload: 'x'.repeat((i * 37) % 900) },
  }));

/** The resources written in this order, with their objects, through the writer and gzip members as a backup does. */
async function archive(
  resources: { name: string; apiVersion: string; kind: string; count: number; namespaced: boolean }[],
  chunkBytes: number,
  memberBytes: number,
) {
  const writer = new ArchiveWriter(1, chunkBytes);
  function* tar(): Generator<Buffer> {
    yield* writer.begin();
    for (const r of resources) {
      const all = listed(objects(r.kind, r.count, r.namespaced), r.apiVersion, r.kind);
      // In pages, as listed.
      for (let i = 0; i < all.length; i += 40) yield* writer.entries(r.name, 'v1', all.slice(i, i + 40));
    }
    yield* writer.end();
  }
  const members: MemberSizes[] = [];
  const pieces: Buffer[] = [];
  for await (const piece of gzipMembers(tar(), {
    level: 1,
    memberBytes,
    concurrency: 3,
    onMember: (m) => members.push(m),
  }))
    pieces.push(piece);
  return { stored: Buffer.concat(pieces), index: buildArchiveIndex(writer.resourceStarts, members), members };
}

/** The plain item entries' resources, reading the stored bytes from `offset` and dropping `skip` decompressed bytes. */
function resourcesFrom(stored: Buffer, offset: number, skip: number): string[] {
  const reader = new TarReader();
  const entries = reader.push(gunzipSync(stored.subarray(offset)).subarray(skip));
  reader.end();
  return entries.flatMap((e) => {
    const path = parseItemPath(e.name);
    return path && path.versionDir === undefined ? [path.groupResource] : [];
  });
}

const RESOURCES = [
  { name: 'secrets', apiVersion: 'v1', kind: 'Secret', count: 150, namespaced: true },
  { name: 'configmaps', apiVersion: 'v1', kind: 'ConfigMap', count: 3, namespaced: true },
  { name: 'widgets.example.io', apiVersion: 'example.io/v1', kind: 'Widget', count: 220, namespaced: false },
  { name: 'gadgets.example.io', apiVersion: 'example.io/v1', kind: 'Gadget', count: 1, namespaced: true },
];

describe('the archive index', () => {
  for (const [chunkBytes, memberBytes] of [
    [4096, 4096],
    [4096, 16 * 1024],
    [1024 * 1024, 1024 * 1024],
  ] as const) {
    it(`points each resource at a member from which its first entry is the next one read (chunks ${chunkBytes}, members ${memberBytes})`, async () => {
      const { stored, index, members } = await archive(RESOURCES, chunkBytes, memberBytes);
      expect(index.map((e) => e.resource)).toEqual(RESOURCES.map((r) => r.name));
      if (chunkBytes < 1024 * 1024) expect(members.length).toBeGreaterThan(3);
      const whole = resourcesFrom(stored, 0, 0);
      for (const entry of index) {
        const read = resourcesFrom(stored, entry.offset, entry.skip);
        // From there on the archive is exactly what reading it whole gives from that resource's first item.
        expect(read).toEqual(whole.slice(whole.indexOf(entry.resource)));
        expect(entry.skip).toBeLessThan(Math.max(chunkBytes, memberBytes));
      }
      // Later resources start later: a step skips what came before.
      const offsets = index.map((e) => e.offset);
      expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
      if (members.length > 1) expect(offsets.at(-1)).toBeGreaterThan(0);
      else expect(index.map((e) => e.offset)).toEqual(index.map(() => 0));
    });
  }

  it('gives no entry for a resource whose start lies beyond the members (an archive cut short)', () => {
    const index = buildArchiveIndex(
      [
        { resource: 'a', tarOffset: 0 },
        { resource: 'b', tarOffset: 150 },
        { resource: 'c', tarOffset: 400 },
      ],
      [
        { input: 100, output: 30 },
        { input: 100, output: 20 },
      ],
    );
    expect(index).toEqual([
      { resource: 'a', offset: 0, skip: 0 },
      { resource: 'b', offset: 30, skip: 50 },
    ]);
    expect(indexEntryFor(index, 'c')).toBeUndefined();
    expect(indexEntryFor(undefined, 'a')).toBeUndefined();
    expect(indexEntryFor(index, 'b')).toEqual({ resource: 'b', offset: 30, skip: 50 });
  });

  it('starts a resource that begins exactly at a member boundary at that member, with nothing to skip', () => {
    expect(
      buildArchiveIndex(
        [{ resource: 'b', tarOffset: 100 }],
        [
          { input: 100, output: 30 },
          { input: 100, output: 20 },
        ],
      ),
    ).toEqual([{ resource: 'b', offset: 30, skip: 0 }]);
  });
});

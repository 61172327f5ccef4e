import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  TAR_END,
  TarReader,
  UstarFileHeaders,
  concatBytes,
  tarFileHeader,
  tarPadding,
  type TarEntry,
} from '../../core/velero/tar.js';

const text = new TextDecoder();
const bytes = (s: string) => new TextEncoder().encode(s);
const field = (block: Uint8Array, offset: number, length: number) =>
  text.decode(block.subarray(offset, offset + length));

/** A whole archive as the resource-backup activity streams it: header, content, padding per file, then the end. */
function archive(files: { name: string; content: string | Uint8Array }[], mtime = 1_764_000_000): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of files) {
    const content = typeof f.content === 'string' ? bytes(f.content) : f.content;
    parts.push(tarFileHeader(f.name, content.length, mtime), content, tarPadding(content.length));
  }
  parts.push(TAR_END);
  return concatBytes(parts);
}

/** Feeds the archive in chunks of `size` bytes and returns every entry, checking the archive ended cleanly. */
function readAll(data: Uint8Array, size: number): TarEntry[] {
  const reader = new TarReader();
  const entries: TarEntry[] = [];
  for (let i = 0; i < data.length; i += size) entries.push(...reader.push(data.subarray(i, i + size)));
  reader.end();
  return entries;
}

function unsignedSum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  return sum;
}

describe('tarFileHeader', () => {
  it('writes one ustar block field by field: name, mode 0755, uid/gid 0, size, mtime, checksum, typeflag, magic', () => {
    const h = tarFileHeader('metadata/version', 6, 1_764_000_000.9);
    expect(h.length).toBe(512);
    expect(field(h, 0, 100)).toBe('metadata/version'.padEnd(100, '\0'));
    expect(field(h, 100, 8)).toBe('0000755\0');
    expect(field(h, 108, 8)).toBe('0000000\0');
    expect(field(h, 116, 8)).toBe('0000000\0');
    expect(field(h, 124, 12)).toBe('00000000006\0');
    // Whole seconds: the fraction is dropped, as Go's ustar writer rounds down.
    expect(field(h, 136, 12)).toBe(`${(1_764_000_000).toString(8).padStart(11, '0')}\0`);
    expect(field(h, 156, 1)).toBe('0');
    expect(field(h, 157, 100)).toBe('\0'.repeat(100)); // no link name
    expect(field(h, 257, 6)).toBe('ustar\0');
    expect(field(h, 263, 2)).toBe('00');
    expect(field(h, 265, 32)).toBe('\0'.repeat(32)); // no user name
    expect(field(h, 297, 32)).toBe('\0'.repeat(32)); // no group name
    expect(field(h, 329, 8)).toBe('0000000\0');
    expect(field(h, 337, 8)).toBe('0000000\0');
    expect(field(h, 345, 155)).toBe('\0'.repeat(155)); // no prefix
    expect(field(h, 500, 12)).toBe('\0'.repeat(12));
    const chksum = field(h, 148, 8);
    expect(chksum).toMatch(/^[0-7]{6}\0 $/);
    expect(parseInt(chksum.slice(0, 6), 8)).toBe(unsignedSum(h));
  });

  it('splits a name longer than 100 bytes at a "/" into prefix and name, without PAX', () => {
    const dir = 'resources/customresourcedefinitions.apiextensions.k8s.io/v1-preferredversion/cluster';
    const file = `${'x'.repeat(60)}.example.com.json`;
    const h = tarFileHeader(`${dir}/${file}`, 10, 0);
    expect(h.length).toBe(512);
    expect(field(h, 0, 100).replace(/\0+$/, '')).toBe(file);
    expect(field(h, 345, 155).replace(/\0+$/, '')).toBe(dir);
  });

  it('puts a name ustar cannot hold in a PAX extended header before the file header', () => {
    const name = `resources/configmaps/namespaces/team-a/${'c'.repeat(200)}.json`;
    const h = tarFileHeader(name, 3, 1_764_000_000);
    const record = ` path=${name}\n`;
    const length = record.length + String(record.length + 3).length;
    expect(h.length).toBe(512 + 512 + 512);
    expect(field(h, 156, 1)).toBe('x');
    expect(parseInt(field(h, 124, 11), 8)).toBe(length);
    expect(field(h, 512, length)).toBe(`${length}${record}`);
    const fileHeader = h.subarray(1024);
    expect(field(fileHeader, 156, 1)).toBe('0');
    expect(field(fileHeader, 100, 8)).toBe('0000755\0');
    expect(parseInt(field(fileHeader, 124, 11), 8)).toBe(3);
    expect(parseInt(field(fileHeader, 148, 6), 8)).toBe(unsignedSum(fileHeader));
    expect(parseInt(field(h, 148, 6), 8)).toBe(unsignedSum(h.subarray(0, 512)));
  });

  it('counts the length digits of a PAX record right across a power of ten', () => {
    for (let n = 80; n <= 1000; n += 1) {
      const name = `resources/x/cluster/${'n'.repeat(n)}.json`;
      const h = tarFileHeader(name, 0, 0);
      if (h.length === 512) continue;
      const size = parseInt(field(h, 124, 11), 8);
      const record = field(h, 512, size);
      expect(Number(record.slice(0, record.indexOf(' ')))).toBe(size);
      expect(record.endsWith('\n')).toBe(true);
    }
  });

  it('puts a size beyond 8 GiB - 1 and a non-ASCII name in PAX records, which the reader applies', () => {
    const size = 2 ** 33;
    const h = tarFileHeader('resources/é/cluster/big.json', size, 0);
    const paxSize = parseInt(field(h, 124, 11), 8);
    const records = field(h, 512, paxSize);
    expect(records).toContain(' path=resources/é/cluster/big.json\n');
    expect(records).toContain(` size=${size}\n`);
    const fileHeader = h.subarray(h.length - 512);
    expect(field(fileHeader, 124, 12)).toBe('00000000000\0');
    // Read the headers back with a small body in place of 8 GiB: the PAX size is what the reader expects.
    const reader = new TarReader();
    expect(reader.push(h)).toEqual([]);
    expect(() => reader.end()).toThrow(/inside an entry/);
  });

  it('refuses names with NUL and sizes that are not whole numbers', () => {
    expect(() => tarFileHeader('a\0b', 1, 0)).toThrow(/NUL/);
    expect(() => tarFileHeader('a', -1, 0)).toThrow(/size/);
    expect(() => tarFileHeader('a', 1.5, 0)).toThrow(/size/);
  });
});

describe('UstarFileHeaders', () => {
  const dir = 'resources/customresourcedefinitions.apiextensions.k8s.io/v1-preferredversion/cluster';
  const names = [
    'a',
    'resources/configmaps/namespaces/default/app.json',
    'x'.repeat(100), // exactly the name field
    `${'d'.repeat(155)}/${'n'.repeat(100)}`, // the longest split: a full prefix and a full name
    `${dir}/${'x'.repeat(60)}.example.com.json`,
    'resources/secrets/namespaces/a b/~weird!name@.json', // printable ASCII beyond [a-z0-9.-]
  ];
  const sizes = [0, 1, 7, 8, 511, 512, 1_048_576, 2 ** 31 + 3, 0o77777777777];
  const mtimes = [0, 1_764_000_000, 1_764_000_000.9];

  it('writes, in place, the same bytes as tarFileHeader for every name ustar can hold', () => {
    for (const mtime of mtimes) {
      const headers = new UstarFileHeaders(mtime);
      for (const name of names)
        for (const size of sizes) {
          const layout = UstarFileHeaders.layout(name, size);
          expect(layout, name).toBeDefined();
          // Dirty memory around and under the header: the writer must own every byte of its block.
          const target = new Uint8Array(512 + 24).fill(0xab);
          headers.write(target, 12, layout!, size);
          expect(target.subarray(12, 524)).toEqual(tarFileHeader(name, size, mtime));
          expect(target[11]).toBe(0xab);
          expect(target[524]).toBe(0xab);
        }
    }
  });

  it('leaves to tarFileHeader (PAX) what ustar cannot hold: unsplittable long names, non-ASCII, sizes over 8 GiB', () => {
    expect(UstarFileHeaders.layout('x'.repeat(101), 1)).toBeUndefined();
    expect(UstarFileHeaders.layout(`${'d'.repeat(156)}/${'n'.repeat(10)}`, 1)).toBeUndefined();
    expect(UstarFileHeaders.layout('resources/configmaps/namespaces/café/a.json', 1)).toBeUndefined();
    expect(UstarFileHeaders.layout('a.json', 0o77777777777 + 1)).toBeUndefined();
    expect(UstarFileHeaders.layout('', 1)).toBeUndefined();
    expect(UstarFileHeaders.layout('a\u0000b', 1)).toBeUndefined();
  });
});

describe('tarPadding and TAR_END', () => {
  it('pads content to the next 512-byte boundary with zeros', () => {
    expect([0, 1, 511, 512, 513, 1024].map((n) => tarPadding(n).length)).toEqual([0, 511, 1, 0, 511, 0]);
    expect(tarPadding(100).every((b) => b === 0)).toBe(true);
  });

  it('ends an archive with two zero blocks', () => {
    expect(TAR_END.length).toBe(1024);
    expect(TAR_END.every((b) => b === 0)).toBe(true);
  });
});

describe('TarReader', () => {
  const files = [
    { name: 'metadata/version', content: '1.1.0\n' },
    { name: 'resources/configmaps/namespaces/team-a/settings.json', content: '{"kind":"ConfigMap"}' },
    { name: 'resources/empty/cluster/nothing.json', content: '' },
    { name: 'resources/block/cluster/exact.json', content: 'b'.repeat(512) },
    { name: 'resources/ünïcode/cluster/ä.json', content: 'u' },
    { name: `resources/configmaps/namespaces/team-a/${'long-'.repeat(40)}name.json`, content: 'é'.repeat(700) },
  ];

  it.each([1, 7, 511, 512, 4096, 1 << 20])('reads back every entry fed in chunks of %i bytes', (size) => {
    const entries = readAll(archive(files), size);
    expect(entries.map((e) => ({ name: e.name, content: text.decode(e.content) }))).toEqual(files);
    for (const e of entries) {
      expect(e.mode).toBe(0o755);
      expect(e.type).toBe('0');
      expect(e.size).toBe(e.content.length);
    }
  });

  it('throws at end() when the archive stops inside an entry, or before its end-of-archive block', () => {
    const whole = archive(files);
    const cutInContent = new TarReader();
    cutInContent.push(whole.subarray(0, 512 + 3));
    expect(() => cutInContent.end()).toThrow(/truncated.*inside an entry/);
    const cutInHeader = new TarReader();
    cutInHeader.push(whole.subarray(0, 100));
    expect(() => cutInHeader.end()).toThrow(/truncated/);
    const noEnd = new TarReader();
    expect(noEnd.push(whole.subarray(0, 1024))).toHaveLength(1);
    expect(() => noEnd.end()).toThrow(/no end-of-archive/);
  });

  it('refuses a header whose checksum does not match', () => {
    const broken = archive(files.slice(0, 1));
    broken[0] = 'n'.charCodeAt(0);
    expect(() => new TarReader().push(broken)).toThrow(/checksum/);
  });

  it('ignores whatever follows the end-of-archive block (gzip members may pad the stream)', () => {
    const data = new Uint8Array([...archive(files.slice(0, 1)), ...new Uint8Array(700).fill(7)]);
    expect(readAll(data, 100)).toHaveLength(1);
  });
});

describe('against GNU tar', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-velero-tar-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const longName = `resources/secrets/namespaces/team-b/${'s'.repeat(150)}.json`;
  const files = [
    { name: 'metadata/version', content: '1.1.0\n' },
    { name: 'resources/configmaps/namespaces/team-a/settings.json', content: '{"apiVersion":"v1","kind":"ConfigMap"}' },
    { name: 'resources/configmaps/v1-preferredversion/namespaces/team-a/settings.json', content: '{"a":1}' },
    { name: 'resources/namespaces/cluster/team-a.json', content: 'x'.repeat(1500) },
    { name: longName, content: '{"kind":"Secret"}' },
  ];

  it('lists and extracts a gzipped archive of this writer with the names, modes 0755 and contents written', () => {
    const file = join(dir, 'backup.tar.gz');
    writeFileSync(file, gzipSync(archive(files)));
    const listing = execFileSync('tar', ['-tvzf', file], { encoding: 'utf8' }).trim().split('\n');
    expect(listing).toHaveLength(files.length);
    listing.forEach((line, i) => {
      expect(line.startsWith('-rwxr-xr-x 0/0')).toBe(true);
      expect(line.endsWith(` ${files[i]!.name}`)).toBe(true);
    });
    const out = join(dir, 'out');
    mkdirSync(out);
    execFileSync('tar', ['-xzf', file, '-C', out]);
    for (const f of files) {
      const path = join(out, f.name);
      expect(readFileSync(path, 'utf8')).toBe(f.content);
      expect(statSync(path).mode & 0o777).toBe(0o755);
    }
  });

  it.each(['gnu', 'pax', 'ustar'])('reads an archive GNU tar wrote in %s format', (format) => {
    const src = join(dir, `src-${format}`);
    const wanted = format === 'ustar' ? files.filter((f) => f.name !== longName) : files;
    for (const f of wanted) {
      mkdirSync(join(src, f.name, '..'), { recursive: true });
      writeFileSync(join(src, f.name), f.content);
    }
    const file = join(dir, `${format}.tar.gz`);
    execFileSync('tar', [`--format=${format}`, '-czf', file, '-C', src, ...wanted.map((f) => f.name)]);
    const entries = readAll(gunzipSync(readFileSync(file)), 333);
    expect(entries.map((e) => ({ name: e.name, content: text.decode(e.content) }))).toEqual(wanted);
  });
});

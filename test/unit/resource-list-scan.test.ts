import { describe, expect, it } from 'vitest';
import { ListScanError, scanList, scanObject } from '../../core/resources/list-scan.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const slice = (body: Uint8Array, start: number, end: number) => new TextDecoder().decode(body.subarray(start, end));

/** What JSON.parse says the scanner should find: the items, and for each the fields the backup reads. */
function expectScanMatchesParse(text: string) {
  const body = bytes(text);
  const scanned = scanList(body);
  const parsed = JSON.parse(text) as { metadata?: { continue?: string }; items?: Record<string, unknown>[] | null };
  expect(scanned.continueToken).toBe(parsed.metadata?.continue || undefined);
  const items = parsed.items ?? [];
  expect(scanned.items).toHaveLength(items.length);
  scanned.items.forEach((item, i) => {
    const original = items[i]!;
    expect(JSON.parse(slice(body, item.start, item.end))).toEqual(original);
    const meta = (original['metadata'] ?? undefined) as Record<string, unknown> | undefined;
    const expected: Record<string, unknown> = {};
    for (const field of ['apiVersion', 'kind'] as const)
      if (typeof original[field] === 'string') expected[field] = original[field];
    if (meta) {
      const m: Record<string, unknown> = {};
      for (const field of ['name', 'namespace', 'uid', 'deletionTimestamp'])
        if (typeof meta[field] === 'string') m[field] = meta[field];
      if (meta['labels'] && typeof meta['labels'] === 'object') m['labels'] = meta['labels'];
      expected['metadata'] = m;
    }
    expect(item.object).toEqual(expected);
  });
}

const configMap = (i: number, extra: Record<string, unknown> = {}) => ({
  metadata: {
    name: `cm-${i}`,
    namespace: 'apps',
    uid: `uid-${i}`,
    resourceVersion: String(100 + i),
    labels: { app: 'web', tier: String(i % 3) },
    annotations: { note: 'a "quoted" value with \\ backslashes and } braces ] and {[' },
    managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } } }],
  },
  data: { a: 'x'.repeat(i), 'b.json': '{"nested": [1, 2, {"deep": "\\"end\\\\"}]}' },
  ...extra,
});

describe('scanList: a LIST page read as bytes', () => {
  it('finds every item and the fields the backup reads, as JSON.parse does', () => {
    const list = {
      kind: 'ConfigMapList',
      apiVersion: 'v1',
      metadata: { resourceVersion: '9' },
      items: [0, 1, 2].map((i) => configMap(i)),
    };
    expectScanMatchesParse(JSON.stringify(list));
  });

  it('reads the continue token and custom resources that carry apiVersion and kind', () => {
    const items = [
      {
        apiVersion: 'bench.lifeboat.dev/v1',
        kind: 'Widget',
        metadata: { name: 'w', namespace: 'n', uid: 'u' },
        spec: { size: 12345 },
      },
    ];
    expectScanMatchesParse(
      `{"apiVersion":"bench.lifeboat.dev/v1","items":${JSON.stringify(items)},"kind":"WidgetList","metadata":{"continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ","resourceVersion":"77"}}`,
    );
  });

  it('keeps the bytes as the server wrote them: large integers and Go escapes survive', () => {
    const text =
      '{"items":[{"metadata":{"name":"big"},"spec":{"n":12345678901234567890,"html":"\\u003cb\\u003e \\u0026"}}]}';
    const body = bytes(text);
    const [item] = scanList(body).items;
    expect(slice(body, item!.start, item!.end)).toBe(
      '{"metadata":{"name":"big"},"spec":{"n":12345678901234567890,"html":"\\u003cb\\u003e \\u0026"}}',
    );
  });

  it('tolerates whitespace anywhere JSON allows it (pretty-printed answers)', () => {
    const list = {
      metadata: { continue: 'next' },
      items: [configMap(1), configMap(2, { status: null, spec: [true, false, null, -1.5e3] })],
    };
    expectScanMatchesParse(JSON.stringify(list, null, 2));
    expectScanMatchesParse(
      `\n\t { "items" : [ ${JSON.stringify(configMap(3))} ,\r\n ${JSON.stringify(configMap(4))} ] , "metadata" : { } } \n`,
    );
  });

  it('decodes names with escapes and non-ASCII text', () => {
    expectScanMatchesParse(
      JSON.stringify({ items: [{ metadata: { name: 'caf\u00e9-\u2603', namespace: 'q"uote\\d', uid: '\u0001' } }] }),
    );
  });

  it('reads an empty list, a null list and items without metadata', () => {
    expect(scanList(bytes('{"items":[],"metadata":{}}')).items).toEqual([]);
    expect(scanList(bytes('{"kind":"List","items":null}')).items).toEqual([]);
    expect(scanList(bytes('{"metadata":{"continue":""}}'))).toEqual({ items: [] });
    expectScanMatchesParse(
      '{"items":[{},{"kind":"Thing"},{"metadata":{"name":null,"deletionTimestamp":"2026-01-01T00:00:00Z"}}]}',
    );
  });

  it('finds only top-level metadata fields: a nested "name" or "labels" is not the object\'s', () => {
    const item = {
      spec: { metadata: { name: 'template', labels: { x: 'y' } } },
      metadata: { name: 'real' },
      name: 'not-this',
    };
    expectScanMatchesParse(JSON.stringify({ items: [item] }));
  });

  it('matches JSON.parse on generated pages', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '{', '}', '[', ']', ',', ':', '\n', '\u00e9', '\u{1F600}'];
    const text = () =>
      Array.from({ length: Math.floor(random() * 12) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(
        '',
      );
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 3 || r < 0.3) return text();
      if (r < 0.4) return Math.floor(random() * 1e6) / 100;
      if (r < 0.45) return null;
      if (r < 0.5) return random() < 0.5;
      if (r < 0.75) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [text(), value(depth + 1)]));
    };
    for (let page = 0; page < 50; page++) {
      const items = Array.from({ length: Math.floor(random() * 6) }, (_, i) => ({
        ...(random() < 0.5 ? { apiVersion: text(), kind: text() } : {}),
        metadata: { name: text(), namespace: text(), uid: `u${i}`, labels: { [text()]: text() }, extra: value(0) },
        data: value(0),
      }));
      expectScanMatchesParse(JSON.stringify({ metadata: { continue: text() }, items }, null, random() < 0.3 ? 1 : 0));
    }
  });

  it('refuses malformed answers with the byte they break at', () => {
    for (const text of [
      '',
      '{"items":[{"metadata":{"name":"a"}}',
      '{"items":[{"metadata":{"name":"a}}]}',
      '{"items":[{"metadata" {"name":"a"}}]}',
      '{"items":[{"metadata":{"name":"a"}} {"x":1}]}',
      '{"items":[]} trailing',
      '{"items":[1]}',
      '{"items":[{"metadata":{"labels":{"a":}}}]}',
    ])
      expect(() => scanList(bytes(text)), text).toThrow(ListScanError);
    expect(() => scanList(bytes('{"items":[{"metadata":{"name":"a}}]}'))).toThrow(/at byte \d+/);
  });
});

describe("scanObject: one object's body", () => {
  it('reads the whole body as one item', () => {
    const text = `${JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-1', uid: 'u' } })}\n`;
    const item = scanObject(bytes(text));
    expect(item).toEqual({
      start: 0,
      end: text.length - 1,
      object: { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-1', uid: 'u' } },
    });
    expect(() => scanObject(bytes('{"a":1}{"b":2}'))).toThrow(ListScanError);
  });
});

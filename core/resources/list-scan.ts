import type { ListedObject } from './items.js';

/**
 * A LIST page read as bytes, not parsed: where each item's JSON starts and ends, and the few metadata fields the
 * backup decides on (name, namespace, uid, labels, deletionTimestamp, and apiVersion/kind where the items carry
 * them). The archive then copies each item's bytes as the API server wrote them.
 *
 * Why not JSON.parse: parsing a 500-item page builds megabytes of objects that the archive only turns back into the
 * same JSON; in bench/resources the collector spent more time on them than the listing and the gzip together. Copying
 * the bytes is also more faithful: integers beyond 2^53 in a custom resource and Go's escaping of `<`, `>`, `&` come
 * through unchanged.
 *
 * Keys are compared byte for byte: the API server's encoder never escapes the ASCII letters of a field name. Strings
 * are decoded (escapes included) only for the fields read. Malformed JSON throws ListScanError with its byte offset.
 */

export interface ScannedItem {
  /** The item's JSON is body[start, end). */
  start: number;
  end: number;
  /** Its apiVersion, kind and the metadata fields the decisions read (core/resources/items.ts). */
  object: ListedObject;
}

export interface ScannedList {
  /** The list's metadata.continue: more pages follow. */
  continueToken?: string;
  items: ScannedItem[];
}

export class ListScanError extends Error {
  override name = 'ListScanError';
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const key = (name: string) => encoder.encode(name);
const KEYS = {
  items: key('items'),
  metadata: key('metadata'),
  continue: key('continue'),
  apiVersion: key('apiVersion'),
  kind: key('kind'),
  name: key('name'),
  namespace: key('namespace'),
  uid: key('uid'),
  labels: key('labels'),
  deletionTimestamp: key('deletionTimestamp'),
};

class Scanner {
  constructor(private readonly b: Uint8Array) {}

  fail(at: number, what: string): never {
    throw new ListScanError(`malformed JSON from the API at byte ${at}: ${what}`);
  }

  ws(i: number): number {
    const b = this.b;
    for (let c = b[i]; c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = b[++i]);
    return i;
  }

  /** After the string opening at i. */
  skipString(i: number): number {
    const b = this.b;
    // Most strings are short (keys, names): looking at their bytes here costs less than a call into indexOf.
    const near = Math.min(i + 24, b.length);
    let j = i + 1;
    for (; j < near; j++) {
      const c = b[j];
      if (c === QUOTE) return j + 1;
      if (c === BACKSLASH) break;
    }
    for (;;) {
      // On a Buffer this is Buffer's indexOf (memchr): faster than the typed-array builtin's loop on long strings.
      const q = b.indexOf(QUOTE, j);
      if (q < 0) this.fail(i, 'a string does not end');
      let slashes = 0;
      for (let k = q - 1; b[k] === BACKSLASH; k--) slashes++;
      if (slashes % 2 === 0) return q + 1;
      j = q + 1;
    }
  }

  /** After the value starting at i (no leading whitespace). */
  skipValue(i: number): number {
    const b = this.b;
    const c = b[i];
    if (c === QUOTE) return this.skipString(i);
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      let depth = 0;
      for (let j = i; j < b.length;) {
        const d = b[j]!;
        if (d === QUOTE) {
          j = this.skipString(j);
          continue;
        }
        if (d === OPEN_OBJECT || d === OPEN_ARRAY) depth++;
        else if (d === CLOSE_OBJECT || d === CLOSE_ARRAY) {
          if (--depth === 0) return j + 1;
        }
        j++;
      }
      this.fail(i, 'an object or array does not end');
    }
    // A number, true, false or null.
    let j = i;
    for (
      let d = b[j];
      d !== undefined && d !== COMMA && d !== CLOSE_OBJECT && d !== CLOSE_ARRAY && d > 0x20;
      d = b[++j]
    );
    if (j === i) this.fail(i, 'a value is missing');
    return j;
  }

  /** The value at [start, end) as JSON (a string with escapes, labels): small, so JSON.parse is cheap. */
  parse(start: number, end: number): unknown {
    try {
      return JSON.parse(decoder.decode(this.b.subarray(start, end)));
    } catch {
      return this.fail(start, 'a value does not parse');
    }
  }

  /** The string value at [start, end), or undefined when the value is not a string (null). */
  string(start: number, end: number): string | undefined {
    const b = this.b;
    if (b[start] !== QUOTE) return undefined;
    // Names, namespaces and uids hold no escapes; anything else goes through JSON.parse.
    for (let k = start + 1; k < end - 1; k++) if (b[k] === BACKSLASH) return this.parse(start, end) as string;
    return decoder.decode(b.subarray(start + 1, end - 1));
  }

  keyIs(start: number, end: number, name: Uint8Array): boolean {
    if (end - start !== name.length) return false;
    const b = this.b;
    for (let k = 0; k < name.length; k++) if (b[start + k] !== name[k]) return false;
    return true;
  }

  /**
   * Walks the members of the object opening at i: `member(keyStart, keyEnd, valueStart)` for each, with the key's
   * bytes between the quotes. A member that reads its value returns where the value ends; for the others the value is
   * skipped here, so every byte is looked at once. Returns the index after the object.
   */
  members(i: number, member: (ks: number, ke: number, vs: number) => number | undefined): number {
    const b = this.b;
    if (b[i] !== OPEN_OBJECT) this.fail(i, 'an object was expected');
    let j = this.ws(i + 1);
    if (b[j] === CLOSE_OBJECT) return j + 1;
    for (;;) {
      if (b[j] !== QUOTE) this.fail(j, 'a key was expected');
      const keyStart = j + 1;
      const keyEnd = this.skipString(j) - 1;
      j = this.ws(keyEnd + 1);
      if (b[j] !== COLON) this.fail(j, '":" was expected');
      const vs = this.ws(j + 1);
      const ve = member(keyStart, keyEnd, vs) ?? this.skipValue(vs);
      j = this.ws(ve);
      if (b[j] === COMMA) {
        j = this.ws(j + 1);
        continue;
      }
      if (b[j] === CLOSE_OBJECT) return j + 1;
      this.fail(j, '"," or "}" was expected');
    }
  }
}

/** The metadata fields read as strings. */
const METADATA_STRINGS = (['name', 'namespace', 'uid', 'deletionTimestamp'] as const).map(
  (field) => [key(field), field] as const,
);

/**
 * Reads items' fields: one per page, its callbacks made once and not per item (an item's few fields are written into
 * the current item's records).
 */
function itemScanner(s: Scanner): (start: number) => ScannedItem {
  let object: ListedObject = {};
  let metadata: NonNullable<ListedObject['metadata']> = {};
  let text: string | undefined;
  /** The string value at vs into `text` (undefined for null); where the value ends. */
  const readText = (vs: number) => {
    const ve = s.skipValue(vs);
    text = s.string(vs, ve);
    return ve;
  };
  const metadataMember = (ks: number, ke: number, vs: number): number | undefined => {
    for (const [key, field] of METADATA_STRINGS) {
      if (!s.keyIs(ks, ke, key)) continue;
      const ve = readText(vs);
      if (text !== undefined) metadata[field] = text;
      return ve;
    }
    if (!s.keyIs(ks, ke, KEYS.labels)) return undefined;
    const ve = s.skipValue(vs);
    const labels = s.parse(vs, ve);
    if (labels && typeof labels === 'object') metadata.labels = labels as Record<string, string>;
    return ve;
  };
  const itemMember = (ks: number, ke: number, vs: number): number | undefined => {
    let ve: number;
    if (s.keyIs(ks, ke, KEYS.metadata)) {
      object.metadata = metadata;
      ve = s.members(vs, metadataMember);
    } else if (s.keyIs(ks, ke, KEYS.apiVersion)) {
      ve = readText(vs);
      if (text !== undefined) object.apiVersion = text;
    } else if (s.keyIs(ks, ke, KEYS.kind)) {
      ve = readText(vs);
      if (text !== undefined) object.kind = text;
    } else return undefined;
    return ve;
  };
  return (start) => {
    object = {};
    metadata = {};
    const end = s.members(start, itemMember);
    return { start, end, object };
  };
}

/** A LIST response body: its items' ranges and fields, and the continue token. */
export function scanList(body: Uint8Array): ScannedList {
  const s = new Scanner(body);
  const list: ScannedList = { items: [] };
  const end = s.members(s.ws(0), (ks, ke, vs) => {
    if (s.keyIs(ks, ke, KEYS.metadata))
      return s.members(vs, (mks, mke, mvs) => {
        if (!s.keyIs(mks, mke, KEYS.continue)) return undefined;
        const mve = s.skipValue(mvs);
        const token = s.string(mvs, mve);
        if (token) list.continueToken = token;
        return mve;
      });
    if (!s.keyIs(ks, ke, KEYS.items) || body[vs] !== OPEN_ARRAY) return undefined; // "items": null is an empty list
    const scanItem = itemScanner(s);
    let j = s.ws(vs + 1);
    if (body[j] === CLOSE_ARRAY) return j + 1;
    for (;;) {
      const item = scanItem(j);
      list.items.push(item);
      j = s.ws(item.end);
      if (body[j] === COMMA) j = s.ws(j + 1);
      else if (body[j] === CLOSE_ARRAY) return j + 1;
      else s.fail(j, '"," or "]" was expected');
    }
  });
  if (s.ws(end) !== body.length) s.fail(end, 'something follows the list');
  return list;
}

/** A single object's body (a GET of one object). */
export function scanObject(body: Uint8Array): ScannedItem {
  const s = new Scanner(body);
  const item = itemScanner(s)(s.ws(0));
  if (s.ws(item.end) !== body.length) s.fail(item.end, 'something follows the object');
  return item;
}

/**
 * Plain-JSON operations the resource restore's object rules are built from (restore-object.ts, restore-compare.ts):
 * a copy, a semantic equality, the paths where two objects differ, and RFC 7386 merge patches, made and applied.
 * Kubernetes omits empty optional fields and a merge patch writes null to remove one, so here a member whose value
 * is null is the same as no member at all. Arrays are atomic, as a merge patch treats them.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function cloneJson<T extends JsonValue>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => cloneJson(item)) as T;
  if (isJsonObject(value)) {
    const copy: JsonObject = {};
    for (const [key, item] of Object.entries(value)) copy[key] = cloneJson(item);
    return copy as T;
  }
  return value;
}

/** A member of an object, when it is an object itself. */
export function objectAt(parent: JsonValue | undefined, key: string): JsonObject | undefined {
  const value = isJsonObject(parent) ? parent[key] : undefined;
  return isJsonObject(value) ? value : undefined;
}

/** The objects of an array member, skipping anything else the array holds. */
export function objectsAt(parent: JsonValue | undefined, key: string): JsonObject[] {
  const value = isJsonObject(parent) ? parent[key] : undefined;
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

export function stringAt(parent: JsonValue | undefined, key: string): string | undefined {
  const value = isJsonObject(parent) ? parent[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function present(value: JsonValue | undefined): value is JsonValue {
  return value !== undefined && value !== null;
}

/** Deep equality, key order ignored, a null member the same as a missing one. */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (!present(a) || !present(b)) return !present(a) && !present(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isJsonObject(a) || isJsonObject(b)) {
    if (!isJsonObject(a) || !isJsonObject(b)) return false;
    for (const key of Object.keys(a)) if (!jsonEqual(a[key], b[key])) return false;
    for (const key of Object.keys(b)) if (present(b[key]) && !present(a[key])) return false;
    return true;
  }
  return a === b;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `spec.ports[0].nodePort`, `metadata.labels["app.kubernetes.io/name"]`: a path people can read in the results. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (PLAIN_KEY.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

/**
 * Every path where `a` and `b` differ, in sorted key order: a member on one side only, a different scalar, or an
 * array of another length (the array's own path; same-length arrays are compared item by item).
 */
export function differingPaths(a: JsonValue | undefined, b: JsonValue | undefined, path = ''): string[] {
  if (jsonEqual(a, b)) return [];
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    return a.flatMap((item, i) => differingPaths(item, b[i], childPath(path, i)));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((key) => differingPaths(a[key], b[key], childPath(path, key)));
  }
  return [path];
}

/**
 * The RFC 7386 merge patch that turns `from` into `to` (equal by jsonEqual once applied), or undefined when they are
 * equal already. Members of `from` that `to` lacks become null; objects are patched member by member; anything else,
 * arrays included, is replaced whole.
 */
export function createMergePatch(from: JsonObject, to: JsonObject): JsonObject | undefined {
  const patch: JsonObject = {};
  for (const [key, value] of Object.entries(to)) {
    if (!present(value) || jsonEqual(from[key], value)) continue;
    const before = from[key];
    if (isJsonObject(before) && isJsonObject(value)) {
      const nested = createMergePatch(before, value);
      if (nested) patch[key] = nested;
    } else {
      patch[key] = cloneJson(value);
    }
  }
  for (const [key, value] of Object.entries(from)) {
    if (present(value) && !present(to[key])) patch[key] = null;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** RFC 7386's MergePatch(target, patch), on copies: neither argument changes. */
export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const result: JsonObject = isJsonObject(target) ? cloneJson(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

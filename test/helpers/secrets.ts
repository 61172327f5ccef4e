import { defaultPayloadConverter, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/**
 * Secret-leak checks that look where a leak would be. A workflow history's payloads (inputs, results, heartbeats,
 * memos, search attributes) are bytes: `JSON.stringify(history)` shows them as base64 and finds nothing in them.
 * These checks decode every payload (through the codecs, when payloads are encrypted) and also search the history's
 * raw protobuf bytes, every plain string field (failure messages, stack traces) and any text or Kubernetes object.
 *
 * A secret is found whole or by any of its lines of 16 characters or more: a PEM private key leaked line by line, or
 * JSON-escaped (its newlines written as \n) inside raw bytes, still shows.
 */
export type Secrets = Record<string, string>;

export interface Finding {
  /** The secret's label (which secret, never its value). */
  secret: string;
  /** Where it was: a path into the history or object, or the name of the text. */
  where: string;
}

type History = temporal.api.history.v1.IHistory;
type Payload = temporal.api.common.v1.IPayload;

const MIN_FRAGMENT = 16;

function fragments(secret: string): string[] {
  const lines = secret
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length >= MIN_FRAGMENT && !/^-----(BEGIN|END) /.test(l));
  return [...new Set([secret.trim(), ...lines])].filter((f) => f.length > 0);
}

function matches(text: string, secrets: Secrets): string[] {
  return Object.entries(secrets)
    .filter(([, value]) => fragments(value).some((f) => text.includes(f)))
    .map(([label]) => label);
}

/** Secrets found in a piece of text (a log, a command's output). */
export function secretsInText(where: string, text: string, secrets: Secrets): Finding[] {
  return matches(text, secrets).map((secret) => ({ secret, where }));
}

function isPayload(value: unknown): value is Payload {
  return (
    typeof value === 'object' &&
    value !== null &&
    'data' in value &&
    'metadata' in value &&
    (value as Payload).data instanceof Uint8Array
  );
}

async function decodePayload(payload: Payload, codecs: PayloadCodec[]): Promise<string[]> {
  let decoded = payload;
  for (const codec of [...codecs].reverse()) decoded = (await codec.decode([decoded]))[0] ?? decoded;
  const texts = [Buffer.from(decoded.data ?? new Uint8Array()).toString('utf8')];
  try {
    texts.push(...strings(defaultPayloadConverter.fromPayload(decoded)));
  } catch {
    // Not a payload the default converter knows (binary/protobuf): its raw text above is what there is.
  }
  return texts;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  if (value instanceof Uint8Array) return [];
  return Object.values(value).flatMap(strings);
}

async function walk(
  value: unknown,
  path: string,
  secrets: Secrets,
  codecs: PayloadCodec[],
  found: Finding[],
): Promise<void> {
  if (typeof value === 'string') {
    for (const secret of matches(value, secrets)) found.push({ secret, where: path });
    return;
  }
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
  if (isPayload(value)) {
    for (const text of await decodePayload(value, codecs))
      for (const secret of matches(text, secrets)) found.push({ secret, where: `${path} (payload)` });
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    await walk(child, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`, secrets, codecs, found);
  }
}

/**
 * Every place a secret shows in a history: its decoded payloads, its string fields and its raw bytes. Codecs are
 * the worker's payload codecs, in the order the client applies them.
 */
export async function secretsInHistory(
  history: History,
  secrets: Secrets,
  codecs: PayloadCodec[] = [],
): Promise<Finding[]> {
  const found: Finding[] = [];
  await walk(history, 'history', secrets, codecs, found);
  const raw = Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('latin1');
  for (const secret of matches(raw, secrets)) found.push({ secret, where: 'history (raw bytes)' });
  return dedupe(found);
}

/** Every place a secret shows in Kubernetes objects (or any JSON-shaped values), by object path. */
export async function secretsInObjects(where: string, objects: unknown[], secrets: Secrets): Promise<Finding[]> {
  const found: Finding[] = [];
  await walk(objects, where, secrets, [], found);
  return dedupe(found);
}

function dedupe(found: Finding[]): Finding[] {
  const seen = new Set<string>();
  return found.filter((f) => {
    const key = `${f.secret}\u0000${f.where}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

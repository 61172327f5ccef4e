import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { gzipMembers } from '../../activities/storage/gzip-members.js';

/**
 * The resource benchmark's own raw access to the Kubernetes API: creating many objects fast (keep-alive HTTPS, many
 * requests in flight, no client library in the way) and the floor a resource backup is measured against (a paged
 * LIST, the bodies gzipped and thrown away).
 */

export interface ApiAccess {
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

export class RawApi {
  private readonly agent: Agent;

  constructor(private readonly access: ApiAccess) {
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 64,
      ca: readFileSync(access.caFile),
      cert: readFileSync(access.certFile),
      key: readFileSync(access.keyFile),
    });
  }

  send(method: string, path: string, body?: unknown): Promise<{ status: number; body: Buffer }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.access.server}${path}`,
        {
          method,
          agent: this.agent,
          headers: {
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async create(path: string, object: unknown): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.send('POST', path, object);
      if (res.status === 201 || res.status === 409) return;
      // The API server sheds load with 429 when too many writes are in flight: wait and retry.
      if ((res.status === 429 || res.status >= 500) && attempt < 20) {
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
        continue;
      }
      throw new Error(`POST ${path}: ${res.status} ${res.body.toString('utf8').slice(0, 300)}`);
    }
  }

  close(): void {
    this.agent.destroy();
  }
}

export const WIDGET_GROUP = 'bench.lifeboat.dev';

/** A namespaced custom resource with a free-form spec: the benchmark's "custom resources". */
export const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${WIDGET_GROUP}` },
  spec: {
    group: WIDGET_GROUP,
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

/** The kinds loaded, their share of the objects, and how big each object's payload is (bytes of text). */
export const LOADED = [
  { resource: 'configmaps', path: '/api/v1', kind: 'ConfigMap', share: 0.4, bytes: 3000 },
  { resource: 'secrets', path: '/api/v1', kind: 'Secret', share: 0.3, bytes: 1200 },
  { resource: `widgets.${WIDGET_GROUP}`, path: `/apis/${WIDGET_GROUP}/v1`, kind: 'Widget', share: 0.3, bytes: 1500 },
] as const;
export type Loaded = (typeof LOADED)[number];

export const namespaceName = (i: number) => `bench-${String(i).padStart(3, '0')}`;
/** Object i's kind: 40% ConfigMaps, 30% Secrets, 30% Widgets, interleaved so every namespace holds all three. */
export const kindOf = (i: number): Loaded => LOADED[i % 10 < 4 ? 0 : i % 10 < 7 ? 1 : 2];

const words = Array.from({ length: 2000 }, () => randomBytes(4).toString('hex'));
/** Configuration-like text: key=value lines of words and ids, compressible about as real ConfigMaps are. */
function text(bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = `${words[Math.floor(Math.random() * words.length)]}.${words[Math.floor(Math.random() * 50)]}=${randomUUID()}`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

/** Object i of the load, with the labels and annotations real objects carry, and its collection's path. */
export function benchObject(i: number, namespaces: number): { path: string; body: Record<string, unknown> } {
  const loaded = kindOf(i);
  const namespace = namespaceName(i % namespaces);
  const metadata = {
    name: `${loaded.kind.toLowerCase()}-${i}`,
    namespace,
    labels: { app: `app-${i % 37}`, tier: i % 3 === 0 ? 'frontend' : 'backend', 'bench.lifeboat.dev/load': 'true' },
    annotations: { 'bench.lifeboat.dev/owner': `team-${i % 11}@example.com` },
  };
  const path = `${loaded.path}/namespaces/${namespace}/${loaded.resource.split('.')[0]}`;
  const apiVersion = loaded.path === '/api/v1' ? 'v1' : `${WIDGET_GROUP}/v1`;
  const payload = text(loaded.bytes);
  switch (loaded.kind) {
    case 'ConfigMap':
      return { path, body: { apiVersion, kind: loaded.kind, metadata, data: { 'application.properties': payload } } };
    case 'Secret':
      return {
        path,
        body: {
          apiVersion,
          kind: loaded.kind,
          metadata,
          type: 'Opaque',
          data: { 'credentials.txt': Buffer.from(payload).toString('base64') },
        },
      };
    case 'Widget':
      return {
        path,
        body: {
          apiVersion,
          kind: loaded.kind,
          metadata,
          spec: { replicas: i % 5, size: ['s', 'm', 'l'][i % 3], config: payload },
        },
      };
  }
}

/** Creates objects [from, to) with `concurrency` requests in flight. */
export async function loadObjects(
  api: RawApi,
  range: { from: number; to: number; namespaces: number },
  concurrency: number,
  progress: (done: number) => void,
): Promise<void> {
  let next = range.from;
  let done = 0;
  const worker = async () => {
    while (next < range.to) {
      const i = next++;
      const { path, body } = benchObject(i, range.namespaces);
      await api.create(path, body);
      if (++done % 5000 === 0) progress(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * The floor: every object of the loaded kinds, cluster-wide, by paged LIST at the backup's page size, each page's
 * body compressed as the archive is (gzip members at the archive's level on every core,
 * activities/storage/gzip-members.ts) and thrown away. The next page is requested while the current one is
 * compressed, as the backup does (activities/kube/list-pages.ts). Returns the items listed.
 */
export async function listFloor(api: RawApi, pageSize: number, gzipLevel: number): Promise<number> {
  let items = 0;
  async function* bodies(): AsyncGenerator<Buffer> {
    for (const loaded of LOADED) {
      const collection = `${loaded.path}/${loaded.resource.split('.')[0]}`;
      const page = (token?: string) =>
        api.send('GET', `${collection}?limit=${pageSize}${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      let next = page();
      for (;;) {
        const res = await next;
        if (res.status !== 200) throw new Error(`LIST ${collection}: ${res.status}`);
        const body = JSON.parse(res.body.toString('utf8')) as { metadata?: { continue?: string }; items?: unknown[] };
        const token = body.metadata?.continue || undefined;
        if (token) next = page(token);
        items += body.items?.length ?? 0;
        yield res.body;
        if (!token) break;
      }
    }
  }
  for await (const member of gzipMembers(bodies(), { level: gzipLevel })) void member;
  return items;
}

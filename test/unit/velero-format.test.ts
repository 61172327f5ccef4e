import { describe, expect, it } from 'vitest';
import { resourceManifest, type ResourceArchiveFacts, type ResourceManifestInput } from '../../core/manifest.js';
import type { ItemProblem } from '../../core/resources/model.js';
import {
  BACKUP_FORMAT_VERSION,
  METADATA_VERSION_PATH,
  itemPath,
  metadataVersionContent,
  parseItemPath,
  preferredVersionItemPath,
  preferredVersionOf,
} from '../../core/velero/archive-paths.js';
import {
  goDuration,
  parseVeleroRecord,
  selectorObject,
  serializeVeleroRecord,
  veleroBackupRecord,
} from '../../core/velero/backup-record.js';
import { ResourceList, parseResourceList } from '../../core/velero/resource-list.js';
import { parseVeleroResults, serializeVeleroResults, veleroResults } from '../../core/velero/results.js';

describe('archive paths', () => {
  it('writes metadata/version as Velero does', () => {
    expect(METADATA_VERSION_PATH).toBe('metadata/version');
    expect(BACKUP_FORMAT_VERSION).toBe('1.1.0');
    expect(new TextDecoder().decode(metadataVersionContent())).toBe('1.1.0\n');
  });

  it.each([
    ['configmaps', 'team-a', 'settings', 'resources/configmaps/namespaces/team-a/settings.json'],
    ['deployments.apps', 'team-a', 'web', 'resources/deployments.apps/namespaces/team-a/web.json'],
    ['namespaces', undefined, 'team-a', 'resources/namespaces/cluster/team-a.json'],
    [
      'clusterroles.rbac.authorization.k8s.io',
      '',
      'system:aggregate-to-view',
      'resources/clusterroles.rbac.authorization.k8s.io/cluster/system:aggregate-to-view.json',
    ],
  ])('places %s %s/%s at its item path', (resource, namespace, name, path) => {
    expect(itemPath(resource, namespace, name)).toBe(path);
    expect(parseItemPath(path)).toEqual({ groupResource: resource, ...(namespace ? { namespace } : {}), name });
  });

  it('places the preferred-version copy under <version>-preferredversion, and reads it back', () => {
    const path = preferredVersionItemPath('deployments.apps', 'v1', 'team-a', 'web');
    expect(path).toBe('resources/deployments.apps/v1-preferredversion/namespaces/team-a/web.json');
    expect(parseItemPath(path)).toEqual({
      groupResource: 'deployments.apps',
      versionDir: 'v1-preferredversion',
      namespace: 'team-a',
      name: 'web',
    });
    const cluster = preferredVersionItemPath('persistentvolumes', 'v1', undefined, 'pv-1');
    expect(cluster).toBe('resources/persistentvolumes/v1-preferredversion/cluster/pv-1.json');
    expect(preferredVersionOf('v1-preferredversion')).toBe('v1');
    expect(preferredVersionOf('v1beta1')).toBeUndefined();
    expect(preferredVersionOf('-preferredversion')).toBeUndefined();
  });

  it('reads a non-preferred version directory (EnableAPIGroupVersions) and a leading ./', () => {
    expect(parseItemPath('./resources/widgets.example.com/v1beta1/cluster/w.json')).toEqual({
      groupResource: 'widgets.example.com',
      versionDir: 'v1beta1',
      name: 'w',
    });
  });

  it.each([
    'metadata/version',
    'resources',
    'resources/configmaps',
    'resources/configmaps/cluster',
    'resources/configmaps/namespaces/team-a',
    'resources/configmaps/namespaces/team-a/settings.yaml',
    'resources/configmaps/namespaces/team-a/.json',
    'resources/configmaps/namespaces/team-a/x/settings.json',
    'resources/configmaps/cluster/a/b.json',
    'resources/configmaps/v1/v2/cluster/b.json',
    'resources/configmaps/namespaces/../x.json',
    'resources//cluster/x.json',
    'other/configmaps/cluster/x.json',
  ])('says %s is not an item', (path) => {
    expect(parseItemPath(path)).toBeUndefined();
  });
});

const facts: ResourceArchiveFacts = {
  location: 'primary',
  key: 'lifeboat/resources/prod/backups/apps-20261201100000/apps-20261201100000.tar.gz',
  recipients: [],
  stored: { bytes: 123_456, sha256: 'a'.repeat(64) },
  kubernetes: { gitVersion: 'v1.36.3', major: '1', minor: '36' },
  filters: {
    includedNamespaces: ['team-*'],
    excludedNamespaces: ['team-scratch'],
    includedResources: [],
    excludedResources: ['events'],
    includeClusterResources: null,
    labelSelectors: ['app=web,tier in (front,back),!legacy'],
  },
  counts: { items: 42, resources: { configmaps: 40, 'deployments.apps': 2 }, warnings: 0, errors: 0 },
  problems: [],
  resourceList: 'lifeboat/resources/prod/backups/apps-20261201100000/apps-20261201100000-resource-list.json.gz',
  results: 'lifeboat/resources/prod/backups/apps-20261201100000/apps-20261201100000-results.gz',
  veleroRecord: 'lifeboat/resources/prod/backups/apps-20261201100000/velero-backup.json',
};

function manifestWith(archive: Partial<ResourceArchiveFacts> = {}) {
  const input: ResourceManifestInput = {
    cluster: 'prod',
    policy: 'apps',
    backup: 'apps-20261201100000',
    nominalTime: new Date('2026-12-01T10:00:00Z'),
    oneOff: false,
    startedAt: '2026-12-01T10:00:01.250Z',
    completedAt: '2026-12-01T10:02:03.999Z',
    archive: { ...facts, ...archive },
    createdBy: { workflowId: 'resource-backup/prod/apps/apps-20261201100000', runId: 'run-1' },
  };
  return resourceManifest(input);
}

describe('veleroBackupRecord', () => {
  it('is the Backup object Velero imports: identity, Velero annotations, the filters, a Completed status', () => {
    expect(veleroBackupRecord(manifestWith(), { storageLocation: 'primary', ttlMs: 30 * 86_400_000 })).toEqual({
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: {
        name: 'apps-20261201100000',
        labels: { 'velero.io/storage-location': 'primary' },
        annotations: {
          'velero.io/source-cluster-k8s-gitversion': 'v1.36.3',
          'velero.io/source-cluster-k8s-major-version': '1',
          'velero.io/source-cluster-k8s-minor-version': '36',
          'lifeboat.dev/written-by': 'lifeboat',
          'lifeboat.dev/cluster': 'prod',
          'lifeboat.dev/policy': 'apps',
          'lifeboat.dev/backup': 'apps-20261201100000',
        },
      },
      spec: {
        includedNamespaces: ['team-*'],
        excludedNamespaces: ['team-scratch'],
        excludedResources: ['events'],
        labelSelector: {
          matchLabels: { app: 'web' },
          matchExpressions: [
            { key: 'tier', operator: 'In', values: ['front', 'back'] },
            { key: 'legacy', operator: 'DoesNotExist' },
          ],
        },
        snapshotVolumes: false,
        storageLocation: 'primary',
        ttl: '720h0m0s',
      },
      status: {
        version: 1,
        formatVersion: '1.1.0',
        phase: 'Completed',
        startTimestamp: '2026-12-01T10:00:01Z',
        completionTimestamp: '2026-12-01T10:02:03Z',
        progress: { totalItems: 42, itemsBackedUp: 42 },
      },
    });
  });

  it('never carries an expiration, ownerReferences, or an empty or New phase', () => {
    const record = veleroBackupRecord(manifestWith(), { storageLocation: 'primary', ttlMs: 3_600_000 });
    expect(record.status).not.toHaveProperty('expiration');
    expect(record.metadata).not.toHaveProperty('ownerReferences');
    expect(['Completed', 'PartiallyFailed']).toContain(record.status.phase);
  });

  it.each([
    [{ warnings: 0, errors: 0 }, 'Completed', {}],
    [{ warnings: 3, errors: 0 }, 'Completed', { warnings: 3 }],
    [{ warnings: 0, errors: 1 }, 'PartiallyFailed', { errors: 1 }],
    [{ warnings: 2, errors: 5 }, 'PartiallyFailed', { warnings: 2, errors: 5 }],
  ])('with %o the phase is %s and the counts are %o', (problems, phase, counts) => {
    const record = veleroBackupRecord(manifestWith({ counts: { ...facts.counts, ...problems } }), {
      storageLocation: 'primary',
    });
    expect(record.status.phase).toBe(phase);
    const { warnings, errors } = record.status;
    expect({ ...(warnings !== undefined ? { warnings } : {}), ...(errors !== undefined ? { errors } : {}) }).toEqual(
      counts,
    );
  });

  it('leaves out empty filters and an unset ttl, keeps includeClusterResources when set, empty progress at 0 items', () => {
    const record = veleroBackupRecord(
      manifestWith({
        filters: {
          includedNamespaces: [],
          excludedNamespaces: [],
          includedResources: ['configmaps'],
          excludedResources: [],
          includeClusterResources: false,
          labelSelectors: [],
        },
        counts: { items: 0, resources: {}, warnings: 0, errors: 0 },
      }),
      { storageLocation: 'primary' },
    );
    expect(record.spec).toEqual({
      includedResources: ['configmaps'],
      includeClusterResources: false,
      snapshotVolumes: false,
      storageLocation: 'primary',
    });
    expect(record.status.progress).toEqual({});
  });

  it('writes several selectors as orLabelSelectors', () => {
    const record = veleroBackupRecord(manifestWith({ filters: { ...facts.filters, labelSelectors: ['a=1', 'b'] } }), {
      storageLocation: 'primary',
    });
    expect(record.spec.labelSelector).toBeUndefined();
    expect(record.spec.orLabelSelectors).toEqual([
      { matchLabels: { a: '1' } },
      { matchExpressions: [{ key: 'b', operator: 'Exists' }] },
    ]);
  });

  it('turns each selector requirement into the LabelSelector field that holds it', () => {
    expect(selectorObject('a=1,a=2,b!=3,c notin (x,y),d')).toEqual({
      matchLabels: { a: '1' },
      matchExpressions: [
        { key: 'a', operator: 'In', values: ['2'] },
        { key: 'b', operator: 'NotIn', values: ['3'] },
        { key: 'c', operator: 'NotIn', values: ['x', 'y'] },
        { key: 'd', operator: 'Exists' },
      ],
    });
  });

  it('refuses an encrypted backup: stock Velero cannot read its tarball', () => {
    const encrypted = manifestWith({ recipients: [`age1${'q'.repeat(58)}`] });
    expect(() => veleroBackupRecord(encrypted, { storageLocation: 'primary' })).toThrow(/encrypted/);
  });

  it.each([
    [0, '0s'],
    [500, '500ms'],
    [1_500, '1.5s'],
    [45_000, '45s'],
    [90_000, '1m30s'],
    [30 * 60_000, '30m0s'],
    [3_600_000, '1h0m0s'],
    [36 * 3_600_000 + 5_000, '36h0m5s'],
    [30 * 86_400_000, '720h0m0s'],
  ])('writes %i ms as the Go duration %s', (ms, text) => {
    expect(goDuration(ms)).toBe(text);
  });
});

describe('serializeVeleroRecord and parseVeleroRecord', () => {
  it('writes pretty JSON and a newline, with Go HTML-safe escapes', () => {
    const text = serializeVeleroRecord({ a: { b: '<x&y>' } });
    expect(text).toBe('{\n  "a": {\n    "b": "\\u003cx\\u0026y\\u003e"\n  }\n}\n');
    expect(JSON.parse(text)).toEqual({ a: { b: '<x&y>' } });
  });

  it('reads back what Lifeboat wrote', () => {
    const record = veleroBackupRecord(manifestWith({ counts: { ...facts.counts, warnings: 1, errors: 2 } }), {
      storageLocation: 'primary',
    });
    expect(parseVeleroRecord(serializeVeleroRecord(record))).toEqual({
      ok: true,
      backup: {
        name: 'apps-20261201100000',
        phase: 'PartiallyFailed',
        startTimestamp: '2026-12-01T10:00:01Z',
        completionTimestamp: '2026-12-01T10:02:03Z',
        itemsBackedUp: 42,
        totalItems: 42,
        warnings: 1,
        errors: 2,
        includedNamespaces: ['team-*'],
        excludedNamespaces: ['team-scratch'],
        storageLocation: 'primary',
        formatVersion: '1.1.0',
        writtenByLifeboat: true,
      },
    });
  });

  // As `velero backup create` leaves it in the bucket (field names from pkg/apis/velero/v1/backup_types.go).
  const stockVeleroRecord = `{
  "kind": "Backup",
  "apiVersion": "velero.io/v1",
  "metadata": {
    "name": "nightly-20261130020000",
    "namespace": "velero",
    "uid": "4b0c2b8e-8f39-4f0e-9d55-6f1c1f0f2a77",
    "resourceVersion": "81234",
    "generation": 7,
    "creationTimestamp": "2026-11-30T02:00:00Z",
    "labels": {
      "velero.io/schedule-name": "nightly",
      "velero.io/storage-location": "default"
    },
    "annotations": {
      "velero.io/resource-timeout": "10m0s",
      "velero.io/source-cluster-k8s-gitversion": "v1.36.3",
      "velero.io/source-cluster-k8s-major-version": "1",
      "velero.io/source-cluster-k8s-minor-version": "36"
    },
    "managedFields": [{ "manager": "velero-server", "operation": "Update", "apiVersion": "velero.io/v1" }]
  },
  "spec": {
    "metadata": {},
    "includedNamespaces": ["shop", "billing"],
    "excludedResources": ["events"],
    "ttl": "720h0m0s",
    "hooks": {},
    "storageLocation": "default",
    "volumeSnapshotLocations": ["default"],
    "defaultVolumesToFsBackup": false,
    "csiSnapshotTimeout": "10m0s",
    "itemOperationTimeout": "4h0m0s",
    "snapshotMoveData": false
  },
  "status": {
    "version": 1,
    "formatVersion": "1.1.0",
    "expiration": "2026-12-30T02:00:00Z",
    "phase": "PartiallyFailed",
    "startTimestamp": "2026-11-30T02:00:00Z",
    "completionTimestamp": "2026-11-30T02:00:41Z",
    "warnings": 4,
    "errors": 1,
    "progress": { "totalItems": 310, "itemsBackedUp": 309 },
    "hookStatus": {}
  }
}
`;

  it('reads a record stock Velero wrote, expiration and all', () => {
    expect(parseVeleroRecord(stockVeleroRecord)).toEqual({
      ok: true,
      backup: {
        name: 'nightly-20261130020000',
        phase: 'PartiallyFailed',
        startTimestamp: '2026-11-30T02:00:00Z',
        completionTimestamp: '2026-11-30T02:00:41Z',
        expiration: '2026-12-30T02:00:00Z',
        itemsBackedUp: 309,
        totalItems: 310,
        warnings: 4,
        errors: 1,
        includedNamespaces: ['shop', 'billing'],
        excludedNamespaces: [],
        storageLocation: 'default',
        formatVersion: '1.1.0',
        writtenByLifeboat: false,
      },
    });
  });

  it('reads a bare record (no spec, no status) as a New backup with no counts', () => {
    expect(parseVeleroRecord('{"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":"b"}}')).toEqual({
      ok: true,
      backup: {
        name: 'b',
        phase: 'New',
        warnings: 0,
        errors: 0,
        includedNamespaces: [],
        excludedNamespaces: [],
        writtenByLifeboat: false,
      },
    });
  });

  it.each([
    ['not json', /not JSON/],
    ['{"apiVersion":"velero.io/v2","kind":"Backup","metadata":{"name":"b"}}', /apiVersion must be velero.io\/v1/],
    ['{"apiVersion":"velero.io/v1","kind":"Restore","metadata":{"name":"b"}}', /kind must be Backup/],
    ['{"apiVersion":"velero.io/v1","kind":"Backup","metadata":{}}', /metadata.name/],
    [
      '{"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":"b"},"status":{"errors":"many"}}',
      /status.errors/,
    ],
  ])('says what is wrong with %s', (text, error) => {
    const parsed = parseVeleroRecord(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(error);
  });
});

describe('ResourceList', () => {
  it("is Velero's map of group/version/Kind to sorted ns/name, as compact JSON and a newline", () => {
    const list = new ResourceList();
    list.add('v1', 'ConfigMap', 'team-b', 'z');
    list.add('apps/v1', 'Deployment', 'team-a', 'web');
    list.add('v1', 'ConfigMap', 'team-a', 'settings');
    list.add('v1', 'Namespace', undefined, 'team-a');
    list.add('rbac.authorization.k8s.io/v1', 'ClusterRole', '', 'view');
    list.add('v1', 'ConfigMap', 'team-a', 'settings');
    expect(list.serialize()).toBe(
      '{"apps/v1/Deployment":["team-a/web"],"rbac.authorization.k8s.io/v1/ClusterRole":["view"],' +
        '"v1/ConfigMap":["team-a/settings","team-b/z"],"v1/Namespace":["team-a"]}\n',
    );
    expect(parseResourceList(list.serialize())).toEqual(list.toJSON());
  });

  it('is {} with no items', () => {
    expect(new ResourceList().serialize()).toBe('{}\n');
  });

  it('reads a list stock Velero wrote, and refuses what is not one', () => {
    expect(parseResourceList('{"v1/Pod":["shop/web-0","shop/web-1"],"v1/PersistentVolume":["pv-1"]}\n')).toEqual({
      'v1/Pod': ['shop/web-0', 'shop/web-1'],
      'v1/PersistentVolume': ['pv-1'],
    });
    expect(() => parseResourceList('[]')).toThrow(/JSON object/);
    expect(() => parseResourceList('{"v1/Pod":"web"}')).toThrow(/v1\/Pod/);
    expect(() => parseResourceList('{"v1/Pod":[1]}')).toThrow(/v1\/Pod/);
  });
});

describe('Velero results', () => {
  const problems: ItemProblem[] = [
    { level: 'error', resource: 'secrets', namespace: 'team-a', message: 'listing secrets: forbidden <RBAC> & more' },
    { level: 'warning', message: 'discovery of metrics.k8s.io/v1beta1 failed: service unavailable' },
    { level: 'warning', resource: 'widgets.example.com', message: 'no API serves this resource' },
    { level: 'error', resource: 'persistentvolumes', namespace: '', name: 'pv-1', message: 'conversion error' },
    { level: 'error', resource: 'configmaps', namespace: 'team-a', name: 'big', message: 'not found' },
    { level: 'warning', resource: 'configmaps', namespace: 'apps', name: 'x', message: 'gone while listing' },
  ];

  it("sorts problems into velero, cluster and namespaces, each in Velero's composed message style", () => {
    expect(veleroResults(problems)).toEqual({
      errors: {
        cluster: [' resource: /persistentvolumes name: /pv-1 message: /conversion error'],
        namespaces: {
          'team-a': [
            ' resource: /secrets message: /listing secrets: forbidden <RBAC> & more',
            ' resource: /configmaps name: /big message: /not found',
          ],
        },
      },
      warnings: {
        velero: [
          ' message: /discovery of metrics.k8s.io/v1beta1 failed: service unavailable',
          ' resource: /widgets.example.com message: /no API serves this resource',
        ],
        namespaces: { apps: [' resource: /configmaps name: /x message: /gone while listing'] },
      },
    });
  });

  it('serializes as Go does: errors before warnings, omitempty, compact, escaped, a newline', () => {
    expect(serializeVeleroResults(veleroResults([]))).toBe('{"errors":{},"warnings":{}}\n');
    const text = serializeVeleroResults(veleroResults(problems.slice(0, 1)));
    expect(text).toBe(
      '{"errors":{"namespaces":{"team-a":[" resource: /secrets message: /listing secrets: forbidden \\u003cRBAC\\u003e \\u0026 more"]}},"warnings":{}}\n',
    );
  });

  it('reads back what it wrote: the same problems, errors first, grouped as Velero groups them', () => {
    const back = parseVeleroResults(serializeVeleroResults(veleroResults(problems)));
    const byGroup = (p: ItemProblem) => `${p.level === 'error' ? 0 : 1}${p.namespace === undefined ? 0 : 1}`;
    expect(back).toEqual(
      [problems[3]!, problems[0]!, problems[4]!, problems[1]!, problems[2]!, problems[5]!].sort((a, b) =>
        byGroup(a).localeCompare(byGroup(b)),
      ),
    );
    expect(new Set(back.map((p) => JSON.stringify(p)))).toEqual(new Set(problems.map((p) => JSON.stringify(p))));
  });

  it('reads results stock Velero wrote: the error field joins the message, foreign text is kept whole', () => {
    const stock = JSON.stringify({
      errors: {
        velero: [' message: /Error listing items error: /the server could not find the requested resource'],
        namespaces: {
          shop: [
            ' resource: /pods name: /web-0 message: /Error backing up item error: /pods "web-0" not found',
            'legacy message without fields',
          ],
        },
      },
      warnings: { cluster: [' resource: /persistentvolumes name: /pv-1 message: /Skipping snapshot'] },
    });
    expect(parseVeleroResults(stock)).toEqual([
      { level: 'error', message: 'Error listing items: the server could not find the requested resource' },
      {
        level: 'error',
        resource: 'pods',
        namespace: 'shop',
        name: 'web-0',
        message: 'Error backing up item: pods "web-0" not found',
      },
      { level: 'error', namespace: 'shop', message: 'legacy message without fields' },
      { level: 'warning', resource: 'persistentvolumes', namespace: '', name: 'pv-1', message: 'Skipping snapshot' },
    ]);
  });

  it('refuses text that is not a results file', () => {
    expect(() => parseVeleroResults('[]')).toThrow(/errors/);
    expect(() => parseVeleroResults('{"errors":{"velero":"x"}}')).toThrow(/errors.velero/);
    expect(() => parseVeleroResults('{"errors":{"namespaces":[]}}')).toThrow(/namespaces/);
    expect(parseVeleroResults('{}')).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RESTORE_LABEL, RESTORED_FROM_LABEL } from '../../core/kube-metadata.js';
import { restoreSelection } from '../../core/resources/restore-filters.js';
import { decideExisting, decideItem, splitStatusPatch, type ItemContext } from '../../core/resources/restore-item.js';
import { cloneJson, type JsonObject } from '../../core/resources/restore-json.js';
import type { BackupItemRef, RestoreOptions } from '../../core/resources/restore-model.js';
import { resourceRestoreRunbook, restoreStepKind } from '../../core/resources/restore-runbook.js';
import { restoreOptions } from './restore-options-fixture.js';

/* The objects of resource-restore-fixtures/ (captured from a real kube-apiserver: see resource-restore-object.test.ts). */
function fixture(name: string): JsonObject[] {
  return JSON.parse(
    readFileSync(new URL(`./resource-restore-fixtures/${name}`, import.meta.url), 'utf8'),
  ) as JsonObject[];
}
const backedUp = fixture('backed-up.json');
const restoredLive = fixture('restored-live.json');

const BACKUP = 'shop-daily-20261202184300';
const RESTORE = 'r2-test';
const TARGET = 'shop-restored-4';

function find(list: JsonObject[], kind: string, name: string): JsonObject {
  const found = list.find((o) => o.kind === kind && (o.metadata as { name: string }).name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the fixture`);
  return found;
}

function context(options: RestoreOptions, extra: Partial<ItemContext> = {}): ItemContext {
  const { selection } = restoreSelection(options.filters, ['configmaps', 'persistentvolumes', 'pods', 'services']);
  return { selection, options, backupName: BACKUP, restoreName: RESTORE, ...extra };
}

const settings: BackupItemRef = { groupResource: 'configmaps', namespace: 'shop', name: 'settings' };

describe('decideItem', () => {
  it('creates a selected object, mapped and labelled, without server-set metadata', () => {
    const action = decideItem(
      settings,
      find(backedUp, 'ConfigMap', 'settings'),
      context(restoreOptions({}, { namespaceMapping: { shop: TARGET } })),
    );
    expect(action.action).toBe('create');
    if (action.action !== 'create') return;
    const metadata = action.object.metadata as Record<string, unknown>;
    expect(metadata.namespace).toBe(TARGET);
    expect(metadata.uid).toBeUndefined();
    expect(metadata.resourceVersion).toBeUndefined();
    expect((metadata.labels as Record<string, string>)[RESTORE_LABEL]).toBe(RESTORE);
    expect((metadata.labels as Record<string, string>)[RESTORED_FROM_LABEL]).toBe(BACKUP);
    expect(action.status).toBeUndefined();
  });

  it('skips what the selector leaves out, with the reason', () => {
    const action = decideItem(
      settings,
      find(backedUp, 'ConfigMap', 'settings'),
      context(restoreOptions({ labelSelector: 'no-such=label' })),
    );
    expect(action).toMatchObject({ action: 'skip', skip: { code: 'filtered' } });
  });

  it('applies no selector to a related object', () => {
    const volume = find(backedUp, 'PersistentVolume', 'pv-data');
    const ref = { groupResource: 'persistentvolumes', name: 'pv-data' };
    const action = decideItem(ref, volume, {
      ...context(restoreOptions({ labelSelector: 'no-such=label', includedNamespaces: ['shop'] })),
      related: true,
    });
    // The fixture's volume is Retain: restored with its claim.
    expect(action.action).toBe('create');
  });

  it('skips a volume whose reclaim policy is Delete: its claim gets a new one', () => {
    const volume = cloneJson(find(backedUp, 'PersistentVolume', 'pv-data'));
    (volume.spec as Record<string, unknown>).persistentVolumeReclaimPolicy = 'Delete';
    const action = decideItem(
      { groupResource: 'persistentvolumes', name: 'pv-data' },
      volume,
      context(restoreOptions()),
    );
    expect(action).toMatchObject({ action: 'skip', skip: { code: 'recreated-by-controller' } });
  });

  it('skips a finished Pod or Job (the object rules)', () => {
    const pod = cloneJson(find(backedUp, 'Pod', 'debug'));
    pod.status = { phase: 'Succeeded' };
    const action = decideItem(
      { groupResource: 'pods', namespace: 'shop', name: 'debug' },
      pod,
      context(restoreOptions()),
    );
    expect(action).toMatchObject({ action: 'skip', skip: { code: 'completed' } });
  });

  it('separates the status to write to the subresource when asked, and leaves it out otherwise', () => {
    const service = find(backedUp, 'Service', 'web');
    const ref = { groupResource: 'services', namespace: 'shop', name: 'web' };
    const withStatus = decideItem(ref, service, context(restoreOptions({}, { restoreStatus: ['services'] })));
    expect(withStatus.action).toBe('create');
    if (withStatus.action === 'create') {
      expect(withStatus.object.status).toBeUndefined();
      expect(withStatus.status).toEqual(service.status);
    }
    const without = decideItem(ref, service, context(restoreOptions()));
    expect(without.action === 'create' && without.status).toBe(undefined);
  });
});

describe('decideExisting', () => {
  const mapped = restoreOptions({}, { namespaceMapping: { shop: TARGET } });
  const desired = () => {
    const action = decideItem(settings, find(backedUp, 'ConfigMap', 'settings'), context(mapped));
    if (action.action !== 'create') throw new Error('expected a create');
    return action.object;
  };
  const live = () => cloneJson(find(restoredLive, 'ConfigMap', 'settings'));

  it('counts an object an earlier attempt of this restore made as created', () => {
    const object = live();
    (object.metadata as { labels: Record<string, string> }).labels[RESTORE_LABEL] = RESTORE;
    expect(decideExisting(desired(), object, 'none', RESTORE)).toMatchObject({ outcome: 'created' });
  });

  it('finds an untouched object unchanged, and under update only labels it', () => {
    const object = live();
    (object.metadata as { labels: Record<string, string> }).labels[RESTORE_LABEL] = 'another-restore';
    expect(decideExisting(desired(), object, 'none', RESTORE)).toEqual({ outcome: 'unchanged' });
    const updated = decideExisting(desired(), object, 'update', RESTORE);
    expect(updated.outcome).toBe('unchanged');
    expect(updated.outcome === 'unchanged' && updated.patch).toEqual({
      metadata: { labels: { [RESTORE_LABEL]: RESTORE } },
    });
  });

  it('leaves a different object under none, saying where it differs, and patches it under update', () => {
    const object = live();
    (object.metadata as { labels: Record<string, string> }).labels[RESTORE_LABEL] = 'another-restore';
    const data = object.data as Record<string, string>;
    const key = Object.keys(data)[0]!;
    data[key] = 'changed since the backup';
    const none = decideExisting(desired(), object, 'none', RESTORE);
    expect(none.outcome).toBe('skipped');
    expect(none.outcome === 'skipped' && none.reason).toContain(`data.${key}`);
    const update = decideExisting(desired(), object, 'update', RESTORE);
    expect(update.outcome).toBe('updated');
    if (update.outcome === 'updated')
      expect((update.patch.data as Record<string, string>)[key]).toBe((desired().data as Record<string, string>)[key]);
  });
});

describe('splitStatusPatch', () => {
  it('sends status to the subresource and the rest to the object', () => {
    expect(splitStatusPatch({ spec: { a: 1 }, status: { b: 2 } })).toEqual({
      main: { spec: { a: 1 } },
      status: { status: { b: 2 } },
    });
    expect(splitStatusPatch({ status: { b: 2 } })).toEqual({ status: { status: { b: 2 } } });
    expect(splitStatusPatch({ metadata: {} })).toEqual({ main: { metadata: {} } });
  });
});

describe('resourceRestoreRunbook', () => {
  const planned = {
    target: 'demo',
    source: {
      kind: 'velero' as const,
      location: 'l',
      prefix: 'v',
      backup: 'b',
      archiveKey: 'v/backups/b/b.tar.gz',
      resourceListKey: 'k',
      bytes: 1,
    },
    steps: [
      { groupResource: 'namespaces', reason: 'first', items: 2, related: 0 },
      { groupResource: 'configmaps', reason: 'priority', items: 5, related: 0 },
    ],
    results: { location: 'l', prefix: '' },
  };

  it('is preflight, approval, one step per resource, record; the first write is the point of no return', () => {
    const steps = resourceRestoreRunbook(planned, { requireApproval: true, dryRun: false });
    expect(steps.map((s) => s.kind)).toEqual([
      'preflight',
      'approval',
      restoreStepKind('namespaces'),
      restoreStepKind('configmaps'),
      'record',
    ]);
    expect(steps.map((s) => s.pointOfNoReturn)).toEqual([false, false, true, true, true]);
  });

  it('has no gate, no record and no point of no return in a dry run', () => {
    const steps = resourceRestoreRunbook(planned, { requireApproval: true, dryRun: true });
    expect(steps.map((s) => s.kind)).toEqual([
      'preflight',
      restoreStepKind('namespaces'),
      restoreStepKind('configmaps'),
    ]);
    expect(steps.every((s) => !s.pointOfNoReturn)).toBe(true);
  });

  it('writes no record when there is nowhere to keep it', () => {
    const { results: _, ...withoutResults } = planned;
    expect(
      resourceRestoreRunbook(withoutResults, { requireApproval: false, dryRun: false }).map((s) => s.kind),
    ).not.toContain('record');
  });
});

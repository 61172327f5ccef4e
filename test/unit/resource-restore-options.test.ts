import { describe, expect, it } from 'vitest';
import type { RestoreOptions } from '../../core/resources/restore-model.js';
import {
  mappedNamespace,
  parseNamespaceMapping,
  RESTORE_OPTION_FLAGS,
  validateRestoreOptions,
  type RestoreOptionIssue,
} from '../../core/resources/restore-options.js';
import { discovery } from './resource-discovery.js';
import { restoreOptions } from './restore-options-fixture.js';

const BACKUP = [
  'configmaps',
  'customresourcedefinitions.apiextensions.k8s.io',
  'deployments.apps',
  'events',
  'namespaces',
  'nodes',
  'persistentvolumeclaims',
  'secrets',
  'services',
  'widgets.example.lifeboat.dev',
];

const options = restoreOptions;

function mappingIssues(text: string): string[] {
  const result = parseNamespaceMapping(text);
  if (result.ok) throw new Error(`"${text}" parsed`);
  for (const i of result.issues) expect(i).toMatchObject({ field: 'namespaceMapping', flag: '--namespace-mapping' });
  return result.issues.map((i) => i.message);
}

describe('parseNamespaceMapping', () => {
  it('reads old:new pairs, spaces around entries allowed', () => {
    expect(parseNamespaceMapping('prod:staging, web:web-copy')).toEqual({
      ok: true,
      mapping: { prod: 'staging', web: 'web-copy' },
    });
    expect(parseNamespaceMapping('a:b')).toEqual({ ok: true, mapping: { a: 'b' } });
  });

  it('refuses empty text and empty entries', () => {
    expect(mappingIssues('')).toEqual([expect.stringMatching(/^is empty; give old:new pairs/)]);
    expect(mappingIssues('  ')).toHaveLength(1);
    expect(mappingIssues('a:b,,c:d')).toEqual(['entry 2 is empty; remove the extra comma']);
    expect(mappingIssues('a:b,')).toEqual(['entry 2 is empty; remove the extra comma']);
  });

  it('refuses entries that are not old:new', () => {
    expect(mappingIssues('prod')).toEqual([
      'entry 1 "prod" is not old:new; write one ":" between the two names, e.g. prod:staging',
    ]);
    expect(mappingIssues('a:b:c')[0]).toMatch(/"a:b:c" is not old:new/);
    expect(mappingIssues(':b')[0]).toMatch(/lacks the source \(before ":"\)/);
    expect(mappingIssues('a:')[0]).toMatch(/lacks the target \(after ":"\)/);
  });

  it('refuses names that are not DNS-1123 labels, saying which side', () => {
    expect(mappingIssues('Prod:staging')[0]).toMatch(/^"Prod:staging": source "Prod" is not a namespace name/);
    expect(mappingIssues('prod:stag_ing')[0]).toMatch(/target "stag_ing" is not a namespace name/);
    expect(mappingIssues('-a:b')[0]).toMatch(/source "-a"/);
    expect(mappingIssues(`a:${'x'.repeat(64)}`)[0]).toMatch(/at most 63/);
    expect(parseNamespaceMapping(`a:${'x'.repeat(63)}`).ok).toBe(true);
  });

  it('refuses a namespace mapped onto itself', () => {
    expect(mappingIssues('a:a')).toEqual([
      '"a:a" maps a onto itself; remove the entry (unmapped namespaces keep their name)',
    ]);
  });

  it('refuses a source named twice', () => {
    expect(mappingIssues('a:b,a:c')).toEqual(['a is mapped more than once (to b and c); keep one entry for it']);
  });

  it('refuses two sources onto one target', () => {
    expect(mappingIssues('a:c,b:c')).toEqual([
      'a and b are all mapped to c: their objects would mix in one namespace, and same-named ones collide; map each to its own namespace',
    ]);
  });

  it('refuses chains and swaps: a target that is another entry’s source', () => {
    expect(mappingIssues('a:b,b:c')).toEqual([
      expect.stringMatching(/^b is both the target of a:b and the source of b:c: mappings do not chain/),
    ]);
    expect(mappingIssues('a:b,b:a')).toHaveLength(2);
  });

  it('reports every problem at once', () => {
    expect(mappingIssues('A:b,,x,c:c')).toHaveLength(4);
  });
});

describe('mappedNamespace', () => {
  it('maps the named namespaces and keeps the others', () => {
    const mapping = { prod: 'staging' };
    expect(mappedNamespace(mapping, 'prod')).toBe('staging');
    expect(mappedNamespace(mapping, 'web')).toBe('web');
    expect(mappedNamespace(mapping, 'constructor')).toBe('constructor');
    expect(mappedNamespace({}, 'toString')).toBe('toString');
  });
});

// ---------------------------------------------------------------------------------------------------------------------

function issues(o: RestoreOptions, context?: Parameters<typeof validateRestoreOptions>[2]): RestoreOptionIssue[] {
  return validateRestoreOptions(o, BACKUP, context);
}

describe('validateRestoreOptions', () => {
  it('accepts a plain request, and every flag maps to a field', () => {
    expect(issues(options())).toEqual([]);
    expect(
      issues(
        options(
          {
            includedNamespaces: ['shop', 'team-*'],
            excludedNamespaces: ['team-b'],
            includedResources: ['*'],
            excludedResources: ['secrets'],
            includeClusterResources: true,
            orLabelSelectors: ['app=web', 'tier in (db)'],
          },
          {
            existingResourcePolicy: 'update',
            restoreStatus: ['widgets', 'deployments.apps', '*'],
            namespaceMapping: { shop: 'shop2' },
          },
        ),
      ),
    ).toEqual([]);
    expect(Object.values(RESTORE_OPTION_FLAGS).every((f) => f.startsWith('--'))).toBe(true);
  });

  it('refuses --include-resources naming a never-restored kind, saying why, by any name', () => {
    const found = issues(
      options({ includedResources: ['configmaps', 'nodes', 'ev', 'events.events.k8s.io', 'leases'] }),
    );
    expect(found.map((i) => i.field)).toEqual([
      'filters.includedResources[1]',
      'filters.includedResources[2]',
      'filters.includedResources[3]',
      'filters.includedResources[4]',
    ]);
    expect(found[0]).toEqual({
      field: 'filters.includedResources[1]',
      flag: '--include-resources',
      message:
        '"nodes" (nodes) is never restored: Nodes register themselves: the kubelet of each machine creates its Node; remove it from --include-resources',
    });
    expect(found[3]!.message).toMatch(/leases.coordination.k8s.io\) is never restored: leader elections/);
  });

  it('resolves short names through the discovery for that check, and lets a glob through', () => {
    expect(issues(options({ includedResources: ['no'] }), { discovery: discovery.resources })).toHaveLength(1);
    expect(issues(options({ includedResources: ['*', 'n*'] }))).toEqual([]);
  });

  it('refuses a resource both included and excluded', () => {
    expect(issues(options({ includedResources: ['secrets'], excludedResources: ['secrets'] }))).toEqual([
      {
        field: 'filters.includedResources[0]',
        flag: '--include-resources',
        message: '"secrets" is also excluded (--exclude-resources); remove it from one of the two',
      },
    ]);
  });

  it('refuses an existing-resource policy other than none and update', () => {
    const found = issues(options({}, { existingResourcePolicy: 'merge' as unknown as 'none' }));
    expect(found).toEqual([
      {
        field: 'existingResourcePolicy',
        flag: '--existing-resource-policy',
        message:
          '"merge" is not a policy: use none (leave existing objects as they are) or update (patch them to the backup\'s version)',
      },
    ]);
  });

  it('refuses labelSelector with orLabelSelectors, and invalid selectors, each at its field', () => {
    expect(issues(options({ labelSelector: 'app=web', orLabelSelectors: ['tier=db'] }))).toEqual([
      expect.objectContaining({
        field: 'filters.labelSelector',
        flag: '--selector',
        message: expect.stringMatching(/--or-selector/) as unknown,
      }),
    ]);
    expect(issues(options({ labelSelector: 'app in (' }))[0]).toMatchObject({ field: 'filters.labelSelector' });
    expect(issues(options({ orLabelSelectors: ['app=web', 'a b'] }))[0]).toMatchObject({
      field: 'filters.orLabelSelectors[1]',
      flag: '--or-selector',
    });
    expect(issues(options({ labelSelector: '' }))[0]!.message).toMatch(/is empty/);
  });

  it("refuses invalid globs and names with the backup's validators", () => {
    const found = issues(
      options({
        includedNamespaces: ['team-{a,b}'],
        excludedNamespaces: ['Shop'],
        includedResources: ['config maps'],
        excludedResources: ['[abc'],
      }),
    );
    expect(found.map((i) => [i.field, i.flag])).toEqual([
      ['filters.includedNamespaces[0]', '--include-namespaces'],
      ['filters.excludedNamespaces[0]', '--exclude-namespaces'],
      ['filters.includedResources[0]', '--include-resources'],
      ['filters.excludedResources[0]', '--exclude-resources'],
    ]);
    expect(found[0]!.message).toMatch(/use \*, \? or \[\.\.\.\]/);
  });

  it('refuses --restore-status naming what the backup does not hold, listing what it does', () => {
    const found = issues(options({}, { restoreStatus: ['deployments', 'statefulsets', 'cm'] }));
    expect(found.map((i) => i.field)).toEqual(['restoreStatus[1]', 'restoreStatus[2]']);
    expect(found[0]!.message).toMatch(/^"statefulsets" names no resource of this backup \(it holds configmaps, /);
    expect(issues(options({}, { restoreStatus: ['cm'] }), { discovery: discovery.resources })).toEqual([]);
  });

  it('refuses a mapping with merges or chains, and one onto a namespace the restore brings back too', () => {
    expect(issues(options({}, { namespaceMapping: { a: 'c', b: 'c' } }))[0]!.message).toMatch(/all mapped to c/);
    expect(issues(options({}, { namespaceMapping: { a: 'b', b: 'c' } }))[0]!.message).toMatch(/do not chain/);
    const context = { backupNamespaces: ['prod', 'staging'] };
    expect(issues(options({}, { namespaceMapping: { prod: 'staging' } }), context)).toEqual([
      {
        field: 'namespaceMapping',
        flag: '--namespace-mapping',
        message:
          "prod:staging: the backup's namespace staging is restored too, so both would mix in staging; map prod to another namespace, or exclude staging (--exclude-namespaces staging)",
      },
    ]);
    expect(
      issues(options({ excludedNamespaces: ['staging'] }, { namespaceMapping: { prod: 'staging' } }), context),
    ).toEqual([]);
    expect(
      issues(options({ includedNamespaces: ['prod'] }, { namespaceMapping: { prod: 'staging' } }), context),
    ).toEqual([]);
  });

  it('reports every problem at once', () => {
    const found = issues(
      options(
        { includedResources: ['nodes'], labelSelector: 'a', orLabelSelectors: ['b'] },
        { existingResourcePolicy: 'x' as unknown as 'none', restoreStatus: ['nope'], namespaceMapping: { a: 'a' } },
      ),
    );
    expect(found.map((i) => i.field)).toEqual([
      'filters.includedResources[0]',
      'filters.labelSelector',
      'existingResourcePolicy',
      'restoreStatus[0]',
      'namespaceMapping',
    ]);
  });
});

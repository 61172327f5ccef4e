import type { RestoreFilters, RestoreOptions } from '../../core/resources/restore-model.js';

/** A resource restore's options: no filters, no mapping, policy none, unless the test says otherwise. */
export function restoreOptions(
  filters: Partial<RestoreFilters> = {},
  rest: Partial<RestoreOptions> = {},
): RestoreOptions {
  return {
    filters: {
      includedNamespaces: [],
      excludedNamespaces: [],
      includedResources: [],
      excludedResources: [],
      ...filters,
    },
    namespaceMapping: {},
    existingResourcePolicy: 'none',
    restoreStatus: [],
    preserveNodePorts: false,
    ...rest,
  };
}

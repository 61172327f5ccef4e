import { ApiError, type ClusterApi } from './cluster-api.js';
import { withApiRetries } from './list-pages.js';

export interface CrdState {
  name: string;
  established: boolean;
  namesAccepted: boolean;
  /** Why not, in the API's words (a condition's message, or that the CRD is missing). */
  reason?: string;
}

interface Condition {
  type?: string;
  status?: string;
  message?: string;
}

interface Crd {
  status?: { conditions?: Condition[] };
}

const PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/';

async function stateOf(api: ClusterApi, name: string, signal?: AbortSignal): Promise<CrdState> {
  try {
    const crd = await withApiRetries(() => api.get<Crd>(PATH + name, signal ? { signal } : {}), signal);
    const conditions = crd.status?.conditions ?? [];
    const is = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
    const established = is('Established');
    const namesAccepted = is('NamesAccepted');
    const blocking = conditions.find(
      (c) => (c.type === 'NamesAccepted' || c.type === 'Established') && c.status !== 'True' && c.message,
    );
    return { name, established, namesAccepted, ...(blocking?.message ? { reason: blocking.message } : {}) };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      return { name, established: false, namesAccepted: false, reason: 'the CRD does not exist' };
    }
    throw err;
  }
}

/**
 * Waits until every named CRD is Established with its names accepted (Velero's restore does not, and custom
 * resources right after their CRD fail with "no matches for kind"), or the time is up; the last state of each.
 */
export async function waitForEstablished(
  api: ClusterApi,
  names: string[],
  opts: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal; onWait?: () => void },
): Promise<CrdState[]> {
  const deadline = Date.now() + opts.timeoutMs;
  const states = new Map<string, CrdState>();
  let pending = [...names];
  for (;;) {
    for (const state of await Promise.all(pending.map((n) => stateOf(api, n, opts.signal))))
      states.set(state.name, state);
    pending = pending.filter((n) => !(states.get(n)!.established && states.get(n)!.namesAccepted));
    if (pending.length === 0 || Date.now() >= deadline) break;
    opts.onWait?.();
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 500));
    opts.signal?.throwIfAborted();
  }
  return names.map((n) => states.get(n)!);
}

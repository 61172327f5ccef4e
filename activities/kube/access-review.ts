import type { ClusterApi } from './cluster-api.js';
import { withApiRetries } from './list-pages.js';

/** One question for the API's authorizer: may this identity `verb` the resource (in `namespace`, or cluster-wide)? */
export interface AccessCheck {
  /** API group; '' for the core group. */
  group: string;
  resource: string;
  verb: string;
  namespace?: string;
  subresource?: string;
}

export interface AccessAnswer extends AccessCheck {
  allowed: boolean;
  /** The authorizer's reason, when it gave one. */
  reason?: string;
}

interface ReviewStatus {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

const PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

/**
 * Asks the authorizer about each check with a SelfSubjectAccessReview (what `kubectl auth can-i` sends), a few at a
 * time: the answer is the authorizer's own, RBAC and webhooks alike, without trying a write. In the order asked.
 */
export async function reviewAccess(
  api: ClusterApi,
  checks: AccessCheck[],
  opts: { concurrency?: number; signal?: AbortSignal } = {},
): Promise<AccessAnswer[]> {
  const answers: AccessAnswer[] = new Array<AccessAnswer>(checks.length);
  let next = 0;
  const ask = async () => {
    while (next < checks.length) {
      const index = next++;
      const check = checks[index]!;
      const body = {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: {
          resourceAttributes: {
            group: check.group,
            resource: check.resource,
            verb: check.verb,
            ...(check.namespace !== undefined ? { namespace: check.namespace } : {}),
            ...(check.subresource !== undefined ? { subresource: check.subresource } : {}),
          },
        },
      };
      const review = await withApiRetries(
        () => api.send<ReviewStatus>('POST', PATH, body, { ...(opts.signal ? { signal: opts.signal } : {}) }),
        opts.signal,
      );
      const reason = review.status?.reason || review.status?.evaluationError;
      answers[index] = { ...check, allowed: review.status?.allowed === true, ...(reason ? { reason } : {}) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, checks.length) }, ask));
  return answers;
}

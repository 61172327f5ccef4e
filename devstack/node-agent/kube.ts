import { ApiException, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

export const strategicMergePatch = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function loadKubeconfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

const hasCode = (err: unknown, code: number) => err instanceof ApiException && err.code === code;
export const isNotFound = (err: unknown) => hasCode(err, 404);
export const isConflict = (err: unknown) => hasCode(err, 409);
export const isForbidden = (err: unknown) => hasCode(err, 403);

/** One line for logs: the API's own message when there is one, not the whole response. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    if (typeof body === 'string') {
      try {
        const parsed = JSON.parse(body) as { message?: string };
        if (parsed.message) return `${err.code}: ${parsed.message}`;
      } catch {
        return `${err.code}: ${body.slice(0, 300)}`;
      }
    }
    return `${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

import { readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';

/** True when GET url answers with a 2xx status. */
export async function httpOk(url: string, init?: RequestInit): Promise<boolean> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** True when GET url over HTTPS, verified against the given CA, answers 2xx (anonymous: health endpoints). */
export function httpsOk(url: string, caFile: string): Promise<boolean> {
  return httpsProbe(url, { ca: readFileSync(caFile) });
}

/** For health endpoints behind a self-signed serving certificate: a liveness poke, not a trust decision. */
export function httpsOkUnverified(url: string): Promise<boolean> {
  return httpsProbe(url, { rejectUnauthorized: false });
}

function httpsProbe(url: string, tls: { ca?: Buffer; rejectUnauthorized?: boolean }): Promise<boolean> {
  return new Promise((resolve) => {
    const request = httpsGet(url, { ...tls, timeout: 2000 }, (response) => {
      response.resume();
      resolve((response.statusCode ?? 500) < 300);
    });
    request.on('error', () => resolve(false));
    request.on('timeout', () => {
      request.destroy();
      resolve(false);
    });
  });
}

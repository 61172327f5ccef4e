import { readFileSync } from 'node:fs';
import { TASK_QUEUE } from '../core/naming.js';

/**
 * How to reach Temporal, from the environment (the names Temporal's own tools use):
 * TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH,
 * TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME; and LIFEBOAT_TASK_QUEUE.
 * The API key and client key are read here and handed to the SDK only; they are never logged.
 */
export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  tls: TlsSettings | undefined;
  apiKey: string | undefined;
}

export interface TlsSettings {
  serverNameOverride?: string;
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

export class TemporalSettingsError extends Error {
  override name = 'TemporalSettingsError';
}

function readPem(env: NodeJS.ProcessEnv, variable: string): Buffer | undefined {
  const path = env[variable];
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new TemporalSettingsError(
      `${variable}=${path} cannot be read (${(err as NodeJS.ErrnoException).code}); fix the path.`,
    );
  }
}

export function temporalSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const cert = readPem(env, 'TEMPORAL_TLS_CLIENT_CERT_PATH');
  const key = readPem(env, 'TEMPORAL_TLS_CLIENT_KEY_PATH');
  if (Boolean(cert) !== Boolean(key)) {
    throw new TemporalSettingsError(
      'Set both TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH for mTLS, or neither.',
    );
  }
  const ca = readPem(env, 'TEMPORAL_TLS_SERVER_CA_CERT_PATH');
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  const wantsTls = env.TEMPORAL_TLS === 'true' || Boolean(cert) || Boolean(ca) || Boolean(apiKey);
  const tls: TlsSettings | undefined = wantsTls
    ? {
        ...(env.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME } : {}),
        ...(ca ? { serverRootCACertificate: ca } : {}),
        ...(cert && key ? { clientCertPair: { crt: cert, key } } : {}),
      }
    : undefined;
  return {
    address: env.TEMPORAL_ADDRESS || DEFAULT_TEMPORAL_ADDRESS,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.LIFEBOAT_TASK_QUEUE || TASK_QUEUE,
    tls,
    apiKey,
  };
}

/** Options for Connection.connect / NativeConnection.connect. */
export function connectionOptions(settings: TemporalSettings) {
  return {
    address: settings.address,
    ...(settings.tls ? { tls: settings.tls } : {}),
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
  };
}

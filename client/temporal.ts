import { Client, Connection } from '@temporalio/client';
import { connectionOptions, temporalSettingsFromEnv, type TemporalSettings } from '../runtime/temporal-connection.js';
import { CliError, ExitCode } from './exit-codes.js';

export interface TemporalSession {
  client: Client;
  connection: Connection;
  settings: TemporalSettings;
  close(): Promise<void>;
}

export async function connectTemporal(): Promise<TemporalSession> {
  const settings = temporalSettingsFromEnv();
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...connectionOptions(settings), connectTimeout: 5000 });
  } catch (err) {
    throw new CliError(
      `Cannot reach Temporal at ${settings.address} (${(err as Error).message}). ` +
        'Start the dev stack (npm start) or set TEMPORAL_ADDRESS.',
      ExitCode.Failed,
    );
  }
  const client = new Client({ connection, namespace: settings.namespace });
  return { client, connection, settings, close: () => connection.close() };
}

export async function withTemporal<T>(fn: (session: TemporalSession) => Promise<T>): Promise<T> {
  const session = await connectTemporal();
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

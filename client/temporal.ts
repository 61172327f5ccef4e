import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { failureMessage, rootCause } from '../core/failures.js';
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

/**
 * WorkflowFailedError is the client's own wrapper around a workflow's failure: it says only that the workflow failed.
 * Unwrapped here; core/failures.ts unwraps the rest.
 */
function workflowFailure(err: unknown): unknown {
  return err instanceof WorkflowFailedError ? (err.cause ?? err) : err;
}

/** The failure that says why a workflow failed (its own ApplicationFailure, a termination, ...): see rootCause. */
export function workflowFailureCause(err: unknown): unknown {
  return rootCause(workflowFailure(err));
}

/** The message of workflowFailureCause(err), for a person to read. */
export function workflowFailureMessage(err: unknown): string {
  return failureMessage(workflowFailure(err));
}

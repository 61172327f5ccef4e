import { Connection } from '@temporalio/client';
import type Long from 'long';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { lifeboatSearchAttributes } from '../../core/search-attributes.js';
import { ensureSearchAttributes } from '../../runtime/search-attributes.js';

/**
 * The isolation rule of the integration suite: every test file works in a Temporal namespace of its own.
 *
 * Test files run in parallel against one Temporal server. Some Lifeboat operations act on everything Lifeboat owns in
 * a namespace — `lifeboat apply` deletes every Lifeboat schedule its config does not name, `lifeboat schedules` lists
 * them all — so two files sharing a namespace would delete or see each other's schedules. Each file therefore gets
 * its own namespace (this module is evaluated once per file: vitest isolates test files' modules), with Lifeboat's
 * search attributes registered. Everything that talks to Temporal in a test goes through it: `startTestWorker`,
 * `testDeps`, worker processes and CLI runs (`temporalEnv()`). Never use the `default` namespace in a test.
 */
export const FILE_NAMESPACE = `test-${randomUUID().slice(0, 8)}`;

let ready: Promise<string> | undefined;

/** Registers this file's namespace (once) and resolves when workflows, schedules and searches can use it. */
export function fileNamespace(): Promise<string> {
  return (ready ??= registerNamespace(FILE_NAMESPACE));
}

/** TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE for a CLI run or a worker process of this file. */
export function temporalEnv(): { TEMPORAL_ADDRESS: string; TEMPORAL_NAMESPACE: string } {
  return { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: FILE_NAMESPACE };
}

async function registerNamespace(namespace: string): Promise<string> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  try {
    await connection.workflowService
      // protobufjs takes a plain number for an int64 field; the generated type names only Long.
      .registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: 86_400 as unknown as Long } })
      .catch((err: unknown) => {
        if (!/already exists/i.test(String((err as Error).message))) throw err;
      });
    // A new namespace reaches the frontend's cache within seconds; until then calls in it fail with NotFound.
    const deadline = Date.now() + 60_000;
    let lastProblem = 'search attributes not registered yet';
    for (;;) {
      try {
        await ensureSearchAttributes(connection, namespace);
        const listed = await connection.operatorService.listSearchAttributes({ namespace });
        const known = Object.keys(listed.customAttributes ?? {});
        if (lifeboatSearchAttributes.every((key) => known.includes(key.name))) {
          // Searches by a new attribute work once visibility knows it.
          await connection.workflowService.listWorkflowExecutions({
            namespace,
            query: `${lifeboatSearchAttributes[0].name} = "probe"`,
          });
          return namespace;
        }
      } catch (err) {
        lastProblem = String(err);
      }
      if (Date.now() > deadline)
        throw new Error(`Temporal namespace ${namespace} not usable after 60s: ${lastProblem}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await connection.close();
  }
}

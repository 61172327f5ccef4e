import { WorkflowNotFoundError, type Client } from '@temporalio/client';

/** Whether the workflow with this id has a run that is still running (a closed or never-started one is not). */
export async function workflowRunning(client: Client, workflowId: string): Promise<boolean> {
  const description = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    });
  return description?.status.name === 'RUNNING';
}

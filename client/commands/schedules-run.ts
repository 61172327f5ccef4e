import { ScheduleNotFoundError } from '@temporalio/client';
import { ScheduleIdPrefixes } from '../../core/naming.js';
import { LifeboatPaused } from '../../core/search-attributes.js';
import { isLifeboatSchedule } from '../../core/schedules.js';
import { appliedCron } from '../schedules-sync.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { humanAge, printJson, table } from '../output.js';
import { withTemporal, type TemporalSession } from '../temporal.js';

/** Accepts the schedule id or the `<cluster>/<policy>` shorthand for an etcd backup schedule. */
function scheduleId(target: string): string {
  return isLifeboatSchedule(target) ? target : `${ScheduleIdPrefixes.etcdBackup}${target}`;
}

async function describeAll(session: TemporalSession) {
  const rows = [];
  for await (const summary of session.client.schedule.list()) {
    if (!isLifeboatSchedule(summary.scheduleId)) continue;
    const description = await session.client.schedule.getHandle(summary.scheduleId).describe();
    const lastAction = description.info.recentActions.at(-1);
    let lastResult = '-';
    if (lastAction) {
      const run = session.client.workflow.getHandle(
        lastAction.action.workflow.workflowId,
        lastAction.action.workflow.firstExecutionRunId,
      );
      lastResult = (await run.describe().catch(() => undefined))?.status.name.toLowerCase() ?? 'unknown';
    }
    rows.push({
      id: summary.scheduleId,
      spec: appliedCron(description)?.cron ?? '(not set by lifeboat apply)',
      timezone: appliedCron(description)?.timezone ?? description.spec.timezone ?? 'UTC',
      paused: description.state.paused,
      note: description.state.note ?? '',
      lastRun: lastAction?.takenAt.toISOString(),
      lastResult,
      nextRun: description.info.nextActionTimes[0]?.toISOString(),
    });
  }
  return rows;
}

/** `lifeboat schedules [list]` (schedules.ts registers it). */
export async function runListSchedules(opts: { output: string }): Promise<void> {
  await withTemporal(async (session) => {
    const rows = await describeAll(session);
    if (opts.output === 'json') return printJson(rows);
    if (rows.length === 0)
      return console.log('No Lifeboat schedules. Create them with `lifeboat apply -f lifeboat.yaml`.');
    console.log(
      table(
        ['schedule', 'cron', 'paused', 'last run', 'last result', 'next run'],
        rows.map((r) => [
          r.id,
          `${r.spec} ${r.timezone}`,
          r.paused ? `yes${r.note ? ` (${r.note})` : ''}` : 'no',
          r.lastRun ? `${humanAge(new Date(r.lastRun))} ago` : '-',
          r.lastResult,
          r.nextRun ? r.nextRun.replace('.000Z', 'Z') : '-',
        ]),
      ),
    );
  });
}

/** `lifeboat schedules pause|resume` (schedules.ts registers them). */
export async function runPauseOrResume(
  verb: 'pause' | 'resume',
  target: string,
  opts: { note: string },
): Promise<void> {
  const id = scheduleId(target);
  await withTemporal(async ({ client }) => {
    const handle = client.schedule.getHandle(id);
    try {
      if (verb === 'pause') await handle.pause(opts.note);
      else {
        await handle.unpause(opts.note);
        // A hub backup schedule paused on a collision says so in a search attribute; resuming clears it.
        await handle.update((previous) => ({
          ...previous,
          typedSearchAttributes: previous.typedSearchAttributes.updateCopy([{ key: LifeboatPaused, value: null }]),
        }));
      }
    } catch (err) {
      if (err instanceof ScheduleNotFoundError)
        throw new CliError(`No schedule ${id}; see \`lifeboat schedules\`.`, ExitCode.BadInput);
      throw err;
    }
    console.log(`${id} ${verb}d.`);
  });
}

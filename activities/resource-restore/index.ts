import { PutObjectCommand } from '@aws-sdk/client-s3';
import { resourceRestoreRecordKey } from '../../core/layout.js';
import type { PlannedRestore, ResourceRestoreRequest, StepReport } from '../../core/resources/restore-run.js';
import { addOutcomes, restoreOutcome, zeroOutcomes } from '../../core/resources/restore-run.js';
import { findLocation } from '../config-lookup.js';
import type { ActivityDeps } from '../deps.js';
import { withS3 } from '../storage/s3.js';
import { createPlanActivities } from './plan.js';
import { createPreflightActivities } from './preflight.js';
import { createStepActivities } from './step.js';

/** The restore's record: what was asked, the plan, what each step did. Written last, beside the steps' item files. */
export interface RecordInput {
  request: ResourceRestoreRequest;
  planned: Omit<PlannedRestore, 'discovery'>;
  reports: StepReport[];
  startedAt: string;
  completedAt: string;
}

export function createResourceRestoreActivities(deps: ActivityDeps) {
  return {
    ...createPlanActivities(deps),
    ...createPreflightActivities(deps),
    ...createStepActivities(deps),
    /** Writes lifeboat-restore.json (idempotent: the same content on a retry). */
    async recordResourceRestore(input: RecordInput): Promise<string> {
      const { planned } = input;
      const location = findLocation(deps, planned.results!.location);
      const key = resourceRestoreRecordKey(location.prefix, planned.target, planned.restore);
      const counts = input.reports.reduce((all, r) => addOutcomes(all, r.counts), zeroOutcomes());
      const record = {
        kind: 'lifeboat.dev/ResourceRestore',
        formatVersion: 1,
        restore: planned.restore,
        target: planned.target,
        source: planned.source,
        requestedBy: input.request.requestedBy,
        requestedAt: input.request.requestedAt,
        options: input.request.options,
        startedAt: input.startedAt,
        completedAt: input.completedAt,
        outcome: restoreOutcome(counts),
        counts,
        plan: planned.steps,
        skipped: planned.skipped,
        warnings: planned.warnings,
        steps: input.reports,
      };
      await withS3(deps, location, (s3) =>
        s3.send(
          new PutObjectCommand({
            Bucket: location.bucket,
            Key: key,
            Body: `${JSON.stringify(record, null, 2)}\n`,
            ContentType: 'application/json',
          }),
        ),
      );
      return key;
    },
  };
}

import { parseDocument } from 'yaml';
import type { z } from 'zod';
import type { ConfigIssue } from './issues.js';
import { expandBackupSchedules, type ReadReference } from '../acm/backup-schedule.js';
import { referenceIssues } from './references.js';
import { configSchema, type LifeboatConfig } from './schema.js';

export type { ConfigIssue } from './issues.js';

export type ConfigResult = { ok: true; config: LifeboatConfig } | { ok: false; issues: ConfigIssue[] };

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)),
    '',
  );
}

function fromZod(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'unrecognized_keys')
      message = `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove or fix the spelling`;
    else if (issue.code === 'invalid_type' && issue.input === undefined) message = 'is required';
    return { path: formatPath(issue.path), message };
  });
}

/**
 * Without a file to read from (a config given as text), an `acmBackups[].backupSchedule` reference cannot be
 * followed: say so instead of validating the policy without its schedule.
 */
const noFiles: ReadReference = () => ({
  ok: false,
  error: 'this config was not loaded from a file, so files it names cannot be read',
});

/**
 * Validates an already-parsed document; reports every problem at once, type and reference errors alike. `read` loads
 * the files the document names (ACM BackupSchedule manifests), relative to it.
 */
export function validateConfig(raw: unknown, read: ReadReference = noFiles): ConfigResult {
  const { document, issues: referenced } = expandBackupSchedules(raw, read);
  const result = configSchema.safeParse(document, { reportInput: true });
  const issues = [...referenced, ...(result.success ? [] : fromZod(result.error)), ...referenceIssues(document)];
  return result.success && issues.length === 0 ? { ok: true, config: result.data } : { ok: false, issues };
}

/** Parses lifeboat.yaml text: YAML syntax errors carry line and column, schema errors carry their path. */
export function parseConfig(text: string, read?: ReadReference): ConfigResult {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '',
        message: e.message.split('\n')[0] ?? e.message,
      })),
    };
  }
  return validateConfig(doc.toJS(), read);
}

export function formatIssues(issues: ConfigIssue[]): string {
  return issues.map((i) => `  - ${i.path || '(document)'}: ${i.message}`).join('\n');
}

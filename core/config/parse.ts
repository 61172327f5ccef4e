import { parseDocument } from 'yaml';
import type { z } from 'zod';
import type { ConfigIssue } from './issues.js';
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

/** Validates an already-parsed document; reports every problem at once, type and reference errors alike. */
export function validateConfig(document: unknown): ConfigResult {
  const result = configSchema.safeParse(document, { reportInput: true });
  const issues = [...(result.success ? [] : fromZod(result.error)), ...referenceIssues(document)];
  return result.success && issues.length === 0 ? { ok: true, config: result.data } : { ok: false, issues };
}

/** Parses lifeboat.yaml text: YAML syntax errors carry line and column, schema errors carry their path. */
export function parseConfig(text: string): ConfigResult {
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
  return validateConfig(doc.toJS());
}

export function formatIssues(issues: ConfigIssue[]): string {
  return issues.map((i) => `  - ${i.path || '(document)'}: ${i.message}`).join('\n');
}

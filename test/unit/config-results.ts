import { expect } from 'vitest';
import { type ConfigIssue, type ConfigResult, formatIssues } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';

/** The config a result holds (fails, listing the issues, when it is not valid). */
export function configOf(result: ConfigResult): LifeboatConfig {
  if (!result.ok) throw new Error(`expected a valid config, got:\n${formatIssues(result.issues)}`);
  return result.config;
}

/** The issues a result reports (fails when the config is valid). */
export function issuesOf(result: ConfigResult): ConfigIssue[] {
  if (result.ok) throw new Error('expected issues, got a valid config');
  return result.issues;
}

/** The single issue a result reports (fails when there is not exactly one). */
export function onlyIssue(result: ConfigResult): ConfigIssue {
  const issues = issuesOf(result);
  expect(issues).toHaveLength(1);
  return issues[0]!;
}

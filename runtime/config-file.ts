import { readFileSync } from 'node:fs';
import { formatIssues, parseConfig } from '../core/config/parse.js';
import type { LifeboatConfig } from '../core/config/schema.js';

export class ConfigFileError extends Error {
  override name = 'ConfigFileError';
}

/** Reads and validates lifeboat.yaml; every problem is listed with its path. */
export function loadConfigFile(path: string): LifeboatConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigFileError(
      `Cannot read config file ${path} (${(err as NodeJS.ErrnoException).code}). Pass the path with -f/--file or LIFEBOAT_CONFIG.`,
    );
  }
  const result = parseConfig(text);
  if (!result.ok) {
    throw new ConfigFileError(
      `${path} is not valid (${result.issues.length} problem(s)):\n${formatIssues(result.issues)}`,
    );
  }
  return result.config;
}

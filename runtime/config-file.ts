import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ReadReference } from '../core/acm/backup-schedule.js';
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
  const result = parseConfig(text, referencedFileReader(dirname(path)));
  if (!result.ok) {
    throw new ConfigFileError(
      `${path} is not valid (${result.issues.length} problem(s)):\n${formatIssues(result.issues)}`,
    );
  }
  return result.config;
}

/** Files lifeboat.yaml names (ACM BackupSchedule manifests), read relative to it. */
function referencedFileReader(baseDir: string): ReadReference {
  return (file) => {
    let text: string;
    try {
      text = readFileSync(resolve(baseDir, file), 'utf8');
    } catch (err) {
      return { ok: false, error: `${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
    try {
      return { ok: true, document: parseYaml(text) as unknown };
    } catch (err) {
      return { ok: false, error: `not valid YAML (${(err as Error).message.split('\n')[0]})` };
    }
  };
}

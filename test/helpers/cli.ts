import { execFile } from 'node:child_process';
import { repoRoot } from '../../build/repo-root.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the lifeboat CLI as a separate process, exactly as a user would. */
export function lifeboat(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'client/cli.ts', ...args],
      {
        cwd: repoRoot,
        env: { ...process.env, ...env },
        timeout: 120_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

import { ESLint } from 'eslint';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The sandbox rule is a guard rail: prove that it fires where it must and stays quiet where Node is allowed.
// Type-aware rules need files the TypeScript project knows, so each case writes a short-lived file in the real folder.
const eslint = new ESLint({ cwd: process.cwd() });
// The first lint builds the whole TypeScript program: seconds, more on a busy machine.
const LINT_TIMEOUT = 60_000;

async function lint(code: string, filePath: string): Promise<ESLint.LintResult> {
  const path = join(dirname(filePath), `lint-fixture-${randomUUID().slice(0, 8)}.ts`);
  writeFileSync(path, code);
  try {
    const [result] = await eslint.lintFiles([path]);
    return result!;
  } finally {
    rmSync(path, { force: true });
  }
}

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  return (await lint(code, filePath)).messages.map((m) => m.ruleId ?? m.message);
}

describe('lint: no Node built-ins in workflows/ and core/', { timeout: LINT_TIMEOUT }, () => {
  it.each([
    ['workflows/example.ts', "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n"],
    ['workflows/example.ts', "import { createHash } from 'crypto';\nexport const h = createHash;\n"],
    ['core/example.ts', "import { join } from 'node:path';\nexport const j = join;\n"],
    ['core/config/example.ts', "import os from 'os';\nexport const o = os;\n"],
  ])('rejects a built-in import in %s', async (filePath, code) => {
    expect(await ruleIds(code, filePath)).toContain('no-restricted-imports');
  });

  it('allows Node built-ins in activities/', async () => {
    const code = "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n";
    // No message at all, not merely not this rule: a file that fails to parse gets one fatal message and no rule
    // runs on it, which "does not contain no-restricted-imports" would accept.
    const result = await lint(code, 'activities/example.ts');
    expect(result.fatalErrorCount).toBe(0);
    expect(result.messages.map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`)).toEqual([]);
  });
});

describe('lint: no floating promises', { timeout: LINT_TIMEOUT }, () => {
  it('rejects a promise that is neither awaited nor handled', async () => {
    const code = 'async function work(): Promise<void> {}\nexport function run(): void {\n  work();\n}\n';
    expect(await ruleIds(code, 'activities/example.ts')).toContain('@typescript-eslint/no-floating-promises');
  });
});

describe('lint: the layers hold', { timeout: LINT_TIMEOUT }, () => {
  const rule = '@typescript-eslint/no-restricted-imports';
  it.each([
    ['core/example.ts', "import { kubeFor } from '../activities/kube.js';\nexport const k = kubeFor;\n"],
    [
      'core/config/example.ts',
      "import { DEFAULT_TEMPORAL_ADDRESS } from '../../runtime/temporal-connection.js';\nexport const a = DEFAULT_TEMPORAL_ADDRESS;\n",
    ],
    [
      'activities/example.ts',
      "import type { EtcdRestoreProgress } from '../workflows/etcd-restore-api.js';\nexport type P = EtcdRestoreProgress;\n",
    ],
    ['activities/example.ts', "import { table } from '../client/output.js';\nexport const t = table;\n"],
    [
      'workflows/example.ts',
      "import { createActivities } from '../activities/index.js';\nexport const c = createActivities;\n",
    ],
    ['build/example.ts', "import { freePort } from '../devstack/ports.js';\nexport const f = freePort;\n"],
  ])('rejects a layer-crossing import in %s', async (filePath, code) => {
    expect(await ruleIds(code, filePath)).toContain(rule);
  });

  it.each([
    [
      'workflows/example.ts',
      "import type { Activities } from '../activities/index.js';\nexport type A = Activities;\n",
    ],
    ['core/config/example.ts', "import { TASK_QUEUE } from '../naming.js';\nexport const q = TASK_QUEUE;\n"],
    ['activities/example.ts', "import { TASK_QUEUE } from '../core/naming.js';\nexport const q = TASK_QUEUE;\n"],
  ])('allows an import within the layers in %s', async (filePath, code) => {
    expect(await ruleIds(code, filePath)).toEqual([]);
  });
});

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

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const path = join(dirname(filePath), `lint-fixture-${randomUUID().slice(0, 8)}.ts`);
  writeFileSync(path, code);
  try {
    const [result] = await eslint.lintFiles([path]);
    return result!.messages.map((m) => m.ruleId ?? m.message);
  } finally {
    rmSync(path, { force: true });
  }
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
    expect(await ruleIds(code, 'activities/example.ts')).not.toContain('no-restricted-imports');
  });
});

describe('lint: no floating promises', { timeout: LINT_TIMEOUT }, () => {
  it('rejects a promise that is neither awaited nor handled', async () => {
    const code = 'async function work(): Promise<void> {}\nexport function run(): void {\n  work();\n}\n';
    expect(await ruleIds(code, 'activities/example.ts')).toContain('@typescript-eslint/no-floating-promises');
  });
});

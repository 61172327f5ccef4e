import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../../build/repo-root.js';
import { VERSION } from '../../client/version.js';

it("lifeboat --version prints package.json's version", () => {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  expect(VERSION).toBe(manifest.version);
});

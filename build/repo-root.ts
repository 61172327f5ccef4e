import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root directory, for the dev stack, the build, tests and benches (never for the built worker). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Workflow code runs in Temporal's deterministic sandbox and core/ must stay pure, so neither may reach for Node.
const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const sandboxRestrictions = {
  'no-restricted-imports': [
    'error',
    {
      paths: nodeBuiltins.map((name) => ({
        name,
        message: 'workflows/ and core/ must be deterministic and I/O-free: move this to activities/ or devstack/.',
      })),
    },
  ],
};

// The layers (what may import what), so they hold by themselves: core/ is pure and imports nothing of the project
// outside core/; activities/ never reach for workflows/ or client/; workflows/ take activities as types only (the
// SDK's proxy runs them); the production build does not depend on the dev stack.
const outside = (dirs) => `^(\\.\\./)+(${dirs.join('|')})/`;
const layer = (message, dirs, allowTypeImports = false) => ({
  '@typescript-eslint/no-restricted-imports': [
    'error',
    { patterns: [{ regex: outside(dirs), message, ...(allowTypeImports ? { allowTypeImports: true } : {}) }] },
  ],
});
const projectDirs = ['activities', 'workflows', 'client', 'worker', 'runtime', 'devstack', 'build', 'bench', 'test'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.lifeboat/**', 'client/bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['workflows/**/*.ts', 'core/**/*.ts'], rules: sandboxRestrictions },
  {
    files: ['core/**/*.ts'],
    rules: layer('core/ is the pure center: it imports nothing of the project outside core/.', projectDirs),
  },
  {
    files: ['activities/**/*.ts'],
    rules: layer('activities/ must not depend on workflows/ or client/: move the shared type to core/.', [
      'workflows',
      'client',
    ]),
  },
  {
    files: ['workflows/**/*.ts'],
    rules: layer(
      'workflows/ import activities as types only (import type ...): the sandbox runs them through proxyActivities.',
      ['activities'],
      true,
    ),
  },
  {
    files: ['build/**/*.ts'],
    rules: layer('the production build must not depend on the dev stack.', ['devstack', 'test', 'bench']),
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);

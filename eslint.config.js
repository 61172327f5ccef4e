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
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);

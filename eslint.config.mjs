import { builtinModules } from 'node:module';
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.data/',
      '.tools/',
      'test-artifacts/',
      'coverage/',
      'dist/',
      'jest.config.js',
      'test/closing-line-reporter.js',
      'eslint.config.mjs',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/consistent-type-definitions': ['error', 'type'],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The workspace's one browser script: plain JavaScript, served as it is.
    files: ['api/workspace/assets/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      sourceType: 'script',
      parserOptions: { projectService: false },
      globals: { document: 'readonly', setTimeout: 'readonly', window: 'readonly' },
    },
  },
  {
    // Workflow code must be deterministic: the sandbox replays it. Activity types only, no I/O, no environment.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Node built-ins are not allowed in workflow code.' })),
            { name: '@prisma/client', message: 'Workflows reach the database through activities.' },
            { name: 'nodemailer', message: 'Workflows send email through activities.' },
            { name: 'pg', message: 'Workflows reach the database through activities.' },
            { name: '@temporalio/client', message: 'Use @temporalio/workflow inside workflows.' },
            { name: '@temporalio/worker', message: 'Use @temporalio/workflow inside workflows.' },
          ],
          patterns: [
            {
              group: ['**/prisma/**', '**/api/**', '**/worker/**', '**/config/**'],
              message: 'Workflows may not import I/O modules.',
            },
            {
              group: ['**/activities', '**/activities/**'],
              allowTypeImports: true,
              message: 'Workflows import activity types only.',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Workflows get their configuration as input, not from process.env.',
        },
        { object: 'Math', property: 'random', message: 'Use uuid4() from @temporalio/workflow for ids.' },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'No process in workflow code.' },
        { name: 'require', message: 'Import modules statically.' },
        { name: 'fetch', message: 'Workflows do I/O through activities.' },
      ],
    },
  },
);

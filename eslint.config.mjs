// Type-aware linting (see ../shared/STYLE.md "Lint and format"): the rules that matter most here
// are no-floating-promises, no-misused-promises (an async function handed to node.on) and the
// no-unsafe-* family.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // scripts/console/public: plain browser JavaScript of the demo console (no TS project for the DOM).
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.demo/**',
      '.compat/**',
      'test-output/**',
      'scripts/*.js',
      'scripts/console/public/**',
      'eslint.config.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['nodes/*.ts'],
    rules: {
      // Node-RED constructors are plain functions: `this` is the node, and callbacks need it.
      '@typescript-eslint/no-this-alias': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // node:test's describe/it return promises the runner awaits itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test'] }] },
      ],
    },
  },
);

// Type-aware lint. no-floating-promises is an error: an unawaited promise in a
// Kafka eachBatch handler or a BullMQ processor is a data-loss bug.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { tierBoundaries } from './infra/lint/tier-boundaries.js';

export default tseslint.config(
  { ignores: ['node_modules/**', '.state/**', 'dist/**', 'coverage/**'] },
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
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  ...tierBoundaries,
);

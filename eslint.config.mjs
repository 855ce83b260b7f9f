// Flat config: typescript-eslint's recommended rules, plus the few that catch real bugs in Nest code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', '.cache/**', '**/*.cjs', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Tests poke at JSON answers; typing every body would add noise, not safety.
    files: ['test/**/*.ts', '**/*.spec.ts', 'libs/stripe-emulator/test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The emulator stores and reshapes loosely-typed Stripe JSON by design; flagged, not fatal.
    files: ['libs/stripe-emulator/src/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'warn' },
  },
  {
    // The checkout page's script runs in the browser, as plain JavaScript (no bundler).
    files: ['src/checkout/public/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'history', 'fetch', 'URLSearchParams', 'setTimeout', 'Intl'].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['libs/stripe-emulator/src/cli.ts', 'bench/**/*.ts', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
);

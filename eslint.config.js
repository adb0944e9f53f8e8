// Lint: typescript-eslint's recommended rules plus the house rules from STYLE.md.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', 'coverage/', 'bundles/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts'],
    rules: {
      // Logging goes through the injected pino logger; only the CLI writes to the terminal.
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/cli/**/*.ts', 'bench/**', 'scripts/**', 'examples/**'], rules: { 'no-console': 'off' } },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The nginx gateway's njs module: an ES module run by njs 0.7.9, whose globals are ngx and Buffer, and which
    // has no optional catch binding (`catch {`), so a catch names an error it may not use.
    files: ['integrations/nginx/*.js'],
    languageOptions: { sourceType: 'module', globals: { ngx: 'readonly', Buffer: 'readonly' } },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { caughtErrors: 'none' }] },
  },
);

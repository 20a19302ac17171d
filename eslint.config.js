import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'bench-results/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Browser pages (demo EHR, SMART app): plain JavaScript modules run by the browser.
    files: ['src/sandbox/ehr-ui/**/*.js', 'src/smart-app/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', crypto: 'readonly', Option: 'readonly', URL: 'readonly', URLSearchParams: 'readonly', FHIR: 'readonly', console: 'readonly', sessionStorage: 'readonly', atob: 'readonly' },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
);

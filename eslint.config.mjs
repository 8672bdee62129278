// Type-checked lint for the whole monorepo. The import bans keep the layers honest: contracts and
// domain stay framework-free, the platform (the shell) imports none of the libs it serves, libs never
// import apps, and apps never reach into each other (the embedded standalone app is the one
// composition root allowed to assemble them).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const frameworkBans = ['@nestjs/*', 'typeorm', 'kafkajs', 'pg', 'socket.io', 'socket.io-client'].map(
  (group) => ({
    group: [group],
    message: 'libs/contracts and libs/domain are pure: no framework or I/O imports.',
  }),
);
const deepImportBan = {
  group: ['**/libs/**'],
  message: 'Import libs through their @feedwerk/* alias, not by relative paths.',
};
const appsBan = {
  group: ['**/apps/**'],
  message: 'Libs do not import apps: an app composes the libs, never the other way.',
};
const platformBan = {
  group: ['@feedwerk/*', '!@feedwerk/platform'],
  message:
    'The platform imports none of the libs it serves: a lib exports its schema, error mapping or module, and the apps compose them.',
};
const APPS = ['api', 'relay', 'projector', 'ticker', 'admin', 'standalone'];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'data/**',
      '.infra/**',
      '.faults/**',
      'apps/*/public/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      'no-restricted-imports': ['error', { patterns: [deepImportBan] }],
    },
  },
  {
    // Nest resolves constructor parameters from emitted decorator metadata: a type-only import would
    // erase the class and break injection, so value imports are required in injectable classes.
    files: ['apps/**/*.ts', 'libs/**/*.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    files: ['libs/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [deepImportBan, appsBan] }] },
  },
  {
    files: ['libs/platform/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [deepImportBan, appsBan, platformBan] }] },
  },
  {
    files: ['libs/contracts/**/*.ts', 'libs/domain/**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-imports': ['error', { patterns: [deepImportBan, appsBan, ...frameworkBans] }],
    },
  },
  // Every app but the standalone one, which assembles them all.
  ...APPS.filter((app) => app !== 'standalone').map((app) => ({
    files: [`apps/${app}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            deepImportBan,
            {
              group: APPS.filter((other) => other !== app).map((other) => `**/${other}/src/**`),
              message: 'Apps do not import each other.',
            },
          ],
        },
      ],
    },
  })),
  {
    // The admin page's script runs in the browser (bundled by scripts/build-admin-page.mjs).
    files: ['apps/admin/page/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // The reference consumer is what an external team would write: kafkajs and the public contract
    // (docs), no Feedwerk code. Its tests may publish through Feedwerk's own encoder.
    files: ['apps/analytics-example/**/*.ts'],
    ignores: ['**/*.int-spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@feedwerk/*', '**/libs/**'], message: 'analytics-example uses no Feedwerk code.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', 'test/**/*.ts', 'libs/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // jest's asymmetric matchers (expect.any, ...) are typed `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { ...globals.node },
      sourceType: 'module',
    },
  },
  {
    files: ['jest.config.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

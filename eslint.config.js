import tseslint from 'typescript-eslint';

const impure = {
  patterns: [
    { group: ['node:*', 'fs', 'child_process', 'net', 'os', 'path', 'dgram', 'http'], message: 'domain/ and projections/ are pure: no I/O modules.' },
    { group: ['@nats-io/*', 'execa', 'pino'], message: 'domain/ and projections/ are pure: no NATS, no processes, no logging.' },
    { group: ['**/adapters/**', '**/src/**'], message: 'domain/ and projections/ import nothing from adapters/ or src/.' },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['domain/**/*.ts', 'projections/**/*.ts'], rules: { 'no-restricted-imports': ['error', impure] } },
);

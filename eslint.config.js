// Lint: typescript-eslint's recommended rules, plus the project's boundary rules
// (CONVENTIONS 2 and 4): pure cores import no adapter, only config modules read process.env.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ADAPTERS = ['kafkajs', '@clickhouse/client', 'ioredis', 'node:fs', 'node:net', 'node:http', 'node:child_process', '**/lib/kafka.js', '**/lib/clickhouse.js', '**/lib/redis.js'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', '.run/**', 'bin/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read env only in a config module (CONVENTIONS 4).' }],
    },
  },
  {
    files: ['**/config.ts', '**/main.ts', 'test/**', 'bench/**', '**/*.test.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['**/*.test.ts', 'test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Pure cores: no I/O adapters.
    files: ['services/model/**/*.ts', 'services/graph/core/**/*.ts', 'services/monitor/core/**/*.ts', 'services/ingest/process.ts', 'services/ingest/rows.ts'],
    ignores: ['**/*.test.ts', 'services/model/write-fixtures.ts', 'services/model/codec.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ADAPTERS.map((group) => ({ group: [group], message: 'pure core: no I/O here (CONVENTIONS 2)' })) }] },
  },
);

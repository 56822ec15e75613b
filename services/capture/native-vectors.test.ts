/**
 * Shared test vectors of the native launcher (services/capture/native, Go) and the Node wrapper:
 * options parsing, environment selection and redaction, and path globs. The expected values are
 * what the TypeScript side (and picomatch) computes; this test fails when they change, and
 * `go test` in services/capture/native checks the Go ports against the same files. After a
 * deliberate change: UPDATE_VECTORS=1 npx vitest run services/capture/native-vectors.test.ts,
 * then port the change to Go.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { parseRunArgs } from './core/options.js';
import { DEFAULT_ENV_SELECTION, selectEnvironment } from './core/environment.js';

const DIR = join(import.meta.dirname, 'native', 'testdata');
const update = process.env['UPDATE_VECTORS'] === '1';

function check<T>(file: string, computed: T): void {
  const path = join(DIR, file);
  if (update) writeFileSync(path, JSON.stringify(computed, null, 1) + '\n');
  expect(computed).toEqual(JSON.parse(readFileSync(path, 'utf8')));
}

const ARGS: string[][] = [
  ['--', 'python', 'train.py', '--lr', '0.1'],
  ['python', 'train.py'],
  ['--in', 'data/*.csv', '--in=b.csv', '--out', 'models/**', '--', 'sh', '-c', 'x'],
  ['--agent', 'Alice', '--project=p1', '--name', 'n', '--param', 'a=1', '--param=b=x=y', 'cmd'],
  ['--param', 'novalue', 'cmd'],
  ['--param', '=v', 'cmd'],
  ['-q', '--no-scan', '--ignore', 'tmp/**', '--env', 'AWS_*', '--config', 'c.yaml', 'cmd', '--in', 'x'],
  ['--quiet=1', 'cmd'],
  ['--wait', '--flush-timeout', '300', 'cmd'],
  ['--flush-timeout', 'abc', 'cmd'],
  ['--metric-regex', 'a=(?<a>\\d)', '--metric-stream', 'stdout', '--metric-jsonl', 'cmd'],
  ['--metric-stream', 'sideways', 'cmd'],
  ['--no-such-flag', 'cmd'],
  ['-x', 'cmd'],
  ['-in', 'x', 'cmd'],
  ['--in'],
  ['--help'],
  ['-h', 'cmd'],
  [],
  ['--'],
  ['--name', 'multi\nline', '--', '--weird', '-'],
  ['-', 'cmd'],
  ['--Agent', 'x', 'cmd'],
  ['./script.sh', '--agent', 'inside'],
];

const ENVS: Array<{ env: Record<string, string>; selection: string[]; extra: string[] }> = [
  {
    env: {
      USER: 'alice', HOME: '/home/alice', PWD: '/w', OLDPWD: '/v', LANG: 'C.UTF-8', PROVSTREAM_PROJECT: 'p', PROVSTREAM_TOKEN: 't0k',
      AWS_REGION: 'eu-west-1', AWS_SECRET_ACCESS_KEY: 's3cr3t', awsSecretAccessKey: 'x', GHTOKEN: 'g', MYAPIKEY: 'k', DATABASE_URL: 'postgres://u:pw@db:5432/x',
      REDIS_URL: 'redis://:only-pw@h', PLAIN_URL: 'https://example.com/a:b@c', HF_HOME: '/hf', HF_SIGNING_SALT: 'z', MY_SIGNING: 'q', KEYBOARD: 'us',
      SESSION_ID: '1', NODE_ENV: 'test', CI: 'true', X1Y: 'multi\nline value with postgres://a:b@c',
    },
    selection: [...DEFAULT_ENV_SELECTION, 'AWS_*', 'DATABASE_URL', 'REDIS_URL', 'PLAIN_URL', 'HF_*', 'MY_?IGNING', 'KEY*', 'SESSION_ID', 'X?Y', 'PWD', 'OLDPWD', 'awsSecretAccessKey', 'GHTOKEN', 'MYAPIKEY'],
    extra: ['signing'],
  },
  { env: { USER: 'bob', 'A.B': 'dots', 'A+B': 'plus' }, selection: ['A.B', 'A+B', 'USER'], extra: [] },
  { env: { USER: 'bob' }, selection: [], extra: [] },
];

const GLOBS = ['*.log', 'tmp/**', '**/x', 'a/**/b', 'a/*', '*', '**', 'data/*.csv', 'a?c', 'a/*/c', '**/*.csv', 'models/**/*.bin', '.spill/**', 'x/**/y/**/z'];
const PATHS = [
  'a.log', '.x.log', 'dir/a.log', 'tmp', 'tmp/a', 'tmp/a/b', 'x', 'p/q/x', 'xx', 'a/b', 'a/x/b', 'a/x/y/b', 'a/.b', 'a', 'a/b/c',
  'data/a.csv', 'data/sub/a.csv', 'abc', 'a/c', 'aXc', 'a/bb/c', 'c.csv', 'models/m.bin', 'models/v1/m.bin', '.spill/run/x',
  'x/y/z', 'x/1/y/2/z', 'x/z', 'é.log', 'aéc',
];

describe('native launcher vectors (testdata/*.json)', () => {
  it('options: the same parse as core/options.ts', () => {
    check(
      'options.json',
      ARGS.map((args) => {
        const r = parseRunArgs(args);
        if (!r.ok) return { args, ok: false };
        const o = r.options;
        return {
          args, ok: true,
          options: {
            command: o.command, inputs: o.inputs, outputs: o.outputs, agent: o.agent, project: o.project, name: o.name, params: o.params, env: o.env,
            metricRegex: o.metricRegex, metricJsonl: o.metricJsonl, metricStream: o.metricStream, ignore: o.ignore, scan: o.scan, config: o.config,
            wait: o.wait, quiet: o.quiet, help: o.help, flushTimeout: o.flushTimeoutMs !== null,
          },
        };
      }),
    );
  });

  it('environment: the same selection and redaction as core/environment.ts', () => {
    check('env.json', ENVS.map((c) => ({ ...c, expect: selectEnvironment(c.env, c.selection, c.extra) })));
  });

  it('globs: what picomatch (dot: true) says, for the subset the launcher implements', () => {
    check('globs.json', GLOBS.flatMap((glob) => {
      const m = picomatch(glob, { dot: true });
      return PATHS.map((path) => ({ glob, path, match: m(path) }));
    }));
  });
});

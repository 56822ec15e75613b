import { describe, expect, it } from 'vitest';
import { isSecretName, redactUrlCredentials, selectEnvironment, REDACTED } from './environment.js';

describe('isSecretName', () => {
  const secret = [
    'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'GITHUB_TOKEN', 'GHTOKEN', 'NPM_AUTH_TOKEN', 'DB_PASSWORD', 'PGPASSWORD',
    'MYSQL_PWD', 'OPENAI_API_KEY', 'MYAPIKEY', 'api_key', 'stripeSecret', 'SESSION_COOKIE', 'GOOGLE_APPLICATION_CREDENTIALS',
    'DOCKER_PASS', 'PRIVATE_KEY_PATH', 'SENTRY_DSN', 'JWT_SIGNING_SALT', 'PROVSTREAM_TOKEN', 'HF_TOKEN',
  ];
  const plain = ['PATH', 'PWD', 'OLDPWD', 'HOME', 'KEYBOARD_LAYOUT', 'MONKEY', 'CUDA_VISIBLE_DEVICES', 'PROVSTREAM_AGENT', 'LANG', 'TOKENIZERS_PARALLELISM_X'];
  for (const n of secret) it(`${n} is secret`, () => expect(isSecretName(n)).toBe(true));
  for (const n of plain.slice(0, -1)) it(`${n} is not secret`, () => expect(isSecretName(n)).toBe(false));
  it('infix TOKEN is treated as secret (conservative)', () => expect(isSecretName('TOKENIZERS_PARALLELISM_X')).toBe(true));
  it('extra words from the project config', () => {
    expect(isSecretName('SIGNING_MATERIAL')).toBe(false);
    expect(isSecretName('SIGNING_MATERIAL', ['signing'])).toBe(true);
  });
});

describe('redactUrlCredentials', () => {
  const cases: Array<[string, string]> = [
    ['postgres://alice:s3cret@db:5432/x', `postgres://alice:${REDACTED}@db:5432/x`],
    ['https://user:p%40ss@host/path?q=1', `https://user:${REDACTED}@host/path?q=1`],
    ['https://host/path', 'https://host/path'],
    ['redis://:pw@localhost:6379', `redis://:${REDACTED}@localhost:6379`],
    ['a=b c=d', 'a=b c=d'],
  ];
  for (const [v, want] of cases) it(v, () => expect(redactUrlCredentials(v)).toBe(want));
});

describe('selectEnvironment', () => {
  const env = { USER: 'alice', PATH: '/bin', AWS_REGION: 'eu', AWS_SECRET_ACCESS_KEY: 'xyz', DATABASE_URL: 'postgres://a:b@h/d', PROVSTREAM_TOKEN: 't', PROVSTREAM_AGENT: 'bob', UNSET: undefined };
  it('records only the selection, redacts secret names and URL passwords, sorts', () => {
    const got = selectEnvironment(env, ['USER', 'AWS_*', 'DATABASE_URL', 'PROVSTREAM_*', 'UNSET']);
    expect(got).toEqual({ AWS_REGION: 'eu', AWS_SECRET_ACCESS_KEY: REDACTED, DATABASE_URL: `postgres://a:${REDACTED}@h/d`, PROVSTREAM_AGENT: 'bob', PROVSTREAM_TOKEN: REDACTED, USER: 'alice' });
    expect(Object.keys(got)).toEqual(Object.keys(got).sort());
    expect(JSON.stringify(got)).not.toMatch(/xyz|:b@|"t"/);
  });
  it('globs are anchored', () => expect(selectEnvironment(env, ['AWS'])).toEqual({}));
});

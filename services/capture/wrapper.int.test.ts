/**
 * The wrapper process itself (compiled; through both launchers, bin/provstream and
 * bin/provstream.js, see test/run-wrapper.ts): the wrapped command must
 * behave exactly as without it — the same stdout/stderr bytes, exit code, signal — in both
 * stream modes (inherited, and piped for metric extractors), when signals are forwarded, and
 * when the wrapper's side fails (Kafka unreachable, bad config, bad environment).
 * The provenance it records is checked in ClickHouse by test/e2e/capture.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAUNCHERS, removeTempProjects, runProcess, runWrapped, tempProject, withoutWarnings, wrapperArgv } from '../../test/run-wrapper.js';
import type { Finished, Launcher, RunOpts } from '../../test/run-wrapper.js';
import { ROOT, waitFor } from '../../test/helpers.js';
import { decodeEvent } from '../model/codec.js';
import type { ProvEvent } from '../model/types.js';

const SCRIPTS: Record<string, string> = {
  // Raw bytes (invalid UTF-8, NUL, CR, no final newline) on both streams, and stdin echoed back.
  'bytes.js': `
    const chunks = [];
    process.stdin.on('data', (c) => chunks.push(c));
    process.stdin.on('end', () => {
      process.stdout.write(Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a]));
      process.stdout.write('line1\\r\\nline2\\rprogress 50%\\rprogress 100%\\n');
      process.stderr.write(Buffer.from('err \\xff\\n', 'latin1'));
      process.stderr.write('loss=0.5\\n');
      process.stdout.write('stdin:' + Buffer.concat(chunks).toString('hex') + '\\nloss=0.25 no newline');
    });`,
  // 4 MiB on stdout and 1 MiB on stderr, interleaved: backpressure must keep every byte.
  'big.js': `
    const line = Buffer.alloc(1023, 'x');
    let i = 0;
    function more() {
      while (i < 4096) {
        const ok = process.stdout.write(Buffer.concat([Buffer.from(String(i % 10)), line]));
        if (i % 4 === 0) process.stderr.write(Buffer.concat([Buffer.from('e'), line]));
        i++;
        if (!ok) return process.stdout.once('drain', more);
      }
    }
    more();`,
  'fail.sh': 'echo out; echo err >&2; exit 3\n',
  'selfkill.sh': 'echo before; kill -TERM $$; echo after\n',
  'trap.js': `
    process.on('SIGTERM', () => { process.stdout.write('got SIGTERM\\n'); process.exit(7); });
    process.stdout.write('ready\\n');
    setTimeout(() => {}, 30000);`,
};

let project: { dir: string; spill: string };
let base: RunOpts;

afterAll(() => removeTempProjects());

beforeAll(() => {
  project = tempProject(SCRIPTS);
  // Kafka is deliberately unreachable here: only the command's behaviour is under test.
  base = { cwd: project.dir, env: { KAFKA_BROKERS: '127.0.0.1:9', PROVSTREAM_SPILL_DIR: project.spill, PROVSTREAM_DELIVER_TIMEOUT_MS: '300', PROVSTREAM_AGENT: 'tester' } };
});

function same(bare: Finished, wrapped: Finished): void {
  expect(wrapped.stdout.toString('hex')).toBe(bare.stdout.toString('hex'));
  expect(withoutWarnings(wrapped.stderr).toString('latin1')).toBe(bare.stderr.toString('latin1'));
  expect({ code: wrapped.code, signal: wrapped.signal }).toEqual({ code: bare.code, signal: bare.signal });
}

// The native launcher runs inherited streams itself; with extractors it hands the run to Node.
const MODES: Array<[string, string[], Launcher]> = [
  ['inherited streams, native launcher', [], 'native'],
  ['inherited streams, Node wrapper', [], 'node'],
  ['piped streams (metric extractors on)', ['--metric-regex', 'loss=(?<loss>[0-9.]+)'], 'native'],
];

const shellWords = (argv: readonly string[]) => argv.map((a) => `"${a}"`).join(' ');

describe('provstream run behaves exactly like the bare command', () => {
  for (const [mode, flags, launcher] of MODES) {
    describe(mode, () => {
      it('bytes on stdout and stderr, stdin passed through, exit 0', async () => {
        const o = { ...base, input: Buffer.from([0, 1, 2, 0xff]), launcher };
        const bare = await runProcess([process.execPath, 'bytes.js'], o);
        expect(bare.stdout.includes(Buffer.from('stdin:000102ff'))).toBe(true);
        same(bare, await runWrapped([...flags, '--', process.execPath, 'bytes.js'], o));
      });
      it('a failing command: same output, exit 3', async () => {
        const bare = await runProcess(['sh', 'fail.sh'], base);
        expect(bare.code).toBe(3);
        same(bare, await runWrapped([...flags, '--', 'sh', 'fail.sh'], { ...base, launcher }));
      });
      it('a command killed by a signal: the wrapper dies of the same signal', async () => {
        const bare = await runProcess(['sh', 'selfkill.sh'], base);
        expect(bare.signal).toBe('SIGTERM');
        same(bare, await runWrapped([...flags, '--', 'sh', 'selfkill.sh'], { ...base, launcher }));
      });
    });
  }

  it('a reader that leaves (| head): the command gets SIGPIPE, the pipeline the same status', async () => {
    const pipeline = (cmd: string) => ['bash', '-c', `set -o pipefail; ${cmd} | head -c 3`];
    for (const [launcher, flags] of [['native', ''], ['node', ''], ['node', "--metric-regex '(?<y>y)'"]] as const) {
      const bare = await runProcess(pipeline('yes'), base);
      expect(bare.code).toBe(141);
      same(bare, await runProcess(pipeline(`${shellWords(wrapperArgv(launcher))} ${flags} -- yes`), base));
    }
  });

  it('a slow reader of the output still gets every byte after the command exited', async () => {
    const wrapper = `"${process.execPath}" "${join(ROOT, 'bin', 'provstream.js')}" run --metric-jsonl --`;
    const cmd = `sh -c 'head -c 3000000 /dev/zero | tr "\\0" x'`;
    const slow = (c: string) => ['bash', '-c', `set -o pipefail; ${c} | (sleep 1; wc -c)`];
    const bare = await runProcess(slow(cmd), base);
    expect(bare.stdout.toString().trim()).toBe('3000000');
    same(bare, await runProcess(slow(`${wrapper} ${cmd}`), base));
  });

  it('a background process that keeps the piped output open does not hold the wrapper', async () => {
    const argv = ['sh', '-c', 'echo start; (sleep 8; echo late) & echo end'];
    const started = Date.now();
    const wrapped = await runWrapped(['--metric-jsonl', '--', ...argv], base);
    expect(Date.now() - started).toBeLessThan(6000); // generous: the command itself takes milliseconds
    expect({ out: wrapped.stdout.toString(), code: wrapped.code }).toEqual({ out: 'start\nend\n', code: 0 });
  });

  it('large interleaved output keeps every byte (backpressure)', async () => {
    const bare = await runProcess([process.execPath, 'big.js'], base);
    expect(bare.stdout.length).toBe(4096 * 1024);
    same(bare, await runWrapped(['--metric-regex', '^(?<x>\\d)x', '--', process.execPath, 'big.js'], base));
  });

  for (const launcher of LAUNCHERS) {
    it(`SIGTERM sent to the wrapper reaches the command, which handles it (${launcher})`, async () => {
      const o = { ...base, signalWhen: { text: 'ready', signal: 'SIGTERM' as const } };
      const bare = await runProcess([process.execPath, 'trap.js'], o);
      expect(bare.stdout.toString()).toBe('ready\ngot SIGTERM\n');
      same(bare, await runWrapped(['--', process.execPath, 'trap.js'], { ...o, launcher }));
    });

    it(`a command that does not exist: exit 127 and a message, as a shell (${launcher})`, async () => {
      const bare = await runProcess(['sh', '-c', 'no-such-command-xyz'], base);
      const wrapped = await runWrapped(['--', 'no-such-command-xyz'], { ...base, launcher });
      expect(wrapped.code).toBe(bare.code);
      expect(wrapped.code).toBe(127);
      expect(wrapped.stderr.toString()).toContain('provstream: no-such-command-xyz: command not found');
    });
  }

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    for (const [how, flags] of [['native', []], ['piped, Node', ['--metric-jsonl']]] as const) {
      it(`${signal} sent to the wrapper kills the command, and the wrapper dies of it too (${how})`, async () => {
        const o = { ...base, signalWhen: { text: 'ready', signal } };
        const bare = await runProcess(['sh', '-c', 'echo ready; exec sleep 30'], o);
        expect(bare.signal).toBe(signal);
        same(bare, await runWrapped([...flags, '--', 'sh', '-c', 'echo ready; exec sleep 30'], o));
      });
    }
  }
});

function spilledEvents(spill: string): ProvEvent[] {
  const file = join(spill, 'run', 'provstream-spill.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => decodeEvent(Buffer.from(l.split('\t')[1]!, 'base64')));
}

describe("the wrapper's failures never change the command's outcome", () => {
  it('Kafka down, --wait: a provstream: warning, the events kept in the spill dir', async () => {
    const p = tempProject({ 'fail.sh': SCRIPTS['fail.sh']! });
    const o = { ...base, cwd: p.dir, env: { ...base.env, PROVSTREAM_SPILL_DIR: p.spill } };
    const bare = await runProcess(['sh', 'fail.sh'], o);
    const wrapped = await runWrapped(['--wait', '--flush-timeout', '300', '--', 'sh', 'fail.sh'], o);
    same(bare, wrapped);
    expect(wrapped.stderr.toString()).toMatch(/^provstream: Kafka at 127\.0\.0\.1:9 did not take the events within 300 ms/m);
    const events = spilledEvents(p.spill);
    const final = events.filter((e) => e.payload.type === 'activity').map((e) => e.payload).at(-1);
    expect(final).toMatchObject({ type: 'activity', name: 'fail', status: 'FAILED', exitCode: 3, command: 'sh fail.sh' });
  });

  for (const launcher of LAUNCHERS) {
    it(`Kafka down, default: the command exits at once; the background deliverer spills later (${launcher})`, async () => {
      const p = tempProject({ 'fail.sh': SCRIPTS['fail.sh']! });
      const o = { ...base, cwd: p.dir, env: { ...base.env, PROVSTREAM_SPILL_DIR: p.spill }, launcher };
      same(await runProcess(['sh', 'fail.sh'], o), await runWrapped(['--', 'sh', 'fail.sh'], o));
      await waitFor('the deliverer to spill the events', async () => spilledEvents(p.spill).some((e) => e.payload.type === 'activity' && e.payload.status === 'FAILED'), 30_000);
      expect(readFileSync(join(p.spill, 'run', 'deliver.log'), 'utf8')).toMatch(/did not take the events/);
      // The next run says so.
      const again = await runWrapped(['--', 'true'], o);
      expect(again.code).toBe(0);
      expect(again.stderr.toString()).toMatch(/provstream: \d+ bytes of events of earlier runs still wait for Kafka \(127\.0\.0\.1:9\)/);
    });
  }

  it('a broken project config and a bad environment: warnings, same outcome; --quiet silences them', async () => {
    const p = tempProject({ 'fail.sh': SCRIPTS['fail.sh']! });
    writeFileSync(join(p.dir, '.provstream', 'config.yaml'), 'metrics: [ {regex: "(unclosed" }\n  bad: : yaml');
    const o = { ...base, cwd: p.dir, env: { ...base.env, PROVSTREAM_SPILL_DIR: p.spill, KAFKA_BROKERS: 'not a broker list' } };
    const bare = await runProcess(['sh', 'fail.sh'], o);
    const wrapped = await runWrapped(['--metric-regex', '(?<bad', '--', 'sh', 'fail.sh'], o);
    same(bare, wrapped);
    const warnings = wrapped.stderr.toString();
    expect(warnings).toMatch(/provstream: environment: KAFKA_BROKERS/);
    expect(warnings).toMatch(/provstream: config: .*config\.yaml/);
    expect(warnings).toMatch(/provstream: metric extractor metrics\[0\]: invalid regex/);
    const quiet = await runWrapped(['--quiet', '--metric-regex', '(?<bad', '--', 'sh', 'fail.sh'], o);
    expect(quiet.stderr.toString('hex')).toBe(bare.stderr.toString('hex'));
    expect(quiet.code).toBe(3);
  });

  it('usage errors of the wrapper itself stop before the command (exit 2)', async () => {
    const r = await runWrapped(['--no-such-flag', '--', 'sh', '-c', 'echo ran'], base);
    expect(r.code).toBe(2);
    expect(r.stdout.toString()).toBe('');
    expect(r.stderr.toString()).toMatch(/unknown option --no-such-flag/);
  });
});

describe('the native launcher hands to the Node wrapper exactly what it does not do itself', () => {
  const path = async (args: string[], o: RunOpts) => {
    const r = await runWrapped(args, { ...o, env: { ...o.env, PROVSTREAM_DEBUG: '1' } });
    expect(r.code).toBe(0);
    return /\[launcher\] (.*)/.exec(r.stderr.toString())?.[1] ?? 'no launcher line';
  };

  it('plain runs, declared globs of the shared subset: native; extractors, --wait, odd globs, fileviews, an uncached config: Node', async () => {
    const p = tempProject({ 'data/a.csv': 'a\n' });
    const o = { ...base, cwd: p.dir, env: { ...base.env, PROVSTREAM_SPILL_DIR: p.spill } };
    expect(await path(['--', 'true'], o)).toBe('native');
    expect(await path(['--in', 'data/*.csv', '--out', 'out/**', '--ignore', '*.tmp', '--', 'true'], o)).toBe('native');
    expect(await path(['--metric-jsonl', '--', 'true'], o)).toBe('node wrapper (metric extractors)');
    expect(await path(['--wait', '--flush-timeout', '0', '--', 'true'], o)).toBe('node wrapper (--wait)');
    expect(await path(['--in', 'data/{a,b}.csv', '--', 'true'], o)).toBe('node wrapper (globs outside the shared subset)');
    expect(await path(['--', 'true'], { ...o, env: { ...o.env, PROVSTREAM_NATIVE: 'off' } })).toBe('no launcher line');
    writeFileSync(join(p.dir, '.provstream', 'config.yaml'), 'agent: carol\nignore: ["tmp/**"]\n');
    expect(await path(['--', 'true'], o)).toBe('node wrapper (the project config is not cached yet)');
    expect(await path(['--', 'true'], o)).toBe('native'); // the Node wrapper cached it
    writeFileSync(join(p.dir, '.provstream', 'config.yaml'), 'agent: carol\nmetrics: [{jsonl: true}]\n');
    expect(await path(['--', 'true'], o)).toBe('node wrapper (the project config is not cached yet)');
    expect(await path(['--', 'true'], o)).toBe('node wrapper (metric extractors in the project config)');
    writeFileSync(join(p.dir, '.provstream', 'config.yaml'), 'agent: carol\n');
    writeFileSync(join(p.dir, '.provstream', 'fileviews.json'), '{"views": []}\n');
    await path(['--', 'true'], o);
    expect(await path(['--', 'true'], o)).toBe('node wrapper (fileviews)');
  });

  it('other subcommands go to the Node CLI with their arguments and exit code', async () => {
    const r = await runProcess([wrapperArgv('native')[0]!, 'rules', '--help'], base);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/Usage: provstream rules/);
    const bad = await runProcess([wrapperArgv('native')[0]!, 'no-such-subcommand'], base);
    expect(bad.code).not.toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { LineSplitter } from './lines.js';

function split(chunks: Array<string | Buffer>, max?: number): string[] {
  const s = new LineSplitter(max);
  const out: string[] = [];
  for (const c of chunks) out.push(...s.push(typeof c === 'string' ? Buffer.from(c) : c));
  return [...out, ...s.end()];
}

describe('LineSplitter', () => {
  const cases: Array<[string, Array<string | Buffer>, string[]]> = [
    ['lines in one chunk', ['a\nb\n'], ['a', 'b']],
    ['last line without newline', ['a\nb'], ['a', 'b']],
    ['lines across chunks', ['ep', 'och 1\nepo', 'ch 2\n'], ['epoch 1', 'epoch 2']],
    ['CRLF', ['a\r\nb\r\n'], ['a', 'b']],
    ['CRLF split across chunks', ['a\r', '\nb'], ['a', 'b']],
    ['lone CR (progress bars)', ['10%\r20%\r100%\n'], ['10%', '20%', '100%']],
    ['empty lines kept', ['a\n\nb\n'], ['a', '', 'b']],
    ['UTF-8 split inside a character', [Buffer.from([0x6c, 0x6f, 0xc3]), Buffer.from([0xa9, 0x0a])], ['loé']],
    ['nothing', [], []],
  ];
  for (const [name, chunks, want] of cases) it(name, () => expect(split(chunks)).toEqual(want));
  it('cuts an endless line and skips its rest', () => {
    expect(split(['abcdefgh', 'ijkl\nok\n'], 5)).toEqual(['abcde', 'ok']);
  });
});

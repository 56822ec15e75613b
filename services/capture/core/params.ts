/**
 * Parameters of a wrapped command, read from its arguments (SPEC §2). Pure.
 *
 * Recognised forms (later occurrences of a key win, as with argparse):
 *   --lr 0.1   --lr=0.1   -lr 0.1   -lr=0.1     → lr = "0.1"   (a value is the next token unless
 *                                                  it is itself an option; negative numbers are values)
 *   --verbose  (followed by an option or nothing) → verbose = "true"
 *   -n 5  -n=5                                    → n = "5"; a one-letter option takes the next token
 *                                                  only when it is a number (`-v file` is v = "true")
 *   lr=0.1   model.depth=3   +x=1   ++x=1         → key=value arguments (Hydra style)
 * A bare `--` ends option parsing; positional arguments are not parameters (the full command
 * line is recorded anyway).
 */

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const KEY_VALUE = /^\+{0,2}([A-Za-z_][\w./[\]-]*)=([\s\S]*)$/;
const OPTION = /^(--?)([A-Za-z_][\w.-]*)(?:=([\s\S]*))?$/;

function isOption(token: string): boolean {
  return OPTION.test(token) && !NUMBER.test(token);
}

export function parseParams(args: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (token === '--') break;
    const opt = NUMBER.test(token) ? null : OPTION.exec(token);
    if (opt) {
      const [, dashes, key, inline] = opt;
      if (inline !== undefined) {
        params[key!] = inline;
        continue;
      }
      const next = args[i + 1];
      const shortLetter = dashes === '-' && key!.length === 1;
      const takesNext = next !== undefined && next !== '--' && !isOption(next) && (!shortLetter || NUMBER.test(next));
      params[key!] = takesNext ? next : 'true';
      if (takesNext) i++;
      continue;
    }
    const kv = KEY_VALUE.exec(token);
    if (kv) params[kv[1]!] = kv[2]!;
  }
  return params;
}

/** Command-line option parsers shared by the benchmarks (commander argParser functions). */

/** Parses an integer option >= 0; a usage error names the option and the bad value. */
export const nonNegativeInt =
  (name: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be an integer >= 0, got ${JSON.stringify(v)}`);
    return n;
  };

/** Parses a positive integer option; a usage error names the option and the bad value. */
export const positiveInt =
  (name: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
    return n;
  };

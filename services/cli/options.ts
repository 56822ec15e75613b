/** Command-line option parsers shared by the CLI commands (commander argParser functions). */

/**
 * Parses an integer option ≥ `min` (Number syntax, so 1e6 works); a usage error names the option
 * and the bad value, instead of a NaN that would travel on as JSON null and read as "not given".
 */
export const integer =
  (name: string, min: number) =>
  (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min} (1e6 notation works), got ${JSON.stringify(v)}`);
    return n;
  };

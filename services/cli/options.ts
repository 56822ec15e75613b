/** Command-line option parsers shared by the CLI commands (commander argParser functions). */

/**
 * Parses an integer option ≥ `min` (and ≤ `max`; Number syntax, so 1e6 works); a usage error names
 * the option and the bad value, instead of a NaN that would travel on as JSON null and read as
 * "not given", or a server error that names its own field.
 */
export const integer =
  (name: string, min: number, max = Infinity) =>
  (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      const range = max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`;
      throw new Error(`${name} must be an integer ${range} (1e6 notation works), got ${JSON.stringify(v)}`);
    }
    return n;
  };

/**
 * Parses a comma-separated list whose items must be among `choices` ("all": every choice, when
 * `all` is set); a usage error names the option, the unknown items and the known ones.
 */
export const choiceList =
  <T extends string>(name: string, choices: readonly T[], opts: { all?: boolean } = {}) =>
  (v: string): T[] => {
    if (opts.all && v.trim() === 'all') return [...choices];
    const items = v.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = items.filter((s) => !(choices as readonly string[]).includes(s));
    if (items.length === 0 || unknown.length) {
      const what = items.length === 0 ? 'names nothing' : `has unknown ${unknown.map((s) => JSON.stringify(s)).join(', ')}`;
      throw new Error(`${name} ${what}; give a comma-separated list of ${choices.join(', ')}${opts.all ? ' (or "all")' : ''}`);
    }
    return items as T[];
  };

/**
 * The one literal encoder for ClickHouse SQL (18.16 has no server-side query parameters, so
 * values are bound on the client). Every value that is not a constant of our own code goes
 * through `literal`/`sql`; raw user input is never concatenated into a statement.
 */
export type SqlValue = string | number | bigint | boolean | null | undefined | readonly SqlValue[];

/** A piece of SQL that is inserted verbatim (identifiers from our code, nested fragments). */
export class RawSql {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function raw(text: string): RawSql {
  return new RawSql(text);
}

/** Quotes a string the way ClickHouse parses quoted literals: backslash escapes. */
export function quoteString(s: string): string {
  let out = "'";
  for (const ch of s) {
    switch (ch) {
      case '\\': out += '\\\\'; break;
      case "'": out += "\\'"; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      case '\0': out += '\\0'; break;
      case '\b': out += '\\b'; break;
      case '\f': out += '\\f'; break;
      default: out += ch;
    }
  }
  return out + "'";
}

export function literal(v: SqlValue | RawSql): string {
  if (v instanceof RawSql) return v.text;
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return quoteString(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`cannot bind non-finite number ${v} in SQL`);
    return Number.isInteger(v) ? v.toString() : v.toPrecision(17);
  }
  if (Array.isArray(v)) return '[' + v.map((x) => literal(x)).join(', ') + ']';
  throw new TypeError(`cannot bind ${typeof v} in SQL`);
}

/** Identifier for tables/databases from configuration (validated, then back-quoted). */
export function ident(name: string): RawSql {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`invalid SQL identifier ${JSON.stringify(name)}`);
  return new RawSql('`' + name + '`');
}

/** Tagged template: sql`SELECT * FROM t WHERE id = ${id}` binds every interpolation as a literal. */
export function sql(strings: TemplateStringsArray, ...values: Array<SqlValue | RawSql>): string {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += literal(v) + (strings[i + 1] ?? '');
  });
  return out;
}

/** A parenthesised list for `x IN ${inList(values)}` (an array literal would be one Array value). */
export function inList(values: readonly SqlValue[]): RawSql {
  if (values.length === 0) return new RawSql('(NULL)');
  return new RawSql('(' + values.map((v) => literal(v)).join(', ') + ')');
}

/**
 * The YAML subset docker-compose.yml is written in, and Compose's ${VAR} interpolation.
 *
 * Why our own: no YAML parser is a direct dependency (js-yaml is only mocha's), and JSON-shaped
 * YAML would make the compose file unreadable and uncommented. The subset: block mappings and
 * sequences indented by spaces, `- key: value` items, `#` comments, plain / 'single' / "double"
 * quoted scalars, one-line flow sequences of scalars, `{}` and `[]`. Every scalar stays a string
 * (the test compares strings; Compose itself accepts strings for all the keys we use). Anything
 * else (anchors, aliases, merge keys, block scalars, tabs, flow mappings) is refused by name, so
 * the file cannot grow past what this parser reads correctly. The test also compares the result
 * with js-yaml's when that is installed.
 */
export type Yaml = string | null | Yaml[] | { [k: string]: Yaml };

interface Line { indent: number; text: string; no: number }

export function parseYaml(source: string): Yaml {
  const lines: Line[] = [];
  source.split('\n').forEach((raw, i) => {
    if (/^\t| \t/.test(raw.match(/^\s*/)![0])) throw new Error(`line ${i + 1}: tab in indentation`);
    const text = stripComment(raw).trimEnd();
    if (!text.trim()) return;
    if (/^(---|\.\.\.)/.test(text)) throw new Error(`line ${i + 1}: documents markers are outside the subset`);
    lines.push({ indent: text.length - text.trimStart().length, text: text.trim(), no: i + 1 });
  });
  const at = { i: 0 };
  const doc = lines.length ? block(lines, at, lines[0].indent) : null;
  if (at.i < lines.length) throw new Error(`line ${lines[at.i].no}: unexpected indentation`);
  return doc;
}

function block(lines: Line[], at: { i: number }, indent: number): Yaml {
  return lines[at.i].text.startsWith('- ') || lines[at.i].text === '-' ? sequence(lines, at, indent) : mapping(lines, at, indent);
}

function sequence(lines: Line[], at: { i: number }, indent: number): Yaml[] {
  const out: Yaml[] = [];
  while (at.i < lines.length && lines[at.i].indent === indent && (lines[at.i].text.startsWith('- ') || lines[at.i].text === '-')) {
    const line = lines[at.i];
    const rest = line.text.slice(1).trimStart();
    if (!rest) { at.i++; out.push(nested(lines, at, indent)); continue; }
    if (isKeyLine(rest)) {
      // "- key: value" opens a mapping whose further keys sit under the key.
      const inner = indent + (line.text.length - rest.length);
      lines[at.i] = { ...line, indent: inner, text: rest };
      out.push(mapping(lines, at, inner));
      continue;
    }
    at.i++;
    out.push(scalarOrFlow(rest, line.no));
  }
  return out;
}

function mapping(lines: Line[], at: { i: number }, indent: number): { [k: string]: Yaml } {
  const out: { [k: string]: Yaml } = {};
  while (at.i < lines.length && lines[at.i].indent === indent) {
    const line = lines[at.i];
    if (!isKeyLine(line.text)) throw new Error(`line ${line.no}: expected "key: value", got "${line.text}"`);
    const { key, value } = splitKey(line.text, line.no);
    if (key === '<<') throw new Error(`line ${line.no}: merge keys are outside the subset`);
    if (Object.hasOwn(out, key)) throw new Error(`line ${line.no}: duplicate key "${key}"`);
    at.i++;
    out[key] = value === '' ? nested(lines, at, indent) : scalarOrFlow(value, line.no);
  }
  return out;
}

/** The block under a "key:" or "-" line; a sequence may sit at the key's own indent, as Compose files often write it. */
function nested(lines: Line[], at: { i: number }, parent: number): Yaml {
  const next = lines[at.i];
  if (!next || next.indent < parent || (next.indent === parent && !next.text.startsWith('- '))) return null;
  return block(lines, at, next.indent);
}

function isKeyLine(text: string): boolean {
  return /^("[^"]*"|'[^']*'|[^\s"'#\-[{][^:]*?|-[^\s:][^:]*?):(\s|$)/.test(text);
}

function splitKey(text: string, no: number): { key: string; value: string } {
  const m = /^("[^"]*"|'[^']*'|[^:]+?):(?:\s+(.*))?$/.exec(text);
  if (!m) throw new Error(`line ${no}: cannot read key in "${text}"`);
  const key = /^["']/.test(m[1]) ? (scalarOrFlow(m[1], no) as string) : m[1];
  return { key, value: (m[2] ?? '').trim() };
}

function scalarOrFlow(text: string, no: number): Yaml {
  if (text === '{}') return {};
  if (text === '[]') return [];
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) throw new Error(`line ${no}: a flow sequence must close on its line`);
    return splitFlow(text.slice(1, -1), no).map((item) => scalar(item, no));
  }
  return scalar(text, no);
}

function scalar(text: string, no: number): string {
  if (/^[&*!|>{@`%]/.test(text)) throw new Error(`line ${no}: "${text[0]}" (anchor, alias, tag, block scalar or flow mapping) is outside the subset`);
  if (text.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\.)*"$/.test(text)) throw new Error(`line ${no}: unterminated "string"`);
    return JSON.parse(text) as string;
  }
  if (text.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(text)) throw new Error(`line ${no}: unterminated 'string'`);
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (/:\s|\s#/.test(text)) throw new Error(`line ${no}: quote "${text}" (": " or " #" in a plain scalar)`);
  return text;
}

function splitFlow(inner: string, no: number): string[] {
  const items: string[] = [];
  let cur = '';
  let quote = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (quote) {
      cur += c;
      if (c === '\\' && quote === '"') cur += inner[++i];
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") { quote = c; cur += c; }
    else if (c === ',') { items.push(cur.trim()); cur = ''; }
    else if (c === '[' || c === '{') throw new Error(`line ${no}: nested flow collections are outside the subset`);
    else cur += c;
  }
  if (quote) throw new Error(`line ${no}: unterminated string in flow sequence`);
  if (cur.trim()) items.push(cur.trim());
  return items;
}

/** Drops a `#` comment: at the start or after whitespace, outside quotes. */
function stripComment(raw: string): string {
  let quote = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      // A quote opens a string only where a scalar starts (after ": ", "- ", "[", ",", or at the start).
      if (/(^|[:\-[,]\s*|\s)$/.test(raw.slice(0, i)) || i === raw.search(/\S/)) quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(raw[i - 1]))) return raw.slice(0, i);
  }
  return raw;
}

/**
 * Compose's interpolation of every string: $$ is a literal $, ${VAR}, ${VAR:-default},
 * ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR. A required variable unset throws its message,
 * as `docker compose` refuses to start.
 */
export function interpolate(doc: Yaml, env: Record<string, string | undefined>): Yaml {
  if (doc === null) return null;
  if (typeof doc === 'string') return interpolateString(doc, env);
  if (Array.isArray(doc)) return doc.map((d) => interpolate(d, env));
  return Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, interpolate(v, env)]));
}

export function interpolateString(s: string, env: Record<string, string | undefined>): string {
  return s.replace(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_all, what: string, name?: string, colon?: string, kind?: string, word?: string, bare?: string) => {
      if (what === '$') return '$';
      const key = name ?? bare!;
      const value = env[key];
      const missing = value === undefined || (colon === ':' && value === '');
      if (!missing) return value;
      if (kind === '?') throw new Error(`required variable ${key} is missing a value: ${word}`);
      if (kind === '-') return word ?? '';
      if (value === undefined) throw new Error(`variable ${key} is not set and has no default (Compose would warn and use "")`);
      return value;
    });
}

/** A .env file: KEY=value lines, # comments; quotes around a value are removed, as Compose does. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`.env: cannot read "${line}"`);
    out[m[1]] = m[2].replace(/^(["'])(.*)\1$/, '$2');
  }
  return out;
}

/**
 * Filter expressions for `kefu analyze --filter`, in Chinese or English field names, with units:
 *   会话时长>30s   duration>=2m   渠道=wechat   消息数>=3 and 意图!=问候   channel in (web,sms)
 * Grammar: expr = term ('or' term)* ; term = factor ('and' factor)* ; factor = 'not' factor | '(' expr ')' | cmp
 * cmp = field op value | field 'in' '(' value (',' value)* ')' ; op = = != > >= < <= ~ (contains).
 * Errors name the position (1-based) and what was expected.
 */
export type Row = Record<string, string | number | boolean | undefined>;
export type Predicate = (row: Row) => boolean;

export class FilterError extends Error {
  constructor(readonly position: number, message: string, readonly expr: string) {
    super(`filter error at position ${position}: ${message}\n  ${expr}\n  ${' '.repeat(Math.max(0, position - 1))}^`);
    this.name = 'FilterError';
  }
}

/** Field aliases → export column, and how values compare. */
export const FIELDS: Record<string, { column: string; type: 'number' | 'string' | 'boolean'; unit?: 'duration' }> = {
  duration: { column: 'session_duration_s', type: 'number', unit: 'duration' }, '会话时长': { column: 'session_duration_s', type: 'number', unit: 'duration' },
  messages: { column: 'message_count', type: 'number' }, '消息数': { column: 'message_count', type: 'number' },
  channel: { column: 'channel', type: 'string' }, '渠道': { column: 'channel', type: 'string' },
  intent: { column: 'intent', type: 'string' }, '意图': { column: 'intent', type: 'string' },
  queue: { column: 'queue', type: 'string' }, '队列': { column: 'queue', type: 'string' },
  role: { column: 'role', type: 'string' }, '角色': { column: 'role', type: 'string' },
  text: { column: 'text', type: 'string' }, '内容': { column: 'text', type: 'string' },
  handed_off: { column: 'handed_off', type: 'boolean' }, '转人工': { column: 'handed_off', type: 'boolean' },
  score: { column: 'intent_score', type: 'number' }, '置信度': { column: 'intent_score', type: 'number' },
  csat: { column: 'csat', type: 'number' }, '满意度': { column: 'csat', type: 'number' },
};

type Tok = { t: 'word' | 'op' | '(' | ')' | ',' | 'str'; v: string; pos: number };

function lex(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) { i++; continue; }
    const pos = i + 1;
    if (c === '(' || c === ')' || c === ',') { out.push({ t: c, v: c, pos }); i++; continue; }
    const op = s.slice(i).match(/^(>=|<=|!=|==|=|>|<|~)/);
    if (op) { out.push({ t: 'op', v: op[1] === '==' ? '=' : op[1], pos }); i += op[1].length; continue; }
    if (c === '"' || c === "'") {
      const end = s.indexOf(c, i + 1);
      if (end < 0) throw new FilterError(pos, 'unterminated string', s);
      out.push({ t: 'str', v: s.slice(i + 1, end), pos });
      i = end + 1;
      continue;
    }
    const w = s.slice(i).match(/^[^\s()<>=!~,"']+/);
    if (!w) throw new FilterError(pos, `unexpected "${c}"`, s);
    out.push({ t: 'word', v: w[0], pos });
    i += w[0].length;
  }
  return out;
}

function toNumber(v: string, unit: string | undefined, pos: number, expr: string): number {
  const m = v.match(/^(-?\d+(?:\.\d+)?)(ms|s|m|min|h|d|秒|分钟|分|小时|天)?$/);
  if (!m) throw new FilterError(pos, `"${v}" is not a number${unit ? ' (units: s, m, h, d, 秒, 分钟, 小时)' : ''}`, expr);
  const n = Number(m[1]);
  if (!m[2]) return n;
  if (unit !== 'duration') throw new FilterError(pos, `"${v}": units only apply to durations`, expr);
  const f: Record<string, number> = { ms: 0.001, s: 1, '秒': 1, m: 60, min: 60, '分钟': 60, '分': 60, h: 3600, '小时': 3600, d: 86400, '天': 86400 };
  return n * f[m[2]];
}

export function compileFilter(expr: string): Predicate {
  const toks = lex(expr);
  let k = 0;
  const peek = () => toks[k];
  const endPos = expr.length + 1;
  const expect = (what: string): never => { throw new FilterError(peek()?.pos ?? endPos, `expected ${what}${peek() ? `, found "${peek().v}"` : ''}`, expr); };
  const isWord = (w: string) => peek()?.t === 'word' && peek().v.toLowerCase() === w;

  const parseExpr = (): Predicate => {
    let left = parseTerm();
    while (isWord('or') || isWord('或')) { k++; const l = left, r = parseTerm(); left = (row) => l(row) || r(row); }
    return left;
  };
  const parseTerm = (): Predicate => {
    let left = parseFactor();
    while (isWord('and') || isWord('且') || isWord('并且')) { k++; const l = left, r = parseFactor(); left = (row) => l(row) && r(row); }
    return left;
  };
  const parseFactor = (): Predicate => {
    if (isWord('not') || isWord('非')) { k++; const f = parseFactor(); return (row) => !f(row); }
    if (peek()?.t === '(') {
      k++;
      const e = parseExpr();
      if (peek()?.t !== ')') expect('")"');
      k++;
      return e;
    }
    return parseCmp();
  };
  const value = (): Tok => {
    const t = peek();
    if (!t || (t.t !== 'word' && t.t !== 'str')) expect('a value');
    k++;
    return t;
  };
  const parseCmp = (): Predicate => {
    const f = peek();
    if (!f || f.t !== 'word') return expect('a field name');
    const field = FIELDS[f.v.toLowerCase()] ?? FIELDS[f.v];
    if (!field) throw new FilterError(f.pos, `unknown field "${f.v}" (fields: ${[...new Set(Object.keys(FIELDS))].join(', ')})`, expr);
    k++;
    if (isWord('in')) {
      k++;
      if (peek()?.t !== '(') expect('"(" after in');
      k++;
      const vals: Tok[] = [value()];
      while (peek()?.t === ',') { k++; vals.push(value()); }
      if (peek()?.t !== ')') expect('")"');
      k++;
      const set = new Set(vals.map((v) => coerce(v, field)));
      return (row) => set.has(get(row, field) as never);
    }
    const op = peek();
    if (!op || op.t !== 'op') return expect('an operator (= != > >= < <= ~ in)');
    k++;
    const v = value();
    const want = coerce(v, field);
    if (field.type !== 'number' && /[<>]/.test(op.v)) throw new FilterError(op.pos, `"${op.v}" needs a number field; ${f.v} is ${field.type}`, expr);
    switch (op.v) {
      case '=': return (row) => get(row, field) === want;
      case '!=': return (row) => get(row, field) !== want;
      case '>': return (row) => (get(row, field) as number) > (want as number);
      case '>=': return (row) => (get(row, field) as number) >= (want as number);
      case '<': return (row) => (get(row, field) as number) < (want as number);
      case '<=': return (row) => (get(row, field) as number) <= (want as number);
      default: return (row) => String(get(row, field) ?? '').toLowerCase().includes(String(want).toLowerCase());
    }
  };
  const coerce = (t: Tok, field: (typeof FIELDS)[string]) => {
    if (field.type === 'number') return toNumber(t.v, field.unit, t.pos, expr);
    if (field.type === 'boolean') {
      if (/^(true|yes|1|是)$/i.test(t.v)) return true;
      if (/^(false|no|0|否)$/i.test(t.v)) return false;
      throw new FilterError(t.pos, `"${t.v}" is not true/false (是/否)`, expr);
    }
    return t.v;
  };

  if (toks.length === 0) return () => true;
  const pred = parseExpr();
  if (k < toks.length) expect('"and", "or" or the end');
  return pred;
}

function get(row: Row, field: (typeof FIELDS)[string]): string | number | boolean | undefined {
  const v = row[field.column];
  if (field.type === 'number') return v === undefined || v === '' ? NaN : Number(v);
  if (field.type === 'boolean') return v === true || v === 'true' || v === '1';
  return v === undefined ? '' : String(v);
}

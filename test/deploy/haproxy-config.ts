/**
 * haproxy.cfg as sections (`global`, `defaults`, `frontend NAME`, `backend NAME`, `resolvers NAME`)
 * of directive lines, comments dropped. Enough for the deploy test to follow a port from its
 * `bind` to the servers behind it and read each backend's health check.
 */
export interface Section { kind: string; name: string; lines: string[] }

const KINDS = new Set(['global', 'defaults', 'frontend', 'backend', 'listen', 'resolvers', 'peers', 'userlist']);

export function parseHaproxy(text: string): Section[] {
  const sections: Section[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) return;
    const [word, name = ''] = line.split(/\s+/);
    if (KINDS.has(word) && !/^\s/.test(raw)) { sections.push({ kind: word, name, lines: [] }); return; }
    if (!sections.length) throw new Error(`haproxy.cfg line ${i + 1}: directive outside a section`);
    sections[sections.length - 1].lines.push(line.replace(/\s+/g, ' '));
  });
  return sections;
}

export function section(all: Section[], kind: string, name = ''): Section {
  const s = all.find((x) => x.kind === kind && x.name === name);
  if (!s) throw new Error(`haproxy.cfg: no ${kind} ${name}`);
  return s;
}

/** The ports a frontend binds (":8000", "*:8000", "0.0.0.0:8000"). */
export function bindPorts(s: Section): number[] {
  return s.lines.filter((l) => l.startsWith('bind ')).map((l) => Number(/:(\d+)(\s|$)/.exec(l)?.[1]));
}

export interface Server { name: string; host: string; port: number; check: boolean; checkPort: number; backup: boolean }

export function servers(s: Section): Server[] {
  return s.lines.filter((l) => l.startsWith('server ')).map((l) => {
    const [, name, address, ...opts] = l.split(' ');
    const [host, port] = address.split(':');
    const cp = opts.indexOf('port');
    return { name, host, port: Number(port), check: opts.includes('check'), checkPort: cp >= 0 ? Number(opts[cp + 1]) : Number(port), backup: opts.includes('backup') };
  });
}

/** The health check's method and path (`option httpchk GET /path`, or `http-check send meth M uri /path`). */
export function healthCheck(s: Section): { method: string; path: string; expect?: string } | undefined {
  const expect = s.lines.find((l) => l.startsWith('http-check expect '))?.slice('http-check expect '.length);
  const old = s.lines.find((l) => l.startsWith('option httpchk '));
  if (old) {
    const [, , method, path] = old.split(' ');
    return { method, path, expect };
  }
  const send = s.lines.find((l) => l.startsWith('http-check send '));
  if (!send) return undefined;
  const w = send.split(' ');
  return { method: w[w.indexOf('meth') + 1], path: w[w.indexOf('uri') + 1], expect };
}

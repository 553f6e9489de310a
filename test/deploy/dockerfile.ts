/**
 * A Dockerfile as a list of instructions grouped by stage: enough for the deploy test to check
 * what the image runs, exposes and copies. Continuation lines are joined; comments and the
 * `# syntax=` parser directive are dropped. Not a full parser (no ARG expansion, no heredocs):
 * an instruction it does not know fails loudly, so the file cannot drift out of what is checked.
 */
export interface Instruction { op: string; args: string; line: number }
export interface Stage { from: string; name?: string; instructions: Instruction[] }

const KNOWN = new Set(['FROM', 'WORKDIR', 'COPY', 'RUN', 'ENV', 'USER', 'EXPOSE', 'VOLUME', 'HEALTHCHECK', 'ENTRYPOINT', 'CMD', 'ARG', 'LABEL']);

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let joined = lines[i];
    if (/^\s*(#|$)/.test(joined)) continue;
    while (/\\\s*$/.test(joined) && i + 1 < lines.length) {
      i++;
      // A comment line inside a continued instruction is skipped, as Docker does.
      if (/^\s*#/.test(lines[i])) continue;
      joined = joined.replace(/\s*\\\s*$/, ' ') + lines[i].trim();
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(joined);
    if (!m) throw new Error(`Dockerfile line ${start + 1}: cannot read "${joined}"`);
    const op = m[1].toUpperCase();
    if (!KNOWN.has(op)) throw new Error(`Dockerfile line ${start + 1}: ${op} is not checked by this parser`);
    const args = m[2].trim();
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!f) throw new Error(`Dockerfile line ${start + 1}: FROM ${args}`);
      stages.push({ from: f[1], name: f[2], instructions: [] });
      continue;
    }
    if (!stages.length) throw new Error(`Dockerfile line ${start + 1}: ${op} before FROM`);
    stages[stages.length - 1].instructions.push({ op, args, line: start + 1 });
  }
  return stages;
}

/** JSON (exec) form of CMD/ENTRYPOINT/HEALTHCHECK CMD; shell form is refused: signals would go to /bin/sh. */
export function execForm(args: string): string[] {
  let parsed: unknown;
  try { parsed = JSON.parse(args); } catch { parsed = undefined; }
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not an exec-form array: ${args}`);
  return parsed;
}

/** HEALTHCHECK [--opt=value …] CMD [...] */
export function parseHealthcheck(args: string): { options: Record<string, string>; command: string[] } {
  const options: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([a-z-]+)=(\S+)\s+/.exec(rest); m; m = /^--([a-z-]+)=(\S+)\s+/.exec(rest)) {
    options[m[1]] = m[2];
    rest = rest.slice(m[0].length);
  }
  if (!rest.startsWith('CMD ')) throw new Error(`HEALTHCHECK without CMD: ${args}`);
  return { options, command: execForm(rest.slice(4).trim()) };
}

/** COPY [--from=stage] [--chown=…] src… dest */
export function parseCopy(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice(7);
  return { from, sources: paths.slice(0, -1), dest: paths[paths.length - 1] };
}

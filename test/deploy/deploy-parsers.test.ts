import assert from 'node:assert/strict';
import { interpolateString, parseDotEnv, parseYaml } from './compose-yaml.js';
import { parseDockerfile, parseHealthcheck } from './dockerfile.js';
import { healthCheck, parseHaproxy, servers } from './haproxy-config.js';

describe('deploy test parsers (the subsets the deployment files are written in)', () => {
  it('YAML: block mappings and sequences, "- key:" items, quotes, flow sequences, comments', () => {
    const doc = parseYaml([
      '# head',
      'a:',
      '  b: "x: #1"   # trailing',
      "  c: 'it''s'",
      '  d: plain value',
      '  list:',
      '    - "one"',
      '    - two',
      '    - k: v',
      '      k2: v2',
      '  flow: ["CMD", "a, b", \'c\']',
      '  empty: {}',
      '  none:',
      'same-indent:',
      '- x',
      'e: []',
    ].join('\n'));
    assert.deepEqual(doc, {
      a: { b: 'x: #1', c: "it's", d: 'plain value', list: ['one', 'two', { k: 'v', k2: 'v2' }], flow: ['CMD', 'a, b', 'c'], empty: {}, none: null },
      'same-indent': ['x'],
      e: [],
    });
  });

  it('YAML: what the subset does not read is refused by name, not misread', () => {
    for (const [text, why] of [
      ['a: &x 1\nb: *x', /anchor, alias/],
      ['a:\n  <<: {}', /merge keys/],
      ['a: |\n  text', /block scalar/],
      ['a:\n\tb: 1', /tab/],
      ['a: {b: 1}', /flow mapping/],
      ['a: 1\na: 2', /duplicate key/],
      ['a: b: c', /quote/],
      ['a: "open', /unterminated/],
      ['a:\n  b: 1\n    c: 2', /indentation/],
    ] as const) assert.throws(() => parseYaml(text), why, text);
  });

  it('interpolation as Compose does it: $$, defaults, required variables', () => {
    const env = { SET: 'v', EMPTY: '' };
    assert.equal(interpolateString('$$SET ${SET} $SET', env), '$SET v v');
    assert.equal(interpolateString('${EMPTY:-d}|${EMPTY-d}|${UNSET-d}', env), 'd||d');
    assert.throws(() => interpolateString('${EMPTY:?need it}', env), /EMPTY is missing a value: need it/);
    assert.equal(interpolateString('${EMPTY?need it}', env), '');
    assert.throws(() => interpolateString('${UNSET}', env), /not set/);
    assert.deepEqual(parseDotEnv('# c\nA=1\nB="two words"\n\nC=\n'), { A: '1', B: 'two words', C: '' });
  });

  it('Dockerfile: stages, continued lines with comments inside, exec-form healthcheck; unknown instructions refused', () => {
    const stages = parseDockerfile('# syntax=docker/dockerfile:1\nFROM a AS build\nRUN one \\\n# inside\n && two\nFROM b\nHEALTHCHECK --interval=5s \\\n  CMD ["node", "-e", "1"]\n');
    assert.deepEqual(stages.map((s) => [s.from, s.name]), [['a', 'build'], ['b', undefined]]);
    assert.equal(stages[0].instructions[0].args, 'one && two');
    assert.deepEqual(parseHealthcheck(stages[1].instructions[0].args), { options: { interval: '5s' }, command: ['node', '-e', '1'] });
    assert.throws(() => parseDockerfile('FROM a\nONBUILD RUN x\n'), /ONBUILD is not checked/);
    assert.throws(() => parseHealthcheck('CMD node check.js'), /exec-form/);
  });

  it('haproxy.cfg: sections, servers with check ports, both health-check syntaxes', () => {
    const cfg = parseHaproxy('backend a\n  option httpchk GET /x # why\n  server s1 h1:80 check port 90\n  server s2 h2:80 backup\nbackend b\n  http-check send meth HEAD uri /y\n  http-check expect status 204\n');
    assert.deepEqual(healthCheck(cfg[0]), { method: 'GET', path: '/x', expect: undefined });
    assert.deepEqual(healthCheck(cfg[1]), { method: 'HEAD', path: '/y', expect: 'status 204' });
    assert.deepEqual(servers(cfg[0]).map((s) => [s.host, s.port, s.check, s.checkPort, s.backup]), [['h1', 80, true, 90, false], ['h2', 80, false, 80, true]]);
  });
});

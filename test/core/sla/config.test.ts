import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseConfig } from '../../../config/load.js';
import { policyOf } from '../../../core/sla/targets.js';

const REFERENCE = fileURLToPath(new URL('../../../../config/kefu.toml', import.meta.url));
const queue = (sla: string) => `[routing]\ndefault_queue = "q"\n[[routing.queues]]\nname = "q"\nsla = ${sla}\n`;

describe('sla config ([[routing.queues]] sla)', () => {
  it('the example in config/kefu.toml, uncommented, is valid and means what it says', () => {
    const line = readFileSync(REFERENCE, 'utf8').split('\n').find((l) => l.startsWith('# sla = {'));
    assert.ok(line, 'kefu.toml documents the sla key');
    const c = parseConfig(queue(line.slice('# sla = '.length)), 'x.toml');
    const p = policyOf(c.routing.queues[0].sla)!;
    assert.deepEqual(p.targets, { first_response: 15 * 60_000, next_response: 3600_000, resolution: 24 * 3600_000 });
    assert.deepEqual([...p.onBreach], ['raise_priority', 'notify']);
    assert.equal(p.raiseTo, 8);
  });

  it('defaults: notify on breach, raise to 10; no sla = no policy', () => {
    const c = parseConfig(queue('{ resolution = "8h" }'), 'x.toml');
    assert.deepEqual(c.routing.queues[0].sla, { resolution: '8h', on_breach: ['notify'], raise_to: 10 });
    assert.equal(policyOf(parseConfig('', 'x.toml').routing.queues[0].sla), undefined);
  });

  it('a bad duration, action or key names the key and what is wrong', () => {
    for (const [sla, key, why] of [['{ first_response = "2d" }', 'first_response', /48h/], ['{ next_response = "soon" }', 'next_response', /not a duration/],
      ['{ on_breach = ["page_everyone"] }', 'on_breach', /./], ['{ first_responce = "1h" }', 'sla', /first_responce/]] as const) {
      assert.throws(() => parseConfig(queue(sla), 'my.toml'), (e: ConfigError) => {
        assert.ok(e.problems.some((p) => p.includes(`routing.queues.0.sla`) && p.includes(key) && why.test(p)), e.message);
        return true;
      }, sla);
    }
  });

  it('webhooks may subscribe to sla.breached', () => {
    const c = parseConfig('[[webhooks]]\nurl = "http://127.0.0.1:1/h"\nsecret = "secret-123"\nevents = ["sla.breached"]\n', 'x.toml');
    assert.deepEqual(c.webhooks[0].events, ['sla.breached']);
  });
});

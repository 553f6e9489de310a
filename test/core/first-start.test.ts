import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import { MongoStore } from '../../core/store/mongo-store.js';
import { AgentAccounts } from '../../core/auth/agents.js';
import { ensureAdmin, ensureSecret } from '../../core/first-start.js';
import { mongoTarget } from '../helpers/mongo.js';

const target = await mongoTarget();

// `kefu start --workers N` starts N nodes at once on one (possibly empty) shared store.
describe('first start of several nodes at once on one MongoDB database', () => {
  if ('skip' in target) {
    it.skip(`one visitor secret and one admin for all: ${target.skip}`);
    return;
  }
  let database: string;
  let stores: MongoStore[] = [];
  beforeEach(async () => {
    database = target.freshDatabase();
    stores = await Promise.all([1, 2, 3].map(() => MongoStore.open({ url: target.url, database })));
  });
  afterEach(async () => {
    for (const s of stores) await s.close();
    const client = await MongoClient.connect(target.url);
    try { await client.db(database).dropDatabase(); } finally { await client.close(); }
  });

  it('agree on one visitor-token secret (a token from any node is good on every other)', async () => {
    const secrets = await Promise.all(stores.map((s) => ensureSecret(s)));
    for (const s of secrets) assert.deepEqual(s, secrets[0]);
    assert.deepEqual(await ensureSecret(stores[0]), secrets[0], 'and keep it');
  });

  it('create one admin; no node fails its start over it, only the one that made it announces a password', async () => {
    const announced: string[] = [];
    await Promise.all(stores.map((s) => ensureAdmin(new AgentAccounts(s, () => 2, () => 3600_000), (login) => announced.push(login))));
    assert.deepEqual(announced, ['admin']);
    assert.equal((await stores[0].listAgents()).length, 1);
  });
});

import { KefuError } from '../../core/errors.js';
import { newId, randomToken } from '../../core/model/ids.js';
import { hashToken, safeEqual } from '../../core/auth/passwords.js';
import type { ApiTokenRecord, TokenStore } from '../../core/store/store.js';
import { ApiError } from './types.js';

/** Scopes a token can hold; each method needs one (Slack-like names). intent:read: POST /v1/intent (plugins/intent-onnx). */
export const SCOPES = ['chat:write', 'channels:read', 'channels:history', 'users:read', 'files:write', 'files:read', 'kefu:handoff', 'intent:read'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Caller { id: string; name: string; scopes: readonly string[]; bot: boolean }

/**
 * Bot tokens: created with `kefu token create`, shown once, stored as SHA-256, looked up by
 * hash; tokens of bots declared in config are compared in constant time.
 */
export class ApiTokens {
  constructor(private store: TokenStore, private configBots: () => { name: string; token: string }[]) {}

  async create(name: string, scopes: string[]): Promise<{ token: string; record: ApiTokenRecord }> {
    if (!/^[a-z0-9_-]{1,40}$/.test(name)) throw new KefuError('validation_failed', 'name: 1-40 of a-z 0-9 _ -');
    const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (bad.length || scopes.length === 0) throw new KefuError('validation_failed', `scopes must be some of ${SCOPES.join(', ')}${bad.length ? ` (unknown: ${bad.join(', ')})` : ''}`);
    if (await this.store.byNameOrId(name)) throw new KefuError('conflict', `a token named "${name}" exists`);
    const token = `xoxb-kefu-${randomToken(30)}`;
    const record: ApiTokenRecord = { id: newId('B'), name, tokenHash: hashToken(token), scopes, createdAt: new Date() };
    await this.store.create(record);
    return { token, record };
  }

  async revoke(nameOrId: string): Promise<ApiTokenRecord> {
    const r = await this.store.byNameOrId(nameOrId);
    if (!r) throw new KefuError('not_found', `no token "${nameOrId}"`);
    await this.store.revoke(r.id);
    return r;
  }

  list(): Promise<ApiTokenRecord[]> { return this.store.list(); }

  async authenticate(token: string | undefined): Promise<Caller> {
    if (!token) throw new ApiError('not_authed');
    for (const b of this.configBots()) {
      if (safeEqual(token, b.token)) return { id: `B_${b.name}`, name: b.name, scopes: SCOPES, bot: true };
    }
    const r = await this.store.byHash(hashToken(token));
    if (!r) throw new ApiError('invalid_auth');
    if (r.revokedAt) throw new ApiError('token_revoked');
    return { id: r.id, name: r.name, scopes: r.scopes, bot: true };
  }
}

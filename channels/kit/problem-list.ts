import type { ChannelProblem, ChannelState } from '../contract.js';

/** As kept in ctx.state: `at` as ms or, in lists written before this helper, an ISO string. */
type Stored = { id?: string; at: number | string; reason: string; mediaId?: string; name?: string };

/**
 * What a channel could not take, for admins (ChannelAdapter.problems / dismissProblem): the last
 * `max` items in one ctx.state key, newest first. An id already listed is not added again (a
 * re-poll, a redelivery). Edits are serialized: two failures at once must not drop one another.
 */
export class ProblemList {
  private chain: Promise<unknown> = Promise.resolve();
  constructor(private state: () => ChannelState, private key: string, private max = 100) {}

  add(p: { id: string; reason: string; mediaId?: string; name?: string; at?: number }): Promise<void> {
    return this.edit((list) => (list.some((u) => idOf(u) === p.id) ? list : [...list, { ...p, at: p.at ?? Date.now() }].slice(-this.max)));
  }

  async list(): Promise<ChannelProblem[]> {
    return (await this.read()).map((u) => ({ id: idOf(u), at: typeof u.at === 'number' ? u.at : Date.parse(u.at), reason: u.reason,
      mediaId: u.mediaId, name: u.mediaId ? u.name ?? `${u.mediaId}` : undefined })).reverse();
  }

  async dismiss(id: string): Promise<boolean> {
    let found = false;
    await this.edit((list) => { const rest = list.filter((u) => idOf(u) !== id); found = rest.length < list.length; return rest; });
    return found;
  }

  private async read(): Promise<Stored[]> {
    try { return JSON.parse((await this.state().get(this.key)) ?? '[]') as Stored[]; } catch { return []; }
  }

  private edit(f: (list: Stored[]) => Stored[]): Promise<void> {
    const run = this.chain.catch(() => undefined).then(async () => {
      const before = await this.read();
      const after = f(before);
      if (after !== before) await this.state().set(this.key, JSON.stringify(after));
    });
    this.chain = run;
    return run;
  }
}

const idOf = (u: Stored) => u.id ?? u.mediaId ?? String(u.at);

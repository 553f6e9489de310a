import { ChannelError, type ChannelState } from '../contract.js';
import type { DingtalkApp, DingtalkConfig, Employee, Reply, ReplyRoute } from './types.js';

/** Legacy oapi errcodes that mean "later": system busy, QPS and flow limits. */
const OAPI_RETRY = new Set([-1, 88, 90002, 90006, 90018, 90019]);
/** Legacy oapi errcodes of a bad or expired access token. */
const OAPI_TOKEN = new Set([40001, 40014, 42001]);
/** A token is fetched again this long before DingTalk says it expires. */
const TOKEN_MARGIN_MS = 5 * 60_000;

const fail = (message: string, o: { retryable: boolean; code?: string; retryAfter?: number }) => new ChannelError('dingtalk', message, o);

/**
 * DingTalk's OpenAPI, one attempt per call, every failure a ChannelError (429, 5xx, throttling
 * codes and network errors retryable; other answers permanent with DingTalk's code). The access
 * token comes from the v1.0 OAuth endpoint (not the SDK's legacy gettoken) and is cached in the
 * channel's durable state, so every node and restart shares one.
 */
export class DingtalkApi {
  private tokens = new Map<string, { token: string; exp: number }>();
  private fetching = new Map<string, Promise<string>>();
  private departments = new Map<string, string>();

  constructor(private settings: () => DingtalkConfig, private state: () => ChannelState) {}

  async token(app: DingtalkApp): Promise<string> {
    const now = Date.now();
    const mem = this.tokens.get(app.client_id);
    if (mem && mem.exp - TOKEN_MARGIN_MS > now) return mem.token;
    let p = this.fetching.get(app.client_id);
    if (!p) {
      p = this.freshToken(app).finally(() => this.fetching.delete(app.client_id));
      this.fetching.set(app.client_id, p);
    }
    return p;
  }

  private async freshToken(app: DingtalkApp): Promise<string> {
    const key = `token:${app.client_id}`;
    const kept = JSON.parse((await this.state().get(key)) ?? 'null') as { token: string; exp: number } | null;
    if (kept && kept.exp - TOKEN_MARGIN_MS > Date.now()) { this.tokens.set(app.client_id, kept); return kept.token; }
    const r = await this.call('POST', `${this.base('api_base')}/v1.0/oauth2/accessToken`, { appKey: app.client_id, appSecret: app.client_secret }) as { accessToken?: string; expireIn?: number };
    if (typeof r.accessToken !== 'string') throw fail('DingTalk returned no access token', { retryable: true, code: 'no_token' });
    const fresh = { token: r.accessToken, exp: Date.now() + (Number(r.expireIn) > 0 ? Number(r.expireIn) : 7200) * 1000 };
    this.tokens.set(app.client_id, fresh);
    await this.state().set(key, JSON.stringify(fresh));
    return fresh.token;
  }

  /** After DingTalk refused the token (revoked, rotated secret): the next call fetches a new one. */
  async forgetToken(app: DingtalkApp): Promise<void> {
    this.tokens.delete(app.client_id);
    await this.state().delete(`token:${app.client_id}`);
  }

  /** A reply through the message's sessionWebhook (no token needed). Text and markdown only; in a group it @s the asker. */
  async sendBySession(url: string, reply: Reply, atStaffId?: string): Promise<void> {
    const at = atStaffId ? { at: { atUserIds: [atStaffId] } } : {};
    const body = reply.kind === 'markdown' ? { msgtype: 'markdown', markdown: { title: reply.title, text: reply.text }, ...at }
      : { msgtype: 'text', text: { content: reply.kind === 'text' ? reply.text : '' }, ...at };
    const r = await this.call('POST', url, body) as { errcode?: number; errmsg?: string };
    // An expired or unknown session answers HTTP 200 with an errcode: the caller falls back to the proactive API.
    if (r.errcode !== undefined && r.errcode !== 0) throw fail(r.errmsg ?? `errcode ${r.errcode}`, { retryable: false, code: `session_${r.errcode}` });
  }

  /** A proactive robot message (oToMessages/batchSend, groupMessages/send); resolves with DingTalk's processQueryKey. */
  async sendProactive(app: DingtalkApp, route: ReplyRoute, reply: Reply): Promise<string> {
    const { msgKey, msgParam } = proactiveOf(reply);
    const group = !!route.openConversationId;
    if (!group && !route.staffId) throw fail('The customer has no staffId (not an employee of the app\'s organisation); DingTalk can only answer them within 20 minutes of their last message.', { retryable: false, code: 'no_staff_id' });
    const token = await this.token(app);
    const url = `${this.base('api_base')}/v1.0/robot/${group ? 'groupMessages/send' : 'oToMessages/batchSend'}`;
    const body = { robotCode: route.robotCode, msgKey, msgParam: JSON.stringify(msgParam),
      ...(group ? { openConversationId: route.openConversationId } : { userIds: [route.staffId] }) };
    const r = await this.withToken(app, () => this.call('POST', url, body, { 'x-acs-dingtalk-access-token': token })) as
      { processQueryKey?: string; invalidStaffIdList?: string[]; flowControlledStaffIdList?: string[] };
    if (r.invalidStaffIdList?.length) throw fail('DingTalk does not know this employee (left the organisation or outside the app\'s visibility).', { retryable: false, code: 'invalid_staff_id' });
    if (r.flowControlledStaffIdList?.length) throw fail('DingTalk is throttling messages to this employee.', { retryable: true, code: 'flow_controlled' });
    return r.processQueryKey ?? '';
  }

  /**
   * An interactive card from the operator's template (card/instances/createAndDeliver), its
   * clicks called back over the stream. To a one-to-one chat by staffId, or to the group.
   */
  async sendCard(app: DingtalkApp, route: ReplyRoute, card: { templateId: string; outTrackId: string; params: Record<string, string> }): Promise<string> {
    const group = !!route.openConversationId;
    if (!group && !route.staffId) throw fail('The customer has no staffId: a card cannot be delivered to them.', { retryable: false, code: 'no_staff_id' });
    const token = await this.token(app);
    const body = {
      cardTemplateId: card.templateId, outTrackId: card.outTrackId, callbackType: 'STREAM', userIdType: 1, cardData: { cardParamMap: card.params },
      openSpaceId: group ? `dtv1.card//IM_GROUP.${route.openConversationId}` : `dtv1.card//IM_ROBOT.${route.staffId}`,
      ...(group ? { imGroupOpenSpaceModel: { supportForward: false }, imGroupOpenDeliverModel: { robotCode: route.robotCode } }
        : { imRobotOpenSpaceModel: { supportForward: false }, imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT', robotCode: route.robotCode } }),
    };
    const r = await this.withToken(app, () => this.call('POST', `${this.base('api_base')}/v1.0/card/instances/createAndDeliver`, body, { 'x-acs-dingtalk-access-token': token })) as
      { success?: boolean; result?: { deliverResults?: { success?: boolean; errorMsg?: string }[] } };
    const failed = r.result?.deliverResults?.find((d) => d.success === false);
    if (r.success === false || failed) throw fail(`card not delivered: ${failed?.errorMsg ?? 'success=false'}`, { retryable: false, code: 'card_not_delivered' });
    return card.outTrackId;
  }

  /** Uploads a file as robot media (legacy media/upload); resolves with its media_id. */
  async upload(app: DingtalkApp, data: Buffer, name: string, mime: string, type: 'image' | 'file'): Promise<string> {
    const form = new FormData();
    form.append('media', new Blob([data], { type: mime }), name);
    const url = async () => `${this.base('oapi_base')}/media/upload?access_token=${encodeURIComponent(await this.token(app))}&type=${type}`;
    const r = await this.withToken(app, async () => this.oapi(await this.call('POST', await url(), form))) as { media_id?: string };
    if (typeof r.media_id !== 'string') throw fail('DingTalk returned no media_id', { retryable: true, code: 'no_media_id' });
    return r.media_id;
  }

  /** A file a customer sent (picture, rich-text image, file, voice), within `maxBytes`. */
  async download(app: DingtalkApp, downloadCode: string, maxBytes: number): Promise<Buffer> {
    const token = await this.token(app);
    const r = await this.withToken(app, () => this.call('POST', `${this.base('api_base')}/v1.0/robot/messageFiles/download`,
      { downloadCode, robotCode: app.robot_code }, { 'x-acs-dingtalk-access-token': token })) as { downloadUrl?: string };
    if (typeof r.downloadUrl !== 'string' || !/^https?:\/\//.test(r.downloadUrl)) throw fail('DingTalk returned no download URL', { retryable: true, code: 'no_download_url' });
    const res = await fetch(r.downloadUrl, { signal: AbortSignal.timeout(this.settings().media_timeout_ms), redirect: 'follow' });
    if (!res.ok) throw fail(`file download HTTP ${res.status}`, { retryable: res.status >= 500, code: `http_${res.status}` });
    if (Number(res.headers.get('content-length')) > maxBytes) { await res.body?.cancel(); throw fail('file too large', { retryable: false, code: 'too_large' }); }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > maxBytes) throw fail('file too large', { retryable: false, code: 'too_large' });
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks);
  }

  /** An employee's name, title and department names (topapi/v2/user/get, department/get). */
  async employee(app: DingtalkApp, staffId: string): Promise<Employee> {
    const post = (path: string, body: object) => this.withToken(app, async () =>
      this.oapi(await this.call('POST', `${this.base('oapi_base')}${path}?access_token=${encodeURIComponent(await this.token(app))}`, body)));
    const u = ((await post('/topapi/v2/user/get', { userid: staffId, language: 'zh_CN' })) as { result?: { name?: string; title?: string; dept_id_list?: number[] } }).result ?? {};
    const departments: string[] = [];
    for (const id of (Array.isArray(u.dept_id_list) ? u.dept_id_list : []).slice(0, 5)) {
      const key = `${app.client_id}:${id}`;
      let name = this.departments.get(key);
      if (name === undefined) {
        const d = ((await post('/topapi/v2/department/get', { dept_id: id, language: 'zh_CN' })) as { result?: { name?: string } }).result;
        name = typeof d?.name === 'string' ? d.name : String(id);
        this.departments.set(key, name);
      }
      departments.push(name);
    }
    return { name: typeof u.name === 'string' ? u.name : undefined, title: typeof u.title === 'string' && u.title ? u.title : undefined, departments };
  }

  private base(key: 'api_base' | 'oapi_base'): string { return this.settings()[key].replace(/\/$/, ''); }

  /** Runs a call; when DingTalk refused the token, forgets it so the outbox's next attempt fetches another. */
  private async withToken<T>(app: DingtalkApp, fn: () => Promise<T>): Promise<T> {
    try { return await fn(); } catch (err) {
      if (err instanceof ChannelError && err.code === 'token_rejected') await this.forgetToken(app);
      throw err;
    }
  }

  /** A legacy oapi answer: HTTP 200 with errcode 0, or an errcode mapped. */
  private oapi(r: unknown): unknown {
    const b = r as { errcode?: number; errmsg?: string };
    if (b.errcode === undefined || b.errcode === 0) return r;
    if (OAPI_TOKEN.has(b.errcode)) throw fail(b.errmsg ?? 'access token rejected', { retryable: true, code: 'token_rejected' });
    throw fail(b.errmsg ?? `errcode ${b.errcode}`, { retryable: OAPI_RETRY.has(b.errcode), code: String(b.errcode) });
  }

  /** One HTTP call → its JSON, or a ChannelError with DingTalk's code. */
  private async call(method: string, url: string, body: object, headers: Record<string, string> = {}): Promise<unknown> {
    const form = body instanceof FormData;
    let res: Response;
    try {
      res = await fetch(url, { method, body: form ? body : JSON.stringify(body), redirect: 'error', signal: AbortSignal.timeout(this.settings().api_timeout_ms),
        headers: { ...(form ? {} : { 'content-type': 'application/json' }), accept: 'application/json', ...headers } });
    } catch (err) {
      throw fail(`DingTalk unreachable: ${(err as Error).message}`, { retryable: true, code: 'unreachable' });
    }
    const answer = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
    if (res.ok) return answer;
    const code = typeof answer.code === 'string' && answer.code ? answer.code : `http_${res.status}`;
    const message = typeof answer.message === 'string' ? answer.message : `HTTP ${res.status}`;
    if (res.status === 401 || /InvalidAuthentication|token/i.test(code)) throw fail(message, { retryable: true, code: 'token_rejected' });
    const ra = Number(res.headers.get('retry-after'));
    const throttled = res.status === 429 || /QpsLimit|Throttling|FlowControl/i.test(code);
    throw fail(message, { retryable: throttled || res.status >= 500, code, retryAfter: Number.isFinite(ra) && ra > 0 ? ra : undefined });
  }
}

/** A reply as the proactive API's msgKey and msgParam. */
function proactiveOf(r: Reply): { msgKey: string; msgParam: object } {
  switch (r.kind) {
    case 'text': return { msgKey: 'sampleText', msgParam: { content: r.text } };
    case 'markdown': return { msgKey: 'sampleMarkdown', msgParam: { title: r.title, text: r.text } };
    case 'image': return { msgKey: 'sampleImageMsg', msgParam: { photoURL: r.mediaId } };
    case 'file': return { msgKey: 'sampleFile', msgParam: { mediaId: r.mediaId, fileName: r.fileName, fileType: r.fileType } };
  }
}

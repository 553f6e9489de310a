import { existsSync, unwatchFile, watchFile } from 'node:fs';
import { resolve } from 'node:path';
import { definePlugin } from '../contract.js';
import { textOf, type Conversation } from '../../core/model/message.js';
import { ModelHolder } from './model-holder.js';
import { MicroBatcher } from './micro-batcher.js';
import { Synonyms } from './synonyms.js';
import { pacingDelayMs } from './pacing.js';
import { bestOf, topOf } from './classifier.js';
import { intentRoute } from './intent-route.js';

/** Time source for pacing; tests replace it. */
export const clock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

/** Seams for tests and metrics. */
export const hooks = {
  /** A text was handed to the batcher. */
  onScore: (): void => {},
  /** A model run over `texts` texts is about to start; a promise returned holds it until it settles (tests). */
  onModelRun: (_texts: number): void | Promise<void> => {},
};

/** One text's probabilities, with the labels of the model that produced them (a hot swap may come between). */
interface Scored { labels: readonly string[]; probs: Float32Array }

const HANDOFF_INTENT = '转人工';

/**
 * AI customer service: scores every inbound message's intent with the ONNX model (classify),
 * lets the bot answer what it is confident about (decide), and hands the rest to humans.
 * Requests for a human lower the conversation's AI weight; after `handoff_after` in a row the
 * bot steps aside and the conversation is queued at raised priority.
 */
export default definePlugin({
  name: 'intent-onnx',
  setup(gw) {
    const ai = () => gw.config().ai;
    const holder = new ModelHolder(gw.logger.child({ plugin: 'intent-onnx' }));
    let synonyms = new Synonyms();
    let synonymsFile: string | undefined;

    const loadSynonyms = (force = false) => {
      const file = resolve(ai().synonyms);
      if (synonymsFile === file && !force) return;
      if (synonymsFile !== file) {
        if (synonymsFile) unwatchFile(synonymsFile);
        synonymsFile = file;
        watchFile(file, { interval: 1000 }, () => loadSynonyms(true));
      }
      if (!existsSync(file)) { synonyms = new Synonyms(); return; }
      try {
        synonyms = Synonyms.fromFile(file);
      } catch (err) {
        gw.logger.error({ err: (err as Error).message }, 'synonyms file invalid; keeping the previous mapping');
      }
    };
    const apply = () => {
      if (!ai().enabled) return;
      void holder.use(ai().model_path);
      loadSynonyms();
    };
    apply();
    gw.onConfigChange(apply);

    // The bus's messages and POST /v1/intent's texts share this batcher, so they share model runs.
    const batcher = new MicroBatcher<Scored | undefined>(async (texts) => {
      const hold = holder.classifier && hooks.onModelRun(texts.length);
      if (hold) await hold;
      const c = holder.classifier;
      if (!c) return texts.map(() => undefined);
      return (await c.probabilities(texts)).map((probs) => ({ labels: c.labels, probs }));
    }, () => ai().batch_max);
    const score = async (text: string) => {
      if (!ai().enabled) return undefined;
      await holder.ready();
      hooks.onScore();
      return batcher.score(synonyms.apply(text));
    };
    const top = async (text: string, k: number) => { const s = await score(text); return s && topOf(s.labels, s.probs, k); };
    const route = intentRoute({
      caller: (authorization) => gw.apiCaller(authorization),
      rate: () => ({ perMin: gw.config().channels.api.rate_per_min, burst: gw.config().channels.api.burst }),
      maxChars: () => gw.config().server.max_text_chars,
      top,
    });
    gw.publicJson('/v1/intent', route.handler);

    const isHandoffRequest = (text: string, intent?: string) => {
      if (intent === HANDOFF_INTENT) return true;
      const t = text.normalize('NFKC').toLowerCase();
      return ai().handoff_keywords.some((k) => k && t.includes(k.toLowerCase()));
    };

    // Scoring runs in `ingest`, just before the core stores the message, so the intent is written
    // with the message in the same INSERT (no second write per message); it costs the sender tens
    // of microseconds before the ack. The `classify` stage stays free for other classifiers.
    gw.use('ingest', async (ctx, next) => {
      const text = textOf(ctx.message.content);
      if (ai().enabled && ctx.message.content.kind === 'text' && text.trim()) {
        const s = await score(text);
        const p = s && bestOf(s.labels, s.probs);
        if (p) {
          const intent = { label: p.label, score: Math.round(p.score * 1e4) / 1e4 };
          ctx.message.intent = intent;
          ctx.conversation.intent = intent;
        }
      }
      await next();
    });

    gw.use('decide', async (ctx, next) => {
      const conv = ctx.conversation;
      const cfg = ai();
      // A human is in charge (or about to be): the bot stays out of it.
      if (ctx.handled || !cfg.enabled || conv.status === 'queued' || conv.status === 'assigned' || ctx.message.content.kind !== 'text') return next();
      const text = textOf(ctx.message.content);
      const intent = ctx.message.intent;
      const bot = { id: 'bot', role: 'bot' as const, name: cfg.bot_name };
      const reply = async (t: string) => {
        const delay = pacingDelayMs(clock.now(), cfg.pacing, gw.config().routing.timezone);
        if (delay > 0) await clock.sleep(delay);
        await gw.send({ conversationId: conv.id, from: bot, content: { kind: 'text', text: t } });
      };
      if (isHandoffRequest(text, intent?.label)) {
        // aiWeight = 1 - requests/handoff_after; counted as an integer so float steps cannot miss 0.
        const requests = Math.round((1 - conv.aiWeight) * cfg.handoff_after) + 1;
        const weight = Math.max(0, 1 - requests / cfg.handoff_after);
        if (requests >= cfg.handoff_after) {
          await gw.bus.updateConversation(conv, { aiWeight: 0, priority: Math.max(conv.priority, cfg.handoff_priority) }, 'updated');
          await gw.send({ conversationId: conv.id, from: { id: 'system', role: 'system', name: 'kefu' }, content: { kind: 'event', event: 'handoff', text: cfg.handoff_notice } });
          return next(); // not handled: route queues it for a human
        }
        await setBot(conv, { aiWeight: weight });
        await reply(cfg.handoff_reply);
        ctx.handled = true;
        return next();
      }
      const answer = intent && intent.score >= cfg.threshold ? cfg.answers[intent.label] : undefined;
      if (answer && conv.aiWeight > 0) {
        await setBot(conv, { aiWeight: 1 }); // "in a row": an answered question resets the count
        await reply(answer.replaceAll('{name}', conv.customer.name ?? '').replaceAll('{intent}', intent!.label).replaceAll('{bot}', cfg.bot_name));
        ctx.handled = true;
      }
      return next();
    });

    async function setBot(conv: Conversation, patch: Partial<Conversation>): Promise<void> {
      await gw.bus.updateConversation(conv, { ...patch, status: 'bot' }, 'updated');
    }

    gw.provide('intent', { classify: async (text: string) => { const s = await score(text); return s && bestOf(s.labels, s.probs); }, top, holder });
    return async () => {
      route.close();
      if (synonymsFile) unwatchFile(synonymsFile);
      await holder.close();
    };
  },
});

import { createRequire } from 'node:module';

/**
 * Terms of a message for the word cloud: Chinese runs segmented with jieba (@node-rs/jieba, the
 * native port), Latin words lowercased, stop words and one-character noise dropped.
 */
const require = createRequire(import.meta.url);
let jieba: { cut(text: string, hmm?: boolean): string[] } | undefined;
function cutter() {
  if (!jieba) {
    const { Jieba } = require('@node-rs/jieba');
    const { dict } = require('@node-rs/jieba/dict');
    jieba = Jieba.withDict(dict);
  }
  return jieba!;
}

const STOP_ZH = new Set(('的 了 吗 呢 吧 啊 呀 哦 嗯 我 你 他 她 它 我们 你们 他们 是 在 有 和 就 都 也 还 要 想 请 请问 一下 一个 这个 那个 怎么 什么 为什么 可以 能 会 不 没 没有 好 好的 '
  + '到 去 来 给 对 把 被 让 从 向 跟 说 看 用 这 那 哪 哪里 吗 么 啦 哈 嘛 谢谢 您好 你好 亲 在吗 客服 一 二 三 个 些 点 下 上 里 中 后 前 时候 现在 已经 还是 或者 然后 因为 所以 但是 如果').split(' '));
const STOP_EN = new Set(('a an the i me my we our you your he she it its they them their is are was were be been being am do does did have has had '
  + 'to of in on at for with from by about as into and or but if so not no yes this that these those what which who how why when where can could '
  + 'will would should please hi hello hey thanks thank ok okay there here just get got want need like any some all my me im dont two one real back still know').split(' '));

const CJK = /[\u3400-\u9fff]/;

export function terms(text: string): string[] {
  const out: string[] = [];
  for (const part of text.normalize('NFKC').toLowerCase().match(/[\u3400-\u9fff]+|[a-z][a-z0-9'-]+/g) ?? []) {
    if (CJK.test(part)) {
      for (const w of cutter().cut(part, true)) if (w.length > 1 && !STOP_ZH.has(w)) out.push(w);
    } else if (part.length > 2 && !STOP_EN.has(part)) {
      out.push(part);
    }
  }
  return out;
}

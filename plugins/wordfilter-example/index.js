// An example of a plugin published as its own npm package. It only uses the documented
// contract (docs/plugins.md): a default export { name, setup(gw, options) }.
// Config:  [[plugins]]  name = "kefu-plugin-wordfilter"  options = { words = ["badword"], mask = "***" }

/** @param {string} s */
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export default {
  name: 'wordfilter',
  /**
   * @param {import('../contract.js').GatewayApi} gw
   * @param {{ words?: string[], mask?: string }} options
   */
  setup(gw, options) {
    const words = (options.words ?? []).filter((w) => typeof w === 'string' && w.length > 0);
    if (words.length === 0) return;
    const pattern = new RegExp(words.map(escape).join('|'), 'giu');
    const mask = options.mask ?? '***';
    // ingest runs before the message is stored: what we change here is what gets stored.
    gw.use('ingest', async (ctx, next) => {
      const c = ctx.message.content;
      if (c.kind === 'text') ctx.message.content = { kind: 'text', text: c.text.replace(pattern, mask) };
      await next();
    });
  },
};

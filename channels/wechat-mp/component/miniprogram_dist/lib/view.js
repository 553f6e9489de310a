/**
 * The session's messages as what the WXML shows: plain values only (WXML has no functions),
 * text always as text (nothing a user or agent sends is ever rendered as markup).
 */
var fill = require('./i18n.js').fill;
var MAX_ITEMS = 300;

function mediaUrl(server, a) { return server + '/media/' + encodeURIComponent(a.mediaId); }

/** The digit a customer's reply starts with, as the gateway reads a rating (1–5; not 10 or 4.5). */
function ratingOf(m) {
  var c = m.content || {};
  if (m.direction !== 'inbound' || c.kind !== 'text') return 0;
  var d = /^\s*([1-5])(?![\d.,]\d)(?!\d)/.exec(c.text || '');
  return d ? Number(d[1]) : 0;
}

function itemOf(m, server, t, i, rated) {
  var c = m.content || {};
  var base = { key: m.id, anchor: 'kefu-m' + i, mine: m.direction === 'inbound', pending: !!m.pending, failed: !!m.failed };
  var who = (m.from && m.from.name) || t.agent;
  base.initial = who.slice(0, 1).toUpperCase();
  // The satisfaction survey: five rating buttons (or the rating given), answered as the customer's reply.
  if (c.kind === 'event' && c.event === 'csat' && c.survey) {
    return Object.assign(base, { kind: 'survey', text: String(c.survey.question || ''), rated: rated || 0,
      ratedText: rated ? fill(t.rated, { n: rated }) : '', ratings: [1, 2, 3, 4, 5] });
  }
  if (c.kind === 'event') return Object.assign(base, { kind: 'event', text: c.event === 'deleted' ? '—' : (c.text || '') });
  if (c.kind === 'text') return Object.assign(base, { kind: 'text', text: c.text });
  var local = m.local || {};
  var a = (c.attachments || [])[0];
  var kind = a ? (a.kind === 'image' ? 'image' : a.kind === 'voice' ? 'voice' : 'file') : local.kind;
  var src = a ? mediaUrl(server, a) : local.filePath;
  var seconds = local.duration ? Math.max(1, Math.round(local.duration / 1000)) : 0;
  return Object.assign(base, { kind: kind, src: src, seconds: seconds, caption: c.caption || '', text: a ? (a.name || t.image) : '' });
}

/** State → the component's data (one setData per change). */
function viewOf(s, t) {
  var list = s.list();
  if (list.length > MAX_ITEMS) list = list.slice(list.length - MAX_ITEMS);
  var items = list.filter(function (m) { return !(m.content && m.content.kind === 'event' && !m.content.text); })
    .map(function (m, i, all) {
      var rated = 0;
      if (m.content && m.content.event === 'csat') {
        for (var k = i + 1; k < all.length && !rated; k++) rated = ratingOf(all[k]);
      }
      return itemOf(m, s.server, t, i, rated);
    });
  var q = s.queueState;
  var typing = s.typing && s.typing.until > Date.now() ? fill(t.typing, { name: s.typing.name || t.agent }) : '';
  return {
    items: items,
    connected: s.connected,
    offline: s.connected && s.online === 0,
    queueText: q ? (q.open ? fill(t.queue, { n: q.position, m: Math.max(1, Math.round(q.etaSeconds / 60)) }) : t.closed) : '',
    typingText: typing,
    scrollTo: 'kefu-end',
  };
}

module.exports = { viewOf: viewOf, itemOf: itemOf, ratingOf: ratingOf };

import type { Report } from './analyze.js';

/**
 * The report: one self-contained HTML file (inline CSS, charts as inline SVG drawn here, no
 * script, no network). Every label passes through esc(): log text is data, never markup.
 */
const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const PALETTE = ['#2f6fed', '#e5484d', '#30a46c', '#f76b15', '#8e4ec6', '#0091ff', '#d6409f', '#12a594', '#ab6400', '#5b5bd6', '#889096', '#c2298a'];
const fmtInt = (n: number) => n.toLocaleString('en-US');
const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : '–');
const fmtDur = (s: number) => (s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${(s / 3600).toFixed(1)}h`);

/** Word cloud: biggest first, each placed on an Archimedean spiral at the first spot free of overlaps. */
export function wordCloud(words: Report['words'], colorOf: (intent: string) => string, W = 760, H = 380): string {
  if (words.length === 0) return `<svg class="cloud" viewBox="0 0 ${W} ${H}"><text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#8a919c">no customer messages matched</text></svg>`;
  const max = words[0].n, min = words[words.length - 1].n;
  const placed: { x: number; y: number; w: number; h: number }[] = [];
  const out: string[] = [];
  for (const w of words) {
    const size = Math.round(13 + (max === min ? 1 : Math.sqrt((w.n - min) / (max - min))) * 42);
    const width = [...w.term].reduce((s, ch) => s + (/[\u3400-\u9fff]/.test(ch) ? 1 : 0.58), 0) * size;
    const height = size * 1.05;
    for (let t = 0; t < 2400; t += 1) {
      const a = 0.18 * t, rad = 2.2 * a;
      const x = W / 2 + rad * Math.cos(a) * 1.6 - width / 2, y = H / 2 + rad * Math.sin(a) - height / 2;
      if (x < 4 || y < 4 || x + width > W - 4 || y + height > H - 4) continue;
      if (placed.some((p) => x < p.x + p.w && x + width > p.x && y < p.y + p.h && y + height > p.y)) continue;
      placed.push({ x, y, w: width, h: height });
      out.push(`<text x="${(x + width / 2).toFixed(1)}" y="${(y + height * 0.82).toFixed(1)}" font-size="${size}" fill="${colorOf(w.intent)}" text-anchor="middle"><title>${esc(w.term)} · ${fmtInt(w.n)} · ${esc(w.intent)}</title>${esc(w.term)}</text>`);
      break;
    }
  }
  return `<svg class="cloud" viewBox="0 0 ${W} ${H}" role="img" aria-label="intent word cloud">${out.join('')}</svg>`;
}

function hbars(items: { label: string; value: number; note?: string; color?: string }[], width = 460): string {
  const max = Math.max(1, ...items.map((i) => i.value));
  const rowH = 26, labelW = 120;
  const rows = items.map((it, i) => {
    const w = ((width - labelW - 90) * it.value) / max;
    return `<g transform="translate(0 ${i * rowH})"><text x="${labelW - 8}" y="17" text-anchor="end" class="lbl">${esc(it.label)}</text>`
      + `<rect x="${labelW}" y="5" width="${Math.max(1, w).toFixed(1)}" height="16" rx="3" fill="${it.color ?? '#2f6fed'}"><title>${esc(it.label)}: ${fmtInt(it.value)}</title></rect>`
      + `<text x="${labelW + w + 6}" y="17" class="val">${esc(it.note ?? fmtInt(it.value))}</text></g>`;
  });
  return `<svg class="chart" viewBox="0 0 ${width} ${Math.max(1, items.length) * rowH + 6}">${rows.join('')}</svg>`;
}

function vbars(values: number[], labels: string[], width = 460, height = 170, color = '#2f6fed'): string {
  const max = Math.max(1, ...values);
  const bw = (width - 30) / values.length;
  const bars = values.map((v, i) => {
    const h = ((height - 34) * v) / max;
    return `<rect x="${(20 + i * bw + 1).toFixed(1)}" y="${(height - 20 - h).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${Math.max(0.5, h).toFixed(1)}" rx="2" fill="${color}"><title>${esc(labels[i])}: ${fmtInt(v)}</title></rect>`
      + (values.length <= 12 || i % 3 === 0 ? `<text x="${(20 + i * bw + bw / 2).toFixed(1)}" y="${height - 5}" text-anchor="middle" class="tick">${esc(labels[i])}</text>` : '');
  });
  return `<svg class="chart" viewBox="0 0 ${width} ${height}"><line x1="20" x2="${width - 10}" y1="${height - 20}" y2="${height - 20}" stroke="#d4d8df"/>${bars.join('')}</svg>`;
}

/** One table of satisfaction by a dimension: rated conversations, mean rating, share of 4–5, the 1–5 spread. */
function csatTable(title: string, rows: Report['csat']['byQueue']): string {
  const body = rows.slice(0, 15).map((g) => `<tr><td>${esc(g.key)}</td><td class="n">${fmtInt(g.rated)}</td><td class="n">${g.average.toFixed(2)}</td><td class="n">${pct(g.satisfied * g.rated, g.rated)}</td><td class="n">${g.dist.join(' / ')}</td></tr>`).join('');
  return `<section><h2>${esc(title)}</h2><table><tr><th></th><th class="n">Rated</th><th class="n">Average</th><th class="n">4–5</th><th class="n">1 / 2 / 3 / 4 / 5</th></tr>${body || '<tr><td colspan="5">no ratings</td></tr>'}</table></section>`;
}

export function renderReport(r: Report, meta: { input: string; filter?: string; generatedAt: Date }): string {
  const intentNames = r.intents.map(([i]) => i);
  const colorOf = (intent: string) => PALETTE[Math.max(0, intentNames.indexOf(intent)) % PALETTE.length];
  const customerMsgs = r.messages.customer ?? 0;
  const kpis = [
    ['Messages', fmtInt(r.matched)], ['Conversations', fmtInt(r.conversations)], ['Customer messages', fmtInt(customerMsgs)],
    ['Handed to a human', pct(r.handedOff, r.conversations)], ['Median session', fmtDur(r.medianDurationS)], ['Intents seen', fmtInt(r.intents.length)],
    ['CSAT (4–5)', r.csat.rated ? `${pct(r.csat.satisfied * r.csat.rated, r.csat.rated)} · ${r.csat.average.toFixed(2)}` : '–'],
  ];
  const legend = r.intents.slice(0, 12).map(([i], k) => `<span><i style="background:${PALETTE[k % PALETTE.length]}"></i>${esc(i)}</span>`).join('');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>kefu · conversation report</title>
<style>
*{box-sizing:border-box}body{margin:0;background:#f3f5f8;color:#1d2433;font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif}
header{background:#111a2e;color:#fff;padding:22px 36px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;opacity:.75;font-size:13px}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px;display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:20px}
.kpis{grid-column:1/-1;display:grid;grid-template-columns:repeat(7,1fr);gap:14px}.kpi{background:#fff;border-radius:12px;padding:14px 16px;box-shadow:0 1px 2px rgba(16,24,40,.06)}
.kpi b{display:block;font-size:24px;font-weight:700}.kpi span{color:#69707d;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
section{background:#fff;border-radius:12px;padding:18px 20px;box-shadow:0 1px 2px rgba(16,24,40,.06);min-width:0}section.wide{grid-column:1/-1}
h2{font-size:15px;margin:0 0 12px}svg{width:100%;height:auto;display:block}.cloud text{font-weight:600}
.lbl,.val,.tick{font-size:12px;fill:#4a5261}.val{fill:#69707d}.legend{display:flex;flex-wrap:wrap;gap:6px 14px;font-size:12px;color:#4a5261;margin-top:8px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:3px;margin-right:5px;vertical-align:-1px}
table{width:100%;border-collapse:collapse;font-size:13px}th{text-align:left;color:#69707d;font-weight:600;border-bottom:1px solid #e1e4ea;padding:6px 8px}td{padding:6px 8px;border-bottom:1px solid #f0f1f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
footer{grid-column:1/-1;color:#8a919c;font-size:12px;text-align:center}
@media (max-width:900px){main{grid-template-columns:1fr}.kpis{grid-template-columns:repeat(2,1fr)}}
</style></head><body>
<header><h1>Conversation report · 会话分析报告</h1><p>${esc(meta.input)}${meta.filter ? ` · filter: ${esc(meta.filter)}` : ''} · ${esc(r.range.from?.slice(0, 16).replace('T', ' ') ?? '')} – ${esc(r.range.to?.slice(0, 16).replace('T', ' ') ?? '')} · ${fmtInt(r.matched)} of ${fmtInt(r.rows)} rows</p></header>
<main>
<div class="kpis">${kpis.map(([k, v]) => `<div class="kpi"><b>${esc(v)}</b><span>${esc(k)}</span></div>`).join('')}</div>
<section class="wide"><h2>What customers ask about · 用户意图词云</h2>${wordCloud(r.words, colorOf)}<div class="legend">${legend}</div></section>
<section><h2>Intent distribution · 意图分布</h2>${hbars(r.intents.slice(0, 12).map(([i, n]) => ({ label: i, value: n, note: `${fmtInt(n)} · ${pct(n, customerMsgs)}`, color: colorOf(i) })))}</section>
<section><h2>Hand-off to a human by intent · 转人工率</h2>${hbars(r.handoffByIntent.slice(0, 12).map((h) => ({ label: h.intent, value: h.conversations ? (100 * h.handedOff) / h.conversations : 0, note: `${pct(h.handedOff, h.conversations)} of ${fmtInt(h.conversations)}`, color: colorOf(h.intent) })))}</section>
<section><h2>Volume by hour · 每小时消息量</h2>${vbars(r.byHour, r.byHour.map((_, h) => `${h}`))}</section>
<section><h2>Volume by weekday · 每周分布</h2>${vbars(r.byWeekday, ['Sun 日', 'Mon 一', 'Tue 二', 'Wed 三', 'Thu 四', 'Fri 五', 'Sat 六'], 460, 170, '#30a46c')}</section>
<section><h2>Session duration · 会话时长</h2>${vbars(r.durations.map((d) => d.n), r.durations.map((d) => d.label), 460, 170, '#8e4ec6')}</section>
<section><h2>By channel · 渠道</h2><table><tr><th>Channel</th><th class="n">Messages</th><th class="n">Conversations</th><th class="n">Handed off</th></tr>
${r.channels.map((c) => `<tr><td>${esc(c.channel)}</td><td class="n">${fmtInt(c.messages)}</td><td class="n">${fmtInt(c.conversations)}</td><td class="n">${pct(c.handedOff, c.conversations)}</td></tr>`).join('')}</table></section>
<section class="wide"><h2>Satisfaction · 满意度 (CSAT)</h2><p>${fmtInt(r.csat.rated)} of ${fmtInt(r.conversations)} conversations rated · average ${r.csat.rated ? r.csat.average.toFixed(2) : '–'} of 5 · ${r.csat.rated ? pct(r.csat.satisfied * r.csat.rated, r.csat.rated) : '–'} rated 4 or 5</p></section>
${csatTable('CSAT by queue · 按队列', r.csat.byQueue)}
${csatTable('CSAT by channel · 按渠道', r.csat.byChannel)}
${csatTable('CSAT by agent · 按客服', r.csat.byAgent)}
${csatTable('CSAT by intent · 按意图', r.csat.byIntent)}
<section class="wide"><h2>Top questions the bot could not answer · 机器人未能解决的问题</h2><table><tr><th>First question of conversations that went to a human</th><th class="n">Times</th></tr>
${r.unanswered.map((u) => `<tr><td>${esc(u.text)}</td><td class="n">${fmtInt(u.n)}</td></tr>`).join('') || '<tr><td colspan="2">none</td></tr>'}</table></section>
<footer>Generated by kefu analyze · ${esc(meta.generatedAt.toISOString().slice(0, 19).replace('T', ' '))} UTC</footer>
</main></body></html>
`;
}

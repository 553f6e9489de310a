export const CSS = `
* { box-sizing: border-box; } html, body, #app { margin: 0; height: 100%; }
body { font: 14px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", "PingFang SC", "Microsoft YaHei", Roboto, sans-serif; color: #1d2433; background: #eef0f4; }
button { font: inherit; cursor: pointer; border-radius: 8px; border: 1px solid #d4d8df; background: #fff; padding: 6px 12px; color: #1d2433; }
button.primary { background: #2f6fed; border-color: #2f6fed; color: #fff; font-weight: 600; } button:disabled { opacity: .5; cursor: default; }
select, input, textarea { font: inherit; border: 1px solid #d4d8df; border-radius: 8px; padding: 7px 10px; background: #fff; color: inherit; }
.login { display: grid; place-items: center; height: 100%; background: linear-gradient(135deg, #1e3a8a, #2f6fed); }
.login form { background: #fff; padding: 36px; border-radius: 16px; width: 340px; display: flex; flex-direction: column; gap: 12px; box-shadow: 0 20px 60px rgba(0,0,0,.25); }
.login h1 { margin: 0 0 8px; font-size: 22px; } .login .err { color: #b42318; min-height: 20px; font-size: 13px; }
.shell { display: grid; grid-template-rows: 52px 1fr; height: 100%; }
.bar { background: #111a2e; color: #fff; display: flex; align-items: center; gap: 16px; padding: 0 18px; }
.bar .brand { font-weight: 700; font-size: 17px; letter-spacing: .02em; } .bar .brand span { color: #7aa2ff; }
.bar .grow { flex: 1; } .bar select { background: #1d2945; color: #fff; border-color: #2c3a5c; }
.bar .brand i { font-style: normal; } .bar .narrow { display: none; }
.bar .conn { font-size: 12px; opacity: .8; } .bar .conn.down { color: #ffb020; opacity: 1; }
.main { display: grid; grid-template-columns: 320px minmax(0, 1fr) 280px; min-height: 0; }
.list { background: #fff; border-right: 1px solid #e1e4ea; display: flex; flex-direction: column; min-height: 0; }
.tabs { display: flex; border-bottom: 1px solid #e1e4ea; } .tabs button { flex: 1; border: 0; border-radius: 0; padding: 12px 4px; background: none; color: #5b6372; border-bottom: 2px solid transparent; }
.tabs button.on { color: #2f6fed; border-bottom-color: #2f6fed; font-weight: 600; }
.items { overflow-y: auto; flex: 1; } .empty { color: #8a919c; padding: 28px 20px; text-align: center; }
/* minmax(0, 1fr) and min-width: 0: a long preview must shrink (ellipsis), never push the time column out. */
.item { padding: 12px 16px; border-bottom: 1px solid #f0f1f4; cursor: pointer; display: grid; grid-template-columns: 36px minmax(0, 1fr) auto; gap: 10px; align-items: center; }
.item .text { min-width: 0; }
.item:hover { background: #f6f8fb; } .item.on { background: #eaf1ff; }
.avatar { width: 36px; height: 36px; border-radius: 50%; display: grid; place-items: center; color: #fff; font-weight: 600; font-size: 13px; }
.item .name { font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; } .item .sub { color: #69707d; font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.item .when { text-align: right; font-size: 11px; color: #8a919c; white-space: nowrap; } .unread { background: #e5484d; color: #fff; border-radius: 9px; padding: 0 6px; font-size: 11px; font-weight: 600; }
.chip { display: inline-block; font-size: 11px; border-radius: 6px; padding: 1px 6px; background: #eef0f4; color: #4a5261; margin-right: 4px; }
.chip.queued { background: #fff4d6; color: #8a5a00; } .chip.assigned { background: #e3f5e8; color: #17663a; } .chip.bot { background: #efe7fd; color: #5b21b6; } .chip.resolved { background: #eef0f4; color: #69707d; }
.chat { display: flex; flex-direction: column; min-height: 0; min-width: 0; background: #f6f7f9; }
.chat .head { background: #fff; border-bottom: 1px solid #e1e4ea; padding: 12px 18px; display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.chat .head .back { display: none; font-size: 20px; line-height: 1; padding: 4px 10px; }
.chat .head .who { font-weight: 600; font-size: 15px; } .chat .head .grow { flex: 1; }
.log { flex: 1; overflow-y: auto; padding: 18px 22px; display: flex; flex-direction: column; gap: 8px; }
.msg { max-width: 70%; display: flex; flex-direction: column; } .msg.agent, .msg.bot { align-self: flex-end; align-items: flex-end; } .msg.customer { align-self: flex-start; }
.msg .body { padding: 9px 13px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.customer .body { background: #fff; border: 1px solid #e1e4ea; border-bottom-left-radius: 4px; }
.msg.agent .body { background: #2f6fed; color: #fff; border-bottom-right-radius: 4px; } .msg.bot .body { background: #7c3aed; color: #fff; }
.msg.private .body { background: #fff8db; color: #5c4a00; border: 1px dashed #e0c45c; }
.msg .meta { font-size: 11px; color: #8a919c; margin: 2px 4px; display: flex; flex-wrap: wrap; align-items: center; justify-content: flex-end; gap: 0 6px; }
.msg.customer .meta { justify-content: flex-start; }
/* Delivery to push channels: clock, one tick, two ticks, two blue ticks; failed is a red line with Retry. */
.dlv-slot { display: contents; } .dlv { display: inline-flex; align-items: center; gap: 3px; white-space: nowrap; } .dlv.read { color: #2f6fed; } .dlv.delivered { color: #5b6372; }
.dicon { width: 13px; height: 12px; flex: none; fill: none; stroke: currentColor; stroke-width: 1.7; stroke-linecap: round; stroke-linejoin: round; } .dicon.ticks { width: 17px; }
.dlv.failed { flex-basis: 100%; display: flex; flex-wrap: wrap; justify-content: flex-end; align-items: center; gap: 4px 8px; margin-top: 3px; color: #b42318; font-size: 12px; white-space: normal; }
.dlv.failed .reason { display: inline-flex; align-items: center; gap: 4px; font-weight: 500; text-align: right; } .dlv.failed .dicon { width: 14px; height: 14px; }
.dlv .retry { padding: 2px 10px; font-size: 12px; border-radius: 6px; border-color: #f4b8b2; color: #b42318; background: #fff; font-weight: 600; } .dlv .retry:hover:not(:disabled) { background: #fef3f2; }
.dlv .retry-err { flex-basis: 100%; text-align: right; }
.msg.undelivered .body { box-shadow: 0 0 0 2px #fda29b; }
.msg .body.media { padding: 6px; } .msg .atts { display: flex; flex-direction: column; gap: 6px; } .msg .caption { padding: 4px 7px 2px; }
/* width/height attributes give the aspect ratio; height: auto keeps it while max-width scales the box. */
.msg img { display: block; max-width: min(260px, 100%); height: auto; max-height: 260px; object-fit: contain; border-radius: 8px; background: rgba(0,0,0,.06); }
.file { display: flex; align-items: center; gap: 10px; min-width: 200px; max-width: 300px; padding: 8px 10px; border-radius: 10px; background: #f3f5f9; border: 1px solid #e1e4ea; color: #1d2433; text-decoration: none; }
.file:hover { background: #eaf1ff; } .file .ficon { flex: none; width: 38px; height: 38px; border-radius: 8px; background: #2f6fed; color: #fff; display: grid; place-items: center; font-size: 10px; font-weight: 700; }
.file .finfo { display: flex; flex-direction: column; min-width: 0; } .file .fname { font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; } .file .fsize { font-size: 12px; color: #5b6372; }
.event { align-self: center; font-size: 12px; color: #69707d; background: #e8eaef; padding: 3px 10px; border-radius: 10px; }
.typing { padding: 2px 22px 6px; color: #69707d; font-size: 12px; min-height: 20px; }
.composer { background: #fff; border-top: 1px solid #e1e4ea; padding: 10px 14px; display: flex; gap: 8px; align-items: flex-end; }
.composer textarea { flex: 1; resize: none; min-height: 40px; max-height: 160px; } .composer label { font-size: 12px; color: #5b6372; display: flex; gap: 4px; align-items: center; }
[hidden] { display: none !important; }
/* SMS: segment counter under the reply box, opt-out badge and hint; e-mail: subject header, folded quote. */
.segments { background: #fff; padding: 0 14px 8px; margin-top: -4px; font-size: 12px; color: #5b6372; font-variant-numeric: tabular-nums; text-align: right; }
.chip.ticket-open { background: #fff4d6; color: #8a5a00; } .chip.ticket-pending { background: #e6f0ff; color: #1d4ed8; } .chip.ticket-solved { background: #eef0f4; color: #69707d; }
.canned-picker { list-style: none; margin: 0 10px; padding: 4px 0; border: 1px solid #d9dde3; border-radius: 8px; background: #fff; max-height: 260px; overflow: auto; box-shadow: 0 4px 14px rgba(0,0,0,.08); }
.canned-picker li { padding: 6px 10px; cursor: pointer; } .canned-picker li.sel { background: #eef4ff; } .canned-picker li .title { margin: 0 6px; } .canned-picker li .dim { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.canned-manager { width: min(900px, 96vw); border: 1px solid #d9dde3; border-radius: 10px; } .canned-manager td.text { white-space: pre-wrap; max-width: 360px; }
.canned-add { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 10px; } .canned-add textarea { flex-basis: 100%; }
.chip.opted-out { background: #fee4e2; color: #b42318; font-weight: 600; } .item .badges { margin: 1px 0; }
.optout-hint { background: #fef3f2; color: #912018; border-top: 1px solid #fecdca; padding: 8px 16px; font-size: 13px; }
.chat .head .who.subject { display: flex; flex-direction: column; min-width: 0; max-width: 60%; } .who.subject .title { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.who.subject .from { font-weight: 400; font-size: 12px; color: #69707d; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.quoted { padding: 2px 7px 4px; } .quoted-toggle { padding: 2px 10px; font-size: 12px; border-radius: 6px; color: #2f6fed; }
.quoted-text { margin: 6px 0 0; padding: 8px 10px; border-left: 3px solid #d4d8df; background: #f6f7f9; color: #4a5261; font-family: inherit; font-size: 12.5px; line-height: 1.45; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 320px; overflow-y: auto; }
.placeholder { margin: auto; color: #8a919c; text-align: center; }
.side { background: #fff; border-left: 1px solid #e1e4ea; padding: 16px; overflow-y: auto; } .side h3 { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: #8a919c; margin: 18px 0 8px; }
.side dl { margin: 0; display: grid; grid-template-columns: 90px 1fr; gap: 6px; font-size: 13px; } .side dt { color: #8a919c; } .side dd { margin: 0; word-break: break-all; }
.agent-row { display: flex; justify-content: space-between; font-size: 13px; padding: 4px 0; } .dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; background: #c2c7d0; }
.dot.online { background: #30a46c; } .dot.away { background: #f5a524; }
.sup { padding: 18px 22px; overflow: auto; } .sup table { width: 100%; border-collapse: collapse; background: #fff; border-radius: 10px; overflow: hidden; }
.sup th { text-align: left; font-size: 12px; color: #69707d; font-weight: 600; padding: 10px 12px; background: #f6f7f9; border-bottom: 1px solid #e1e4ea; }
.sup td { padding: 10px 12px; border-bottom: 1px solid #f0f1f4; vertical-align: top; font-size: 13px; } .sup .num { font-variant-numeric: tabular-nums; }
.sup img.qr { display: block; margin: 8px 0 4px; image-rendering: pixelated; background: #fff; } .sup code { word-break: break-all; }
.sup h3 { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: #8a919c; margin: 24px 0 8px; }
.cdot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 7px; background: #c2c7d0; vertical-align: 1px; }
.cstate.ok .cdot { background: #30a46c; } .cstate.warn .cdot { background: #f5a524; } .cstate.bad .cdot { background: #e5484d; } .cstate.bad { color: #b42318; font-weight: 600; } .cstate.warn { color: #8a5a00; }
.late { color: #b42318; font-weight: 600; } .dim { color: #8a919c; font-size: 11.5px; }
.toast { position: fixed; bottom: 20px; left: 50%; transform: translateX(-50%); background: #111a2e; color: #fff; padding: 10px 16px; border-radius: 10px; font-size: 13px; }
/* Narrow screens: the side panel goes first, then one pane at a time (list, or the open conversation with a back button). */
.chat .head .info, .side .side-close { display: none; }
@media (max-width: 980px) { .main { grid-template-columns: 280px minmax(0, 1fr); } .side { display: none; }
  .chat .head .info { display: inline-block; padding: 4px 9px; }
  /* ⓘ in the chat head: the side panel over the conversation, under the bar; × (or opening a conversation) closes it. */
  .shell.side-open .side { display: block; position: fixed; top: 52px; left: 0; right: 0; bottom: 0; z-index: 20; border-left: 0; }
  .shell.side-open .side .side-close { display: block; margin-left: auto; font-size: 18px; padding: 2px 12px; } }
@media (max-width: 760px) {
  .bar { gap: 8px; padding: 0 10px; } .bar .me { display: none; } .bar button, .bar select { padding: 5px 8px; white-space: nowrap; }
  .bar .brand { font-size: 15px; white-space: nowrap; } .list { border-right: 0; } .bar .wide { display: none; } .bar .narrow { display: inline; }
  .main { grid-template-columns: minmax(0, 1fr); }
  .shell.has-conv .list, .shell:not(.has-conv) .main > .chat { display: none; }
  .chat .head { padding: 8px 10px; gap: 6px; } .chat .head .back { display: inline-block; }
  .log { padding: 12px; } .msg { max-width: 88%; }
  .composer { flex-wrap: wrap; padding: 8px; } .composer textarea { flex-basis: 100%; order: -1; }
}
`;

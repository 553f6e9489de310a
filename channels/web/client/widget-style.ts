// The accent is a custom property so the colour from the server's answer can be applied after
// the launcher is already on screen (set on the host element, it wins over the :host default).
export const STYLE = `
:host { all: initial; --kefu-accent: #2f6fed; }
* { box-sizing: border-box; font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "PingFang SC", "Microsoft YaHei", Roboto, sans-serif; }
.launcher { position: fixed; right: 24px; bottom: 24px; width: 60px; height: 60px; border-radius: 50%; border: 0; cursor: pointer;
  background: var(--kefu-accent); color: #fff; box-shadow: 0 6px 24px rgba(0,0,0,.22); display: grid; place-items: center; z-index: 2147483000;
  transition: transform .15s ease; -webkit-tap-highlight-color: transparent; }
.launcher:hover { transform: scale(1.06); }
.launcher.hidden { display: none; }
.badge { position: absolute; top: -2px; right: -2px; min-width: 20px; height: 20px; padding: 0 6px; border-radius: 10px; background: #e5484d;
  color: #fff; font-size: 12px; line-height: 20px; font-weight: 600; }
.panel { position: fixed; right: 24px; bottom: 24px; width: 370px; height: min(600px, calc(100vh - 48px)); background: #fff; border-radius: 16px;
  box-shadow: 0 12px 48px rgba(16,24,40,.24); display: flex; flex-direction: column; overflow: hidden; z-index: 2147483000; color: #1d2433; }
.panel[hidden] { display: none; }
header { background: var(--kefu-accent); color: #fff; padding: 16px 18px; display: flex; align-items: center; justify-content: space-between; gap: 8px; flex: none; }
header > div { min-width: 0; }
.title { font-size: 16px; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.status { font-size: 12px; opacity: .92; margin-top: 3px; display: flex; align-items: center; gap: 6px; }
.status i { width: 8px; height: 8px; border-radius: 50%; background: #f5a524; display: inline-block; }
.status.online i { background: #46d160; }
.close { background: transparent; border: 0; color: #fff; font-size: 26px; line-height: 1; cursor: pointer; opacity: .85; flex: none; }
.log { flex: 1; overflow-y: auto; overscroll-behavior: contain; padding: 16px 14px; background: #f6f7f9; display: flex; flex-direction: column; gap: 8px; }
.msg { max-width: 78%; display: flex; flex-direction: column; }
.msg.me { align-self: flex-end; align-items: flex-end; }
.msg.them { align-self: flex-start; }
.who { font-size: 11px; color: #69707d; margin: 0 4px 2px; }
.body { padding: 9px 13px; border-radius: 16px; font-size: 14px; line-height: 1.45; white-space: pre-wrap; word-break: break-word; }
.me .body { background: var(--kefu-accent); color: #fff; border-bottom-right-radius: 4px; }
.them .body { background: #fff; border: 1px solid #e6e8ec; border-bottom-left-radius: 4px; }
.body.media { padding: 4px; display: flex; flex-direction: column; gap: 4px; }
.body img { display: block; max-width: 100%; max-height: 220px; height: auto; border-radius: 12px; background: rgba(0,0,0,.06); }
.image { display: block; }
.file { display: flex; align-items: center; gap: 10px; min-width: 200px; max-width: 260px; padding: 9px 10px; border-radius: 12px; text-decoration: none;
  color: inherit; background: #f3f5f8; }
.me .file { background: rgba(255,255,255,.16); }
.file .icon { flex: none; width: 36px; height: 36px; border-radius: 9px; display: grid; place-items: center; background: var(--kefu-accent); color: #fff; }
.me .file .icon { background: #fff; color: var(--kefu-accent); }
.file .info { flex: 1; min-width: 0; display: flex; flex-direction: column; }
.file .name { font-size: 14px; font-weight: 600; line-height: 1.3; overflow: hidden; overflow-wrap: anywhere; display: -webkit-box;
  -webkit-line-clamp: 2; -webkit-box-orient: vertical; }
.file .size { font-size: 12px; opacity: .7; margin-top: 1px; }
.file .dl { flex: none; opacity: .75; display: grid; }
.caption { padding: 3px 9px 5px; }
.meta { font-size: 10.5px; color: #8a919c; margin: 2px 4px 0; }
.greeting .body { box-shadow: 0 1px 2px rgba(16,24,40,.04); }
.sending .body { opacity: .7; }
.failed .body { background: #fde8e8; color: #9b1c1c; }
.event { align-self: center; font-size: 12px; color: #69707d; background: #eceef2; padding: 4px 10px; border-radius: 10px; text-align: center; max-width: 90%; }
.survey { align-self: stretch; background: #fff; border: 1px solid #e6e8ec; border-radius: 14px; padding: 12px; display: flex; flex-direction: column; gap: 8px; }
.survey .q { font-size: 14px; font-weight: 600; }
.survey .stars { display: flex; gap: 6px; }
.survey .star { flex: 1; min-height: 40px; border: 1px solid #d9dde3; border-radius: 10px; background: #f6f7f9; font-size: 16px; font-weight: 600; cursor: pointer; color: inherit; }
.survey .star:hover, .survey .star:focus-visible { background: var(--kefu-accent); color: #fff; border-color: var(--kefu-accent); outline: none; }
.survey .ends { display: flex; justify-content: space-between; font-size: 11px; color: #8a919c; }
.survey .comment { border: 1px solid #d9dde3; border-radius: 10px; padding: 8px 10px; font-size: 14px; outline: none; }
.survey .done { font-size: 13.5px; color: #17663a; }
@media (pointer: coarse) { .survey .comment { font-size: 16px; } .survey .star { min-height: 44px; } }
.queue { font-size: 12.5px; background: #eef4ff; color: #1e3a8a; padding: 8px 14px; border-top: 1px solid #dbe5fb; }
.typing { font-size: 12px; color: #69707d; padding: 4px 16px; background: #f6f7f9; }
.notice { font-size: 12.5px; background: #fff6e5; color: #7a4d00; padding: 8px 14px; border-top: 1px solid #f3e2bf; }
.composer { display: flex; align-items: flex-end; gap: 8px; padding: 10px 12px; border-top: 1px solid #e6e8ec; background: #fff; flex: none; }
textarea { flex: 1; min-width: 0; resize: none; border: 1px solid #d9dde3; border-radius: 10px; padding: 9px 11px; font-size: 14px; max-height: 120px; outline: none; }
textarea:focus { border-color: var(--kefu-accent); }
.attach { color: #69707d; cursor: pointer; padding: 8px 2px; display: grid; place-items: center; }
.send { background: var(--kefu-accent); color: #fff; border: 0; border-radius: 10px; padding: 9px 14px; font-size: 14px; font-weight: 600; cursor: pointer; }
footer { text-align: center; font-size: 10.5px; color: #a0a6b0; padding: 4px 0 8px; background: #fff; }
/* iOS zooms the page into any focused field under 16px: on touch screens the composer is 16px. */
@media (pointer: coarse) { textarea { font-size: 16px; } }
/* Phones: full screen, clear of notch and home indicator (env() is 0 unless the page has viewport-fit=cover). */
@media (max-width: 640px) {
  .launcher { right: calc(16px + env(safe-area-inset-right, 0px)); bottom: calc(16px + env(safe-area-inset-bottom, 0px)); width: 56px; height: 56px; }
  .panel { top: 0; left: 0; right: auto; bottom: auto; width: 100%; height: 100vh; height: 100dvh; border-radius: 0; box-shadow: none; }
  header { padding: calc(8px + env(safe-area-inset-top, 0px)) calc(6px + env(safe-area-inset-right, 0px)) 8px calc(16px + env(safe-area-inset-left, 0px)); min-height: 60px; }
  .close { width: 44px; height: 44px; border-radius: 50%; font-size: 30px; display: grid; place-items: center; }
  .close:active { background: rgba(255,255,255,.18); }
  .log { padding: 14px calc(12px + env(safe-area-inset-right, 0px)) 14px calc(12px + env(safe-area-inset-left, 0px)); }
  .msg { max-width: 84%; }
  .body { font-size: 15px; }
  .composer { padding: 8px calc(10px + env(safe-area-inset-right, 0px)) calc(8px + env(safe-area-inset-bottom, 0px)) calc(10px + env(safe-area-inset-left, 0px)); }
  textarea { font-size: 16px; border-radius: 20px; padding: 9px 14px; }
  .attach { width: 40px; height: 40px; padding: 0; }
  .send { height: 40px; border-radius: 20px; padding: 0 16px; font-size: 15px; }
  footer { display: none; }
}
`;

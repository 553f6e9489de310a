export const STYLE = `
:host { all: initial; }
* { box-sizing: border-box; font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "PingFang SC", "Microsoft YaHei", Roboto, sans-serif; }
.launcher { position: fixed; right: 24px; bottom: 24px; width: 60px; height: 60px; border-radius: 50%; border: 0; cursor: pointer;
  background: --accent-value; color: #fff; box-shadow: 0 6px 24px rgba(0,0,0,.22); display: grid; place-items: center; z-index: 2147483000;
  transition: transform .15s ease; }
.launcher:hover { transform: scale(1.06); }
.launcher.hidden { display: none; }
.badge { position: absolute; top: -2px; right: -2px; min-width: 20px; height: 20px; padding: 0 6px; border-radius: 10px; background: #e5484d;
  color: #fff; font-size: 12px; line-height: 20px; font-weight: 600; }
.panel { position: fixed; right: 24px; bottom: 24px; width: 370px; height: min(600px, calc(100vh - 48px)); background: #fff; border-radius: 16px;
  box-shadow: 0 12px 48px rgba(16,24,40,.24); display: flex; flex-direction: column; overflow: hidden; z-index: 2147483000; color: #1d2433; }
.panel[hidden] { display: none; }
@media (max-width: 480px) { .panel { right: 0; bottom: 0; width: 100vw; height: 100vh; border-radius: 0; } }
header { background: --accent-value; color: #fff; padding: 16px 18px; display: flex; align-items: center; justify-content: space-between; }
.title { font-size: 16px; font-weight: 600; }
.status { font-size: 12px; opacity: .92; margin-top: 3px; display: flex; align-items: center; gap: 6px; }
.status i { width: 8px; height: 8px; border-radius: 50%; background: #f5a524; display: inline-block; }
.status.online i { background: #46d160; }
.close { background: transparent; border: 0; color: #fff; font-size: 26px; line-height: 1; cursor: pointer; opacity: .85; }
.log { flex: 1; overflow-y: auto; padding: 16px 14px; background: #f6f7f9; display: flex; flex-direction: column; gap: 8px; }
.msg { max-width: 78%; display: flex; flex-direction: column; }
.msg.me { align-self: flex-end; align-items: flex-end; }
.msg.them { align-self: flex-start; }
.who { font-size: 11px; color: #69707d; margin: 0 4px 2px; }
.body { padding: 9px 13px; border-radius: 16px; font-size: 14px; line-height: 1.45; white-space: pre-wrap; word-break: break-word; }
.me .body { background: --accent-value; color: #fff; border-bottom-right-radius: 4px; }
.them .body { background: #fff; border: 1px solid #e6e8ec; border-bottom-left-radius: 4px; }
.body img { display: block; max-width: 100%; max-height: 220px; border-radius: 10px; margin: 2px 0; }
.meta { font-size: 10.5px; color: #8a919c; margin: 2px 4px 0; }
.sending .body { opacity: .7; }
.failed .body { background: #fde8e8; color: #9b1c1c; }
.event { align-self: center; font-size: 12px; color: #69707d; background: #eceef2; padding: 4px 10px; border-radius: 10px; text-align: center; max-width: 90%; }
.queue { font-size: 12.5px; background: #eef4ff; color: #1e3a8a; padding: 8px 14px; border-top: 1px solid #dbe5fb; }
.typing { font-size: 12px; color: #69707d; padding: 4px 16px; background: #f6f7f9; }
.notice { font-size: 12.5px; background: #fff6e5; color: #7a4d00; padding: 8px 14px; border-top: 1px solid #f3e2bf; }
.composer { display: flex; align-items: flex-end; gap: 8px; padding: 10px 12px; border-top: 1px solid #e6e8ec; background: #fff; }
textarea { flex: 1; resize: none; border: 1px solid #d9dde3; border-radius: 10px; padding: 9px 11px; font-size: 14px; max-height: 120px; outline: none; }
textarea:focus { border-color: --accent-value; }
.attach { color: #69707d; cursor: pointer; padding: 8px 2px; display: grid; place-items: center; }
.send { background: --accent-value; color: #fff; border: 0; border-radius: 10px; padding: 9px 14px; font-size: 14px; font-weight: 600; cursor: pointer; }
footer { text-align: center; font-size: 10.5px; color: #a0a6b0; padding: 4px 0 8px; background: #fff; }
`;

import { left, META, WINDOWS, windowOf } from '../../../channels/wechat/window';
import type { Conv } from './state';
import { t } from './i18n';

/**
 * What the side panel shows of a WeChat conversation: how long and how many messages WeChat's
 * reply window still allows (the channel refuses sends past it), and where the chat was opened
 * from. Computed when the panel is drawn; the server's meta changes redraw it.
 */
function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function wechatRows(c: Conv, now = Date.now()): [string, string][] {
  if (c.channel !== 'wechat') return [];
  const w = windowOf(c.meta);
  const l = left(w, now);
  const window = l.problem === 'window_expired' ? t.wxClosed
    : l.problem === 'quota_exhausted' ? t.wxNoQuota
    : t.wxLeft(duration(l.ms), l.messages, WINDOWS[w!.kind].max);
  const from = c.meta?.[META.sessionFrom];
  return [[t.wxWindow, window], ...(from ? [[t.wxOpenedFrom, from] as [string, string]] : [])];
}

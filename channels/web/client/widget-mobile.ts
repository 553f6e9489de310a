/**
 * The open panel on a phone: full-screen, sized to the visual viewport (what is left above the
 * on-screen keyboard), with the host page held still behind it.
 *
 * The safe-area insets (notch, home indicator) are only non-zero when the host page opts in
 * with <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">:
 * that tag belongs to the page, a widget cannot set it. Without it the browser keeps the page,
 * and so the panel, out of the unsafe areas itself.
 */

/** Keep in step with the max-width media query in widget-style.ts. */
export const PHONE = '(max-width: 640px)';

let saved: { x: number; y: number; body: string; html: string } | undefined;

/**
 * `overflow: hidden` alone does not stop touch scrolling of the page on iOS Safari: the body is
 * pinned with position: fixed at its current offset, and the scroll position put back on close.
 */
function holdPage(hold: boolean): void {
  const body = document.body.style;
  const html = document.documentElement.style;
  if (hold && !saved) {
    saved = { x: scrollX, y: scrollY, body: body.cssText, html: html.overflow };
    html.overflow = 'hidden';
    Object.assign(body, { position: 'fixed', top: `${-saved.y}px`, left: `${-saved.x}px`, right: '0', width: '100%', overflow: 'hidden' });
  } else if (!hold && saved) {
    body.cssText = saved.body;
    html.overflow = saved.html;
    // 'instant': a host page with scroll-behavior: smooth would otherwise glide back into place.
    scrollTo({ left: saved.x, top: saved.y, behavior: 'instant' as ScrollBehavior });
    saved = undefined;
  }
}

/**
 * Sets the panel up for the current screen each time it opens, closes, or the screen changes
 * (rotation, keyboard). `onResize` runs after the panel changed size (to keep the log at the end).
 */
export function phoneMode(panel: HTMLElement, isOpen: () => boolean, onResize: () => void): () => void {
  const phone = matchMedia(PHONE);
  const vv = window.visualViewport;
  const apply = () => {
    const full = isOpen() && phone.matches;
    holdPage(full);
    // 100dvh in the stylesheet already follows the browser's bars; the visual viewport also
    // shrinks for the keyboard, which dvh does not (iOS) so the composer would end up under it.
    if (full && vv) {
      panel.style.top = `${vv.offsetTop}px`;
      panel.style.height = `${vv.height}px`;
    } else {
      panel.style.top = '';
      panel.style.height = '';
    }
    if (full) onResize();
  };
  phone.addEventListener('change', apply);
  vv?.addEventListener('resize', apply);
  vv?.addEventListener('scroll', apply);
  return apply;
}

export const isPhone = (): boolean => matchMedia(PHONE).matches;

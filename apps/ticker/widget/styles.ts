/**
 * The box's stylesheet. Every colour, the font and the radius are CSS custom properties with a
 * default, so a portal themes the box from its own stylesheet (custom properties inherit into the
 * shadow root): --fw-font, --fw-font-size, --fw-bg, --fw-fg, --fw-muted, --fw-border, --fw-radius,
 * --fw-accent, --fw-accent-fg, --fw-icon-bg, --fw-icon-fg, --fw-highlight, --fw-live, --fw-pending, --fw-error.
 * The defaults keep WCAG AA contrast. Parts (`::part(box|header|title|status|list|item|empty)`) allow more.
 */
export const CSS = `
:host {
  display: block;
  font-family: var(--fw-font, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif);
  font-size: var(--fw-font-size, 1rem);
  line-height: 1.4;
  color: var(--fw-fg, #1d2733);
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
.fw-ticker {
  background: var(--fw-bg, #ffffff);
  color: var(--fw-fg, #1d2733);
  border: 1px solid var(--fw-border, #dde3ea);
  border-radius: var(--fw-radius, 0.5rem);
  overflow: hidden;
}
.fw-header {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  justify-content: space-between;
  gap: 0.25em 0.75em;
  padding: 0.75em 1em;
  background: var(--fw-accent, #00586f);
  color: var(--fw-accent-fg, #ffffff);
}
h2 { margin: 0; font-size: 1.05em; line-height: 1.3; }
.fw-status { display: inline-flex; align-items: center; gap: 0.4em; margin: 0; font-size: 0.78em; font-weight: 600; }
.fw-dot { width: 0.6em; height: 0.6em; border-radius: 50%; background: var(--fw-pending, #d4a72c); }
.fw-status[data-state='live'] .fw-dot { background: var(--fw-live, #2ea44f); }
.fw-status[data-state='error'] .fw-dot { background: var(--fw-error, #b3261e); }
ol { margin: 0; padding: 0; list-style: none; }
.fw-item {
  display: grid;
  grid-template-columns: 2em minmax(0, 1fr);
  gap: 0.75em;
  align-items: start;
  padding: 0.75em 1em;
  border-bottom: 1px solid var(--fw-border, #dde3ea);
}
.fw-item:last-child { border-bottom: 0; }
.fw-new { animation: fw-flash 2.5s ease-out; }
.fw-icon {
  display: grid;
  place-items: center;
  width: 2em;
  height: 2em;
  border-radius: 50%;
  background: var(--fw-icon-bg, #e5f1f4);
  color: var(--fw-icon-fg, #00586f);
  line-height: 1;
}
.fw-icon:empty::before {
  content: '';
  width: 0.5em;
  height: 0.5em;
  border-radius: 50%;
  background: var(--fw-icon-fg, #00586f);
}
.fw-body { display: flex; flex-direction: column; min-width: 0; }
.fw-text { font-weight: 600; overflow-wrap: anywhere; }
.fw-detail { font-size: 0.9em; overflow-wrap: anywhere; }
.fw-time, .fw-empty { color: var(--fw-muted, #5b6775); font-size: 0.82em; }
.fw-empty { margin: 0; padding: 1em; }
@keyframes fw-flash {
  0% { background: var(--fw-highlight, #fff3c4); transform: translateY(-0.35em); }
  15% { transform: none; }
  100% { background: transparent; }
}
@media (prefers-reduced-motion: reduce) {
  .fw-new { animation: none; }
}
`;

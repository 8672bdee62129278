/**
 * The page's only ways to put data on screen: elements made with createElement, attributes set one by
 * one, text as text nodes. Nothing here takes HTML; the page's CSP enforces Trusted Types, so an HTML
 * sink would throw rather than render.
 */

/** Attribute values; null, undefined and false leave the attribute out, true sets it empty. */
export type Attrs = Readonly<Record<string, string | number | boolean | null | undefined>>;
export type Child = Node | string | number | null | undefined;

/** The element with this id, of the kind the page's markup promises (a missing one is a bug: say which). */
export function byId<T extends Element>(id: string, kind: abstract new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof kind)) throw new Error(`admin page: element #${id} is missing`);
  return el;
}

function setAttrs(el: Element, attrs: Attrs | null): void {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
}

/** An element with attributes and children; strings and numbers become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  for (const child of children) {
    if (child === null || child === undefined) continue;
    el.append(typeof child === 'number' ? String(child) : child);
  }
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element (charts, swatches): attributes and optional text, never markup. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs,
  text?: string,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A button that runs `onClick`; its label is text. */
export function button(label: string, onClick: (event: Event) => void, attrs: Attrs = {}): HTMLButtonElement {
  const el = h('button', { type: 'button', ...attrs }, label);
  el.addEventListener('click', onClick);
  return el;
}

export type StatusKind = 'info' | 'ok' | 'error';

/** Writes a section's status line (a `role=status` element) and its kind, which the styles colour. */
export function say(id: string, text: string, kind: StatusKind = 'info'): void {
  const el = byId(id, HTMLElement);
  el.textContent = text;
  el.dataset.kind = kind;
}

/** The value of a form's input, select or textarea by name. */
export function fieldValue(form: HTMLFormElement, name: string): string {
  const el = form.elements.namedItem(name);
  if (
    el instanceof HTMLInputElement ||
    el instanceof HTMLSelectElement ||
    el instanceof HTMLTextAreaElement
  ) {
    return el.value;
  }
  throw new Error(`admin page: form #${form.id} has no field ${name}`);
}

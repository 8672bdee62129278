import { z } from 'zod';

// C0/C1 controls (tab and newline allowed), NUL included, and the Unicode bidi overrides/isolates
// that can make a line render differently from what is stored (Trojan-source style).
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A user-supplied line of text: NFC-normalised, trimmed, without control or bidi-override
 * characters and without lone surrogates (PostgreSQL rejects NUL, which would surface as a 500).
 * Stored raw otherwise: encoding happens at output (the widget renders text nodes only).
 */
export const safeText = (min: number, max: number, options: { multiline?: boolean } = {}) =>
  z
    .string()
    .refine((value) => !LONE_SURROGATE.test(value), {
      message: 'contains an invalid (lone surrogate) character',
    })
    .transform((value) => value.normalize('NFC').trim())
    .refine((value) => !FORBIDDEN.test(value), { message: 'contains control or bidi-override characters' })
    .refine((value) => options.multiline === true || !/[\r\n\t]/.test(value), {
      message: 'must be a single line',
    })
    .pipe(
      z
        .string()
        .min(min, { message: `must not be empty or shorter than ${min} characters` })
        .max(max),
    );

/** Lower-case identifiers used for routing and filters: portals, categories. */
export const slug = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, {
  message: 'must be a lower-case slug (a-z, 0-9, -), 1-40 characters',
});

/** An absolute https URL (no javascript:, data: or plain http links ever reach a page). */
export const httpsUrl = z
  .string()
  .max(2048)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (
          url.protocol === 'https:' && url.hostname.length > 0 && url.username === '' && url.password === ''
        );
      } catch {
        return false;
      }
    },
    { message: 'must be an absolute https:// URL without credentials' },
  );

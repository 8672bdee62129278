import { createHash } from 'node:crypto';
import { Controller, Get, Res } from '@nestjs/common';
import { type FastifyReply } from 'fastify';
import { type ApiRoute } from './api-route';
import { buildOpenApiDocument } from './openapi';
import { apiRoutes } from './routes';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
code{font-size:.95em}.m{font-weight:600;text-transform:uppercase}`;

/**
 * The page has no script and one inline style, allowed by its hash: the CSP stays `default-src
 * 'none'` everywhere, and only /docs adds that one style.
 */
const DOCS_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const AUTH_LABEL: Record<ApiRoute['auth'], string> = {
  none: 'public',
  employer: 'employer API key',
  admin: 'admin credential',
  candidate: 'candidate token',
};

function renderPage(routes: readonly ApiRoute[]): string {
  const rows = routes
    .map(
      (r) =>
        `<tr><td class="m">${escapeHtml(r.method)}</td><td><code>${escapeHtml(r.path)}</code></td>` +
        `<td>${escapeHtml(r.summary)}${r.description ? `<br><small>${escapeHtml(r.description)}</small>` : ''}</td>` +
        `<td>${escapeHtml(AUTH_LABEL[r.auth])}</td>` +
        `<td>${Object.keys(r.responses).map(escapeHtml).join(' ')}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Feedwerk API</title><style>${STYLE}</style></head>
<body><h1>Feedwerk API</h1>
<p>The machine-readable document (OpenAPI 3.1, generated from the same zod schemas the server validates with):
<a href="/docs/openapi.json">/docs/openapi.json</a>. Errors are <code>application/problem+json</code> (RFC 9457).</p>
<p>The Kafka contract for analytics: <a href="/contract/asyncapi.yaml">/contract/asyncapi.yaml</a> (AsyncAPI 3.0) and the
JSON Schema of every event version under <a href="/contract">/contract</a>.</p>
<table><thead><tr><th>method</th><th>path</th><th>what</th><th>auth</th><th>answers</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>`;
}

@Controller('docs')
export class DocsController {
  // Built on the first request, not at start-up (a quarter second of CPU every start would pay).
  private document: Record<string, unknown> | null = null;
  private page: string | null = null;

  @Get('openapi.json')
  openapi(): Record<string, unknown> {
    this.document ??= buildOpenApiDocument(apiRoutes);
    return this.document;
  }

  @Get()
  async index(@Res() reply: FastifyReply): Promise<void> {
    await reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', DOCS_CSP)
      .send((this.page ??= renderPage(apiRoutes)));
  }
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { AdminRoutes } from '@feedwerk/contracts';
import { FEEDWERK_CONFIG, type FeedwerkConfig, ProblemException } from '@feedwerk/platform';
import { type FastifyReply } from 'fastify';

/**
 * Scripts, styles and requests to this origin only; never framed (the admin page has buttons that
 * rebuild and republish: the clickjacking target); Trusted Types enforced, so no script on the page
 * can write HTML from a string.
 */
export const ADMIN_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
  "require-trusted-types-for 'script'; trusted-types 'none'";

const FILES = {
  'index.html': 'text/html; charset=utf-8',
  'admin.js': 'text/javascript; charset=utf-8',
  'admin.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
} as const;

/**
 * The admin page: a static shell and a small script, built from apps/admin/page by `npm run build`
 * into the app's public folder (dist/apps/admin/public) or into ADMIN_PAGE_DIR. It holds no data and
 * needs no credential to load; the admin pastes a token, which the script keeps in sessionStorage and
 * sends as a bearer token to the guarded admin API.
 */
@Controller()
export class AdminPageController {
  private readonly cache = new Map<keyof typeof FILES, Buffer>();
  /** The built page; by default the public folder beside src/ (dist/apps/admin/public after a build). */
  private readonly dir: string;

  constructor(@Inject(FEEDWERK_CONFIG) config: FeedwerkConfig) {
    this.dir = config.ADMIN_PAGE_DIR ?? join(__dirname, '..', '..', 'public');
  }

  @Get(AdminRoutes.page)
  page(@Res() reply: FastifyReply): Promise<void> {
    return this.send(reply, 'index.html');
  }

  @Get(`${AdminRoutes.page}/admin.js`)
  script(@Res() reply: FastifyReply): Promise<void> {
    return this.send(reply, 'admin.js');
  }

  @Get(`${AdminRoutes.page}/admin.css`)
  styles(@Res() reply: FastifyReply): Promise<void> {
    return this.send(reply, 'admin.css');
  }

  @Get(`${AdminRoutes.page}/favicon.svg`)
  icon(@Res() reply: FastifyReply): Promise<void> {
    return this.send(reply, 'favicon.svg');
  }

  private async send(reply: FastifyReply, file: keyof typeof FILES): Promise<void> {
    let body = this.cache.get(file);
    if (!body) {
      body = await readFile(join(this.dir, file)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
        // Sources without a build: say what is missing rather than answer 500.
        throw new ProblemException({
          title: 'Not Found',
          status: 404,
          detail: `The admin page is not built into ${this.dir} (run npm run build).`,
          code: 'admin-page-not-built',
        });
      });
      this.cache.set(file, body);
    }
    await reply
      .header('content-type', FILES[file])
      .header('content-security-policy', ADMIN_PAGE_CSP)
      .header('cache-control', 'no-cache')
      .header('referrer-policy', 'no-referrer')
      .send(body);
  }
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Controller, Get, Res } from '@nestjs/common';
import { AdminRoutes } from '@feedwerk/contracts';
import { type FastifyReply } from 'fastify';

/** apps/admin/public, from src/page in the sources and in dist alike. */
const PUBLIC_DIR = join(__dirname, '..', '..', 'public');

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
} as const;

/**
 * The admin page: a static shell and a small script. It holds no data and needs no credential to
 * load; the admin pastes a token, which the script keeps in sessionStorage and sends as a bearer
 * token to the guarded admin API.
 */
@Controller()
export class AdminPageController {
  private readonly cache = new Map<keyof typeof FILES, Buffer>();

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

  private async send(reply: FastifyReply, file: keyof typeof FILES): Promise<void> {
    let body = this.cache.get(file);
    if (!body) {
      body = await readFile(join(PUBLIC_DIR, file));
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

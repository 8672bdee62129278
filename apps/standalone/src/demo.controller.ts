import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Controller, Get, Param, Res } from '@nestjs/common';
import { ProblemException } from '@feedwerk/platform';
import { type FastifyReply } from 'fastify';

const PUBLIC_DIR = join(__dirname, '..', 'public');
const FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'demo.css': 'text/css; charset=utf-8',
  'demo.js': 'text/javascript; charset=utf-8',
};
/**
 * Our own page: scripts and styles from this origin only; no framing. The box is the widget, which
 * needs exactly what it needs on a partner's page: script-src and connect-src for its host (here:
 * this origin). Trusted Types are enforced: no script on the page may write HTML from a string.
 */
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'";

/** The demo page of the embedded default: a sample article with the live box beside it. */
@Controller()
export class DemoController {
  private readonly cache = new Map<string, Buffer>();

  @Get()
  index(@Res() reply: FastifyReply): Promise<void> {
    return this.send(reply, 'index.html');
  }

  @Get(':file')
  asset(@Param('file') file: string, @Res() reply: FastifyReply): Promise<void> {
    return this.send(reply, file);
  }

  private async send(reply: FastifyReply, file: string): Promise<void> {
    const type = FILES[file];
    if (!type)
      throw new ProblemException({ title: 'Not Found', status: 404, detail: `no such file: ${file}` });
    let body = this.cache.get(file);
    if (!body) {
      body = await readFile(join(PUBLIC_DIR, file));
      this.cache.set(file, body);
    }
    await reply
      .header('content-type', type)
      .header('content-security-policy', PAGE_CSP)
      .header('cache-control', 'no-cache')
      .send(body);
  }
}

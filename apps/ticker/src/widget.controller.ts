import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Controller, Get, Headers, Inject, Logger, type OnModuleInit, Param, Res } from '@nestjs/common';
import { FEEDWERK_CONFIG, type FeedwerkConfig, ProblemException } from '@feedwerk/platform';
import { type FastifyReply } from 'fastify';

/** What scripts/build-widget.mjs writes beside widget.js. */
interface WidgetManifest {
  readonly name: string;
  readonly version: string;
  readonly file: string;
  readonly immutableFile: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly integrity: string;
}

interface Bundle {
  readonly manifest: WidgetManifest;
  readonly code: Buffer;
  readonly gzipped: Buffer;
  readonly etag: string;
}

const SHORT_CACHE = 'public, max-age=300, stale-while-revalidate=3600';
const FOREVER = 'public, max-age=31536000, immutable';

/**
 * Serves the embeddable widget to any page: `GET /widget.js` (short cache, so a new version rolls out
 * within minutes), `GET /widget/<hash>.js` (the same bytes under a content-addressed name, cached
 * forever: what a partner pins with SRI) and `GET /widget.json` (version, sizes, integrity). Every
 * answer may be loaded cross-origin: CORS `*` (needed for `integrity` + `crossorigin`) and
 * `Cross-Origin-Resource-Policy: cross-origin` (the platform's default is same-site).
 */
@Controller()
export class WidgetController implements OnModuleInit {
  private readonly log = new Logger(WidgetController.name);
  private bundle: Bundle | null = null;

  constructor(@Inject(FEEDWERK_CONFIG) private readonly config: FeedwerkConfig) {}

  async onModuleInit(): Promise<void> {
    const dir = this.config.WIDGET_DIR ?? join(__dirname, '..', 'public');
    try {
      const [code, manifest] = await Promise.all([
        readFile(join(dir, 'widget.js')),
        readFile(join(dir, 'widget.json'), 'utf8'),
      ]);
      const integrity = `sha384-${createHash('sha384').update(code).digest('base64')}`;
      const parsed = JSON.parse(manifest) as WidgetManifest;
      if (parsed.integrity !== integrity) this.log.warn(`${dir}/widget.json does not match widget.js`);
      this.bundle = {
        manifest: { ...parsed, integrity, bytes: code.length },
        code,
        gzipped: gzipSync(code, { level: 9 }),
        etag: `"${integrity}"`,
      };
    } catch (error) {
      // The API keeps working without it; the widget routes answer 404 until a build provides one.
      this.log.warn(`no widget bundle in ${dir} (run npm run build): ${String(error)}`);
    }
  }

  @Get('widget.js')
  script(
    @Headers('accept-encoding') encoding: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.sendScript(reply, SHORT_CACHE, encoding, ifNoneMatch);
  }

  @Get('widget/:file')
  pinned(
    @Param('file') file: string,
    @Headers('accept-encoding') encoding: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (`widget/${file}` !== this.require().manifest.immutableFile) {
      throw new ProblemException({ title: 'Not Found', status: 404, detail: 'no such widget version' });
    }
    return this.sendScript(reply, FOREVER, encoding, ifNoneMatch);
  }

  @Get('widget.json')
  async manifest(@Res() reply: FastifyReply): Promise<void> {
    const { manifest } = this.require();
    await crossOrigin(reply)
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', SHORT_CACHE)
      .send(JSON.stringify(manifest));
  }

  private async sendScript(
    reply: FastifyReply,
    cacheControl: string,
    encoding: string | undefined,
    ifNoneMatch: string | undefined,
  ): Promise<void> {
    const bundle = this.require();
    crossOrigin(reply)
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', cacheControl)
      .header('etag', bundle.etag)
      .header('vary', 'accept-encoding');
    if (ifNoneMatch?.split(',').some((tag) => tag.trim() === bundle.etag)) {
      await reply.status(304).send();
      return;
    }
    if (encoding && /\bgzip\b/.test(encoding)) {
      await reply.header('content-encoding', 'gzip').send(bundle.gzipped);
      return;
    }
    await reply.send(bundle.code);
  }

  private require(): Bundle {
    if (!this.bundle) {
      throw new ProblemException({
        title: 'Not Found',
        status: 404,
        detail: 'the widget is not built on this server',
      });
    }
    return this.bundle;
  }
}

function crossOrigin(reply: FastifyReply): FastifyReply {
  return reply
    .header('access-control-allow-origin', '*')
    .header('cross-origin-resource-policy', 'cross-origin');
}

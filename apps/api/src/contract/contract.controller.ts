import { createHash } from 'node:crypto';
import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ASYNCAPI_FILE, buildAsyncApiDocument, buildContractFiles } from '@feedwerk/contracts';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { notFound } from '../shared/not-found';
import { ContractSchemaParams } from './contract.routes';

interface Served {
  readonly body: string;
  readonly type: string;
  readonly etag: string;
}

const served = (body: string, type: string): Served => ({
  body,
  type,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
});

/**
 * The written contract, public and cacheable: the AsyncAPI document of the public topics and the
 * JSON Schema file of every event and public payload version. Built once from the same definitions
 * that `npm run contract` writes to docs/contract/ (the drift test keeps the two identical), so a
 * deployment serves exactly the contract its code speaks.
 */
function buildServedFiles(): Map<string, Served> {
  const files = new Map<string, Served>();
  for (const [path, body] of buildContractFiles()) {
    files.set(path, served(body, path === ASYNCAPI_FILE ? 'application/yaml' : 'application/schema+json'));
  }
  files.set(
    'asyncapi.json',
    served(`${JSON.stringify(buildAsyncApiDocument(), null, 2)}\n`, 'application/json'),
  );
  const index = {
    asyncapi: ['/contract/asyncapi.yaml', '/contract/asyncapi.json'],
    schemas: [...files.keys()].filter((p) => p.startsWith('schemas/')).map((p) => `/contract/${p}`),
  };
  files.set('', served(`${JSON.stringify(index, null, 2)}\n`, 'application/json'));
  return files;
}

@Controller('contract')
export class ContractController {
  /**
   * Built on the first request, not at start-up: building every schema file takes about half a
   * second of CPU, which every start (the embedded `npm start` most visibly) would pay for a page
   * few ever open.
   */
  private built: Map<string, Served> | null = null;

  private get files(): Map<string, Served> {
    this.built ??= buildServedFiles();
    return this.built;
  }

  @Get()
  async index(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.send('', request, reply);
  }

  @Get('asyncapi.yaml')
  async asyncApiYaml(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.send(ASYNCAPI_FILE, request, reply);
  }

  @Get('asyncapi.json')
  async asyncApiJson(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.send('asyncapi.json', request, reply);
  }

  @Get('schemas/:kind/:file')
  async schema(
    @Param() params: Record<string, string>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const parsed = ContractSchemaParams.safeParse(params);
    const path = parsed.success ? `schemas/${parsed.data.kind}/${parsed.data.file}` : null;
    if (!path || !this.files.has(path)) {
      throw notFound('no such schema file; GET /contract lists them', 'contract.unknown-schema');
    }
    await this.send(path, request, reply);
  }

  private async send(path: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const file = this.files.get(path)!;
    void reply
      .header('cache-control', 'public, max-age=300')
      .header('etag', file.etag)
      // Public documentation without credentials: tools in any origin (AsyncAPI Studio, codegen) may read it.
      .header('access-control-allow-origin', '*');
    if (request.headers['if-none-match'] === file.etag) {
      await reply.code(304).send();
      return;
    }
    await reply.header('content-type', `${file.type}; charset=utf-8`).send(file.body);
  }
}

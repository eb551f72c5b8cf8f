/**
 * POST /mcp: the MCP door over streamable HTTP, stateless (a fresh server per request, no
 * session to keep, so any replica answers). Behind the same API keys as /v1/*; each tool call
 * is an in-process request to the /v1 routes with the caller's own Authorization header.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Engine } from '../../engine.ts';
import { createImageLinks } from '../../images/links.ts';
import { createMcpServer, templateIds, type ApiCall } from '../../mcp/server.ts';
import type { AppEnv } from '../app.ts';
import { requestTenant } from '../auth.ts';

export function registerMcpRoute(app: OpenAPIHono<AppEnv>, engine: Engine): void {
  const links = createImageLinks();
  const maxRequestBodySize = Math.round(engine.config.server.body_limit_mb * 1024 * 1024);
  app.all('/mcp', async (c) => {
    const authorization = c.req.header('authorization');
    const call: ApiCall = async (method, path, body) => {
      const response = await app.request(path, {
        method,
        headers: { ...(authorization && { authorization }), ...(body !== undefined && { 'content-type': 'application/json' }), 'x-request-id': c.get('requestId') },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, json: response.headers.get('content-type')?.includes('json') ? await response.json() : undefined };
    };
    const server = createMcpServer({ call, links, owner: requestTenant(c), templates: await templateIds(call) });
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true, maxRequestBodySize });
    await server.connect(transport);
    return transport.handleRequest(c.req.raw);
  });
}

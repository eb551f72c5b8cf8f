/**
 * `kimaging mcp`: the MCP server on stdio, for agents that start their tools as processes
 * (Claude Desktop, Cursor, ...). Its tools call the service through the CLI's client, so a daemon
 * (--url, --api-key) or --local behaves as it does for every other command. stdout carries only
 * JSON-RPC; logs go to stderr. Runs until the agent closes stdin.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createImageLinks } from '../images/links.ts';
import { createMcpServer, templateIds, type ApiCall } from '../mcp/server.ts';
import type { Client } from './client.ts';

export async function serveMcpOverStdio(client: Client): Promise<void> {
  const call: ApiCall = async (method, path, body) => {
    const answer = await client.call(method, path, body);
    return { status: answer.status, json: answer.json };
  };
  // One process serves one agent with one key: its images are that key's.
  const server = createMcpServer({ call, links: createImageLinks(), owner: 'stdio', templates: await templateIds(call) });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
    process.stdin.once('end', resolve);
  });
  await server.connect(transport);
  await closed;
  await server.close();
}

/**
 * ComfyUI's error shapes as typed errors. POST /prompt answers 400 with
 * `{error: {type, message, details, extra_info}, node_errors: {<id>: {errors: [...], class_type}}}`
 * (execution.py validate_prompt); a failed run reports `execution_error` on the websocket and in
 * the history's status messages.
 */
import { ImagegenError } from '../../imagegen/index.ts';
import type { ParsedError } from '../http.ts';
import { paramAt, type Workflow } from './comfyui-workflow.ts';

interface ErrorItem {
  type?: string;
  message?: string;
  details?: string;
  extra_info?: { input_name?: string };
}
interface NodeError {
  errors?: ErrorItem[];
  class_type?: string;
}
export interface PromptErrorBody {
  error?: ErrorItem | string;
  node_errors?: Record<string, NodeError>;
}

/** The first node error, as "KSampler #5: Value not in list: sampler_name: 'x' not in [...]". */
function describeNodeErrors(nodeErrors: Record<string, NodeError> | undefined): { text: string; node: string; item: ErrorItem } | undefined {
  for (const [node, entry] of Object.entries(nodeErrors ?? {})) {
    const item = entry.errors?.[0];
    if (!item) continue;
    const details = item.details ? `: ${shorten(item.details)}` : '';
    return { text: `${entry.class_type ?? 'node'} #${node}: ${item.message ?? item.type}${details}`, node, item };
  }
  return undefined;
}

/** For errorFromResponse: ComfyUI's message, with the first node error when there is one. */
export function parseComfyUIError(body: unknown): ParsedError | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { error, node_errors } = body as PromptErrorBody;
  const head = typeof error === 'string' ? error : error?.message;
  const node = describeNodeErrors(node_errors)?.text;
  if (!head && !node) return undefined;
  return { message: [head, node].filter(Boolean).join('; ') };
}

/**
 * A rejected prompt. An input one of our placeholders filled (a sampler the server lacks, a size
 * out of range) is the caller's to fix: invalid_request naming the parameter. Anything else (an
 * unknown node class, a missing checkpoint, a broken link) is the workflow's or the server's
 * fault: provider_error, which another backend may not share.
 */
export function promptRejected(body: unknown, status: number, workflow: Workflow, provider: string): ImagegenError {
  const parsed = body as PromptErrorBody;
  const message = `${provider} refused the prompt: ${parseComfyUIError(body)?.message ?? `status ${status}`}`;
  const first = describeNodeErrors(parsed?.node_errors);
  const param = first ? paramAt(workflow, first.node, first.item.extra_info?.input_name) : undefined;
  if (param && param !== 'model' && param !== 'image' && param !== 'mask') return new ImagegenError('invalid_request', message, { param, provider, status, details: body });
  return new ImagegenError('provider_error', message, { provider, status, retryable: true, details: body });
}

export interface ExecutionErrorData {
  node_id?: string;
  node_type?: string;
  exception_message?: string;
  exception_type?: string;
}

/** An `execution_error` (websocket or history): the node that raised and its message. */
export function executionFailed(data: ExecutionErrorData, provider: string): ImagegenError {
  const where = data.node_type ? `${data.node_type} #${data.node_id}` : `node ${data.node_id ?? '?'}`;
  const what = [data.exception_type, data.exception_message?.trim()].filter(Boolean).join(': ');
  return new ImagegenError('provider_error', `${provider} failed while running ${where}: ${shorten(what || 'unknown error', 500)}`, {
    provider,
    retryable: true,
  });
}

function shorten(text: string, length = 300): string {
  return text.length > length ? `${text.slice(0, length)}...` : text;
}

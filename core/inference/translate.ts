import type { Protocol } from './types.ts';

/**
 * OpenAI chat completions ⇄ Anthropic messages, for text conversations (what `plainText` accepts):
 * requests, whole responses, and usage. Streams are in translate-stream.ts. Requests with tools,
 * images or tool results never reach here: the router keeps them on backends of their own protocol.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const DEFAULT_MAX_TOKENS = 4096;

/** Text of a content value: a string, or an array of text parts/blocks (null if anything else is in it). */
function contentText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  const parts: string[] = [];
  for (const p of content) {
    if (!isObj(p) || p.type !== 'text' || typeof p.text !== 'string') return null;
    parts.push(p.text);
  }
  return parts.join('');
}

/** True when the request is a text-only conversation: no tools, tool calls, tool results or media. */
export function plainText(protocol: Protocol, body: Obj): boolean {
  if (body.tools !== undefined || body.tool_choice !== undefined || body.functions !== undefined) return false;
  if (protocol === 'anthropic' && body.system !== undefined && contentText(body.system) === null) return false;
  if (!Array.isArray(body.messages)) return false;
  return body.messages.every((m) => {
    if (!isObj(m) || m.tool_calls !== undefined || m.function_call !== undefined) return false;
    const roles = protocol === 'openai' ? ['system', 'developer', 'user', 'assistant'] : ['user', 'assistant'];
    return typeof m.role === 'string' && roles.includes(m.role) && contentText(m.content) !== null;
  });
}

const copy = (from: Obj, to: Obj, keys: readonly string[]): void => {
  for (const k of keys) if (from[k] !== undefined) to[k] = from[k];
};

export function openaiToAnthropicRequest(body: Obj, model: string): Obj {
  const messages = body.messages as Obj[];
  const system = messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => contentText(m.content)!);
  const out: Obj = {
    model,
    max_tokens: body.max_tokens ?? body.max_completion_tokens ?? DEFAULT_MAX_TOKENS,
    messages: messages.filter((m) => m.role === 'user' || m.role === 'assistant').map((m) => ({ role: m.role, content: contentText(m.content)! })),
  };
  if (system.length > 0) out.system = system.join('\n\n');
  copy(body, out, ['temperature', 'top_p', 'stream']);
  if (body.stop !== undefined) out.stop_sequences = Array.isArray(body.stop) ? body.stop : [body.stop];
  return out;
}

export function anthropicToOpenaiRequest(body: Obj, model: string): Obj {
  const messages: Obj[] = [];
  if (body.system !== undefined) messages.push({ role: 'system', content: contentText(body.system)! });
  for (const m of body.messages as Obj[]) messages.push({ role: m.role, content: contentText(m.content)! });
  const out: Obj = { model, messages, max_tokens: body.max_tokens ?? DEFAULT_MAX_TOKENS };
  copy(body, out, ['temperature', 'top_p', 'stream']);
  if (body.stop_sequences !== undefined) out.stop = body.stop_sequences;
  // Without it an OpenAI stream carries no token counts.
  if (body.stream === true) out.stream_options = { include_usage: true };
  return out;
}

const STOP_TO_FINISH: Record<string, string> = { end_turn: 'stop', stop_sequence: 'stop', max_tokens: 'length', tool_use: 'tool_calls' };
const FINISH_TO_STOP: Record<string, string> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', content_filter: 'end_turn' };

export const finishReason = (stop: unknown): string | null => (typeof stop === 'string' ? (STOP_TO_FINISH[stop] ?? 'stop') : null);
export const stopReason = (finish: unknown): string | null => (typeof finish === 'string' ? (FINISH_TO_STOP[finish] ?? 'end_turn') : null);

export interface Usage {
  readonly input: number;
  readonly output: number;
}

/** Token counts a response reports, in either protocol's shape. */
export function usageOf(body: unknown): Usage | null {
  if (!isObj(body) || !isObj(body.usage)) return null;
  const u = body.usage;
  const input = u.prompt_tokens ?? u.input_tokens;
  const output = u.completion_tokens ?? u.output_tokens ?? 0;
  return typeof input === 'number' && typeof output === 'number' ? { input, output } : null;
}

export function anthropicToOpenaiResponse(msg: Obj, model: string): Obj {
  const text = Array.isArray(msg.content) ? (msg.content as Obj[]).filter((b) => b.type === 'text').map((b) => String(b.text)).join('') : '';
  const usage = usageOf(msg);
  return {
    id: `chatcmpl-${typeof msg.id === 'string' ? msg.id : 'translated'}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason(msg.stop_reason) ?? 'stop' }],
    ...(usage ? { usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } } : {}),
  };
}

export function openaiToAnthropicResponse(completion: Obj, model: string): Obj {
  const choice = Array.isArray(completion.choices) && isObj(completion.choices[0]) ? completion.choices[0] : {};
  const message = isObj(choice.message) ? choice.message : {};
  const usage = usageOf(completion);
  return {
    id: `msg_${typeof completion.id === 'string' ? completion.id : 'translated'}`,
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text: typeof message.content === 'string' ? message.content : '' }],
    stop_reason: stopReason(choice.finish_reason) ?? 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: usage?.input ?? 0, output_tokens: usage?.output ?? 0 },
  };
}

export function translateRequest(from: Protocol, body: Obj, model: string): Obj {
  return from === 'openai' ? openaiToAnthropicRequest(body, model) : anthropicToOpenaiRequest(body, model);
}

/** `to` is the protocol the agent speaks. */
export function translateResponse(to: Protocol, body: Obj, model: string): Obj {
  return to === 'openai' ? anthropicToOpenaiResponse(body, model) : openaiToAnthropicResponse(body, model);
}

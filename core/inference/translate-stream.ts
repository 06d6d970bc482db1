import { formatSse, SseParser, type SseEvent } from './sse.ts';
import { finishReason, stopReason } from './translate.ts';
import type { Protocol } from './types.ts';

/**
 * A streamed response on its way to the agent: passed through as is (same protocol) or translated
 * event by event, while token counts and the terminal event (`[DONE]` / `message_stop`) are noted.
 * A stream that ends before its terminal event was cut off: the router then sends `errorEvent`.
 */
export interface StreamRelay {
  /** Upstream text in → text for the agent (possibly empty). */
  push(chunk: string): string;
  readonly complete: boolean;
  readonly usage: { readonly input?: number; readonly output?: number };
  /** Characters of answer text seen: the output estimate when the backend reports no usage. */
  readonly textChars: number;
  errorEvent(type: string, message: string): string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function json(data: string): Obj | null {
  try {
    const v: unknown = JSON.parse(data);
    return isObj(v) ? v : null;
  } catch {
    return null;
  }
}

const errorMessage = (e: unknown): string => (isObj(e) && typeof e.message === 'string' ? e.message : 'backend error');

export function errorEventFor(agent: Protocol, type: string, message: string): string {
  return agent === 'openai'
    ? formatSse({ data: JSON.stringify({ error: { message, type, code: type } }) })
    : formatSse({ event: 'error', data: JSON.stringify({ type: 'error', error: { type, message } }) });
}

export function streamRelay(upstream: Protocol, agent: Protocol, model: string): StreamRelay {
  const parser = new SseParser();
  const usage: { input?: number; output?: number } = {};
  const state = { complete: false, started: false, stop: null as string | null, id: `stream-${Date.now().toString(36)}`, chars: 0 };
  const created = Math.floor(Date.now() / 1000);

  const note = (ev: SseEvent): Obj | null => {
    if (upstream === 'openai' && ev.data === '[DONE]') {
      state.complete = true;
      return null;
    }
    const d = json(ev.data);
    if (!d) return null;
    if (upstream === 'openai') {
      const choice = Array.isArray(d.choices) && isObj(d.choices[0]) ? d.choices[0] : null;
      if (choice && isObj(choice.delta) && typeof choice.delta.content === 'string') state.chars += choice.delta.content.length;
      if (isObj(d.usage)) {
        if (typeof d.usage.prompt_tokens === 'number') usage.input = d.usage.prompt_tokens;
        if (typeof d.usage.completion_tokens === 'number') usage.output = d.usage.completion_tokens;
      }
    } else {
      if (d.type === 'message_start' && isObj(d.message) && isObj(d.message.usage) && typeof d.message.usage.input_tokens === 'number') usage.input = d.message.usage.input_tokens;
      if (d.type === 'message_delta' && isObj(d.usage) && typeof d.usage.output_tokens === 'number') usage.output = d.usage.output_tokens;
      if (d.type === 'message_stop') state.complete = true;
      if (d.type === 'content_block_delta' && isObj(d.delta) && typeof d.delta.text === 'string') state.chars += d.delta.text.length;
    }
    return d;
  };

  const chunk = (delta: Obj, finish: string | null): string =>
    formatSse({ data: JSON.stringify({ id: state.id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] }) });
  const anthropicEvent = (type: string, body: Obj): string => formatSse({ event: type, data: JSON.stringify({ type, ...body }) });

  /** Anthropic events → OpenAI chunks. */
  const toOpenai = (d: Obj): string => {
    switch (d.type) {
      case 'message_start':
        return chunk({ role: 'assistant', content: '' }, null);
      case 'content_block_delta':
        return isObj(d.delta) && d.delta.type === 'text_delta' ? chunk({ content: typeof d.delta.text === 'string' ? d.delta.text : '' }, null) : '';
      case 'message_delta':
        return isObj(d.delta) && d.delta.stop_reason ? chunk({}, finishReason(d.delta.stop_reason)) : '';
      case 'message_stop': {
        const u = { prompt_tokens: usage.input ?? 0, completion_tokens: usage.output ?? 0, total_tokens: (usage.input ?? 0) + (usage.output ?? 0) };
        return formatSse({ data: JSON.stringify({ id: state.id, object: 'chat.completion.chunk', created, model, choices: [], usage: u }) }) + formatSse({ data: '[DONE]' });
      }
      case 'error':
        return errorEventFor('openai', 'upstream_error', errorMessage(d.error));
      default:
        return '';
    }
  };

  /** OpenAI chunks → Anthropic events. */
  const toAnthropic = (d: Obj | null): string => {
    let out = '';
    if (!state.started && (d !== null || state.complete)) {
      state.started = true;
      const message = { id: `msg_${state.id}`, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } };
      out += anthropicEvent('message_start', { message }) + anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    }
    if (d && isObj(d.error)) return out + errorEventFor('anthropic', 'api_error', errorMessage(d.error));
    const choice = d && Array.isArray(d.choices) && isObj(d.choices[0]) ? d.choices[0] : null;
    if (choice) {
      const text = isObj(choice.delta) && typeof choice.delta.content === 'string' ? choice.delta.content : '';
      if (text !== '') out += anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
      if (choice.finish_reason) state.stop = stopReason(choice.finish_reason);
    }
    if (state.complete) {
      out += anthropicEvent('content_block_stop', { index: 0 });
      out += anthropicEvent('message_delta', { delta: { stop_reason: state.stop ?? 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output ?? 0 } });
      out += anthropicEvent('message_stop', {});
    }
    return out;
  };

  return {
    push(text: string): string {
      const events = parser.push(text);
      if (upstream === agent) {
        for (const ev of events) note(ev);
        return text;
      }
      let out = '';
      for (const ev of events) {
        const d = note(ev);
        out += upstream === 'anthropic' ? (d ? toOpenai(d) : '') : toAnthropic(d);
      }
      return out;
    },
    get complete() {
      return state.complete;
    },
    usage,
    get textChars() {
      return state.chars;
    },
    errorEvent: (type, message) => errorEventFor(agent, type, message),
  };
}

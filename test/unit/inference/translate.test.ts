import { describe, expect, it } from 'vitest';
import { SseParser } from '../../../core/inference/sse.ts';
import { anthropicToOpenaiRequest, openaiToAnthropicRequest, plainText, translateResponse } from '../../../core/inference/translate.ts';
import { streamRelay } from '../../../core/inference/translate-stream.ts';

const sse = (events: [string | undefined, unknown][]): string => events.map(([e, d]) => `${e ? `event: ${e}\n` : ''}data: ${typeof d === 'string' ? d : JSON.stringify(d)}\n\n`).join('');

describe('requests', () => {
  it('turns OpenAI system messages into the Anthropic system prompt and keeps sampling fields', () => {
    const out = openaiToAnthropicRequest(
      { model: 'x', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: [{ type: 'text', text: 'hi ' }, { type: 'text', text: 'there' }] }], temperature: 0.2, stop: 'END', stream: true },
      'claude-3',
    );
    expect(out).toEqual({ model: 'claude-3', max_tokens: 4096, system: 'be brief', messages: [{ role: 'user', content: 'hi there' }], temperature: 0.2, stream: true, stop_sequences: ['END'] });
  });

  it('turns an Anthropic request into OpenAI messages and asks for usage in streams', () => {
    const out = anthropicToOpenaiRequest({ model: 'x', system: [{ type: 'text', text: 'sys' }], max_tokens: 10, stream: true, stop_sequences: ['Z'], messages: [{ role: 'user', content: 'hi' }] }, 'gpt');
    expect(out).toEqual({ model: 'gpt', messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'hi' }], max_tokens: 10, stream: true, stop: ['Z'], stream_options: { include_usage: true } });
  });

  it('recognises requests that are not plain text conversations', () => {
    expect(plainText('openai', { messages: [{ role: 'user', content: 'hi' }] })).toBe(true);
    expect(plainText('openai', { messages: [{ role: 'user', content: 'hi' }], tools: [] })).toBe(false);
    expect(plainText('openai', { messages: [{ role: 'tool', content: 'r', tool_call_id: '1' }] })).toBe(false);
    expect(plainText('openai', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] })).toBe(false);
    expect(plainText('anthropic', { messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: '1', content: 'r' }] }] })).toBe(false);
    expect(plainText('openai', { prompt: 'completions have no messages' })).toBe(false);
  });
});

describe('whole responses', () => {
  it('maps Anthropic messages to chat completions and back, with usage and stop reasons', () => {
    const msg = { id: 'm', type: 'message', content: [{ type: 'text', text: 'hello' }], stop_reason: 'max_tokens', usage: { input_tokens: 3, output_tokens: 4 } };
    expect(translateResponse('openai', msg, 'claude')).toMatchObject({ object: 'chat.completion', model: 'claude', choices: [{ message: { role: 'assistant', content: 'hello' }, finish_reason: 'length' }], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } });
    const completion = { id: 'c', choices: [{ message: { content: 'yo' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 2 } };
    expect(translateResponse('anthropic', completion, 'gpt')).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'yo' }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 2 } });
  });
});

describe('streams', () => {
  it('parses events split across chunks at any byte', () => {
    const text = sse([['message_start', { type: 'message_start' }], [undefined, '[DONE]']]);
    const p = new SseParser();
    const events = [...text].flatMap((ch) => p.push(ch));
    expect(events).toEqual([{ event: 'message_start', data: '{"type":"message_start"}' }, { data: '[DONE]' }]);
  });

  it('translates an Anthropic stream into OpenAI chunks, usage and [DONE]', () => {
    const relay = streamRelay('anthropic', 'openai', 'claude');
    const upstream = sse([
      ['message_start', { type: 'message_start', message: { usage: { input_tokens: 7 } } }],
      ['content_block_start', { type: 'content_block_start', index: 0 }],
      ['content_block_delta', { type: 'content_block_delta', delta: { type: 'text_delta', text: 'Hel' } }],
      ['content_block_delta', { type: 'content_block_delta', delta: { type: 'text_delta', text: 'lo' } }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }],
      ['message_stop', { type: 'message_stop' }],
    ]);
    const out = relay.push(upstream.slice(0, 50)) + relay.push(upstream.slice(50));
    const data = out.split('\n\n').filter(Boolean).map((b) => b.replace(/^data: /, ''));
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { choices: { delta: { content?: string }; finish_reason: string | null }[]; usage?: unknown });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello');
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 });
    expect(relay.complete).toBe(true);
    expect(relay.usage).toEqual({ input: 7, output: 2 });
  });

  it('translates an OpenAI stream into Anthropic events', () => {
    const relay = streamRelay('openai', 'anthropic', 'gpt');
    const out = relay.push(
      sse([
        [undefined, { choices: [{ delta: { role: 'assistant', content: '' } }] }],
        [undefined, { choices: [{ delta: { content: 'Hi' } }] }],
        [undefined, { choices: [{ delta: {}, finish_reason: 'length' }] }],
        [undefined, { choices: [], usage: { prompt_tokens: 5, completion_tokens: 1 } }],
        [undefined, '[DONE]'],
      ]),
    );
    const types = [...out.matchAll(/^event: (\w+)/gm)].map((m) => m[1]);
    expect(types).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    expect(out).toContain('"stop_reason":"max_tokens"');
    expect(relay.usage).toEqual({ input: 5, output: 1 });
  });

  it('passes a same-protocol stream through byte for byte and notices a missing end', () => {
    const relay = streamRelay('openai', 'openai', 'gpt');
    const text = sse([[undefined, { choices: [{ delta: { content: 'x' } }] }]]);
    expect(relay.push(text)).toBe(text);
    expect(relay.complete).toBe(false);
    expect(JSON.parse(relay.errorEvent('upstream_error', 'gone').slice(6))).toEqual({ error: { message: 'gone', type: 'upstream_error', code: 'upstream_error' } });
    expect(streamRelay('anthropic', 'anthropic', 'c').errorEvent('api_error', 'gone')).toMatch(/^event: error\ndata: {"type":"error"/);
  });
});

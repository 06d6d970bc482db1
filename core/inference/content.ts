import type { Scanner } from './detectors.ts';
import type { LocatedFinding } from './privacy-policy.ts';

/**
 * The text of a request: every string in the body (messages, system prompt, tool results, tool call
 * arguments, prompts, embedding inputs) except structural fields. Walking the whole body, rather than
 * known fields, means a new API field cannot carry text past the detectors.
 */

const STRUCTURAL = new Set(['model', 'role', 'type', 'id', 'tool_call_id', 'tool_use_id', 'media_type', 'stop_reason', 'encoding_format', 'service_tier']);

export type JsonPath = readonly (string | number)[];

/** Calls `visit` for every scanned string with its path. */
export function eachText(body: unknown, visit: (text: string, path: JsonPath) => void, path: (string | number)[] = []): void {
  if (typeof body === 'string') visit(body, path);
  else if (Array.isArray(body)) body.forEach((v, i) => eachText(v, visit, [...path, i]));
  else if (typeof body === 'object' && body !== null)
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (path.length === 0 && k === 'model') continue;
      if (typeof v === 'string' && STRUCTURAL.has(k)) continue;
      eachText(v, visit, [...path, k]);
    }
}

export function scanBody(body: unknown, scanner: Scanner): LocatedFinding[] {
  const out: LocatedFinding[] = [];
  eachText(body, (text, path) => {
    for (const f of scanner.scan(text)) out.push({ ...f, path });
  });
  return out;
}

/** Characters of text in the body: the base of the token estimate. */
export function textLength(body: unknown): number {
  let n = 0;
  eachText(body, (t) => (n += t.length));
  return n;
}

/** About four characters per token for English and code; good enough to rank backends by cost. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

export const redactionMark = (kind: string): string => `[REDACTED:${kind}]`;

/** A copy of the body with each finding's span replaced by `[REDACTED:kind]`. */
export function redactBody<T>(body: T, findings: readonly LocatedFinding[]): T {
  if (findings.length === 0) return body;
  const copy = structuredClone(body);
  const byPath = new Map<string, LocatedFinding[]>();
  for (const f of findings) {
    const key = JSON.stringify(f.path);
    byPath.set(key, [...(byPath.get(key) ?? []), f]);
  }
  for (const list of byPath.values()) {
    const path = list[0]!.path;
    if (path.length === 0) continue;
    let parent: unknown = copy;
    for (const seg of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[seg];
    const last = path[path.length - 1]!;
    const holder = parent as Record<string | number, unknown>;
    let text = holder[last] as string;
    // Right to left, so earlier offsets stay valid.
    for (const f of [...list].sort((a, b) => b.start - a.start)) text = text.slice(0, f.start) + redactionMark(f.kind) + text.slice(f.end);
    holder[last] = text;
  }
  return copy;
}

/**
 * One call through the privacy router (`inference.local`), as carried by a `decision` line with
 * `layer: "inference"` (the `inference` field of a TrafficEvent). Findings are kinds and counts: the
 * matched text never leaves the router.
 */
export interface InferenceDetails {
  /** `chat`, `completions`, `embeddings`, `messages` or `models`. */
  readonly api: string;
  /** The `model` the agent asked for (an alias or a model name). */
  readonly model?: string;
  /** The backend that answered (absent when none was reached). */
  readonly backend?: string;
  /** Its privacy tier: local, private or public. */
  readonly tier?: string;
  /** The most public tier the request's content allowed (absent: any). */
  readonly requiredTier?: string;
  /** The request was translated between OpenAI and Anthropic formats. */
  readonly translated?: boolean;
  readonly stream?: boolean;
  readonly status: number;
  /** Kind → count, e.g. `{ "aws_access_key_id": 1 }`. */
  readonly findings: Readonly<Record<string, number>>;
  readonly redacted: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly costUsd: number;
  readonly latencyMs: number;
  /** Backends tried before the one that answered, each with why it was passed over. */
  readonly fallback: readonly { readonly backend: string; readonly error: string }[];
  /** Only local backends served because the sandbox's budget is spent. */
  readonly budgetLimited?: boolean;
}

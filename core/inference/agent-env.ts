/**
 * The environment that points an agent's SDKs at the privacy router. The OpenAI SDKs (python and
 * node) read `OPENAI_BASE_URL` and append `/chat/completions` to it, so it carries `/v1`; the
 * Anthropic SDKs read `ANTHROPIC_BASE_URL` and append `/v1/messages`, so it does not. inference.local
 * is reached through the sandbox proxy (NO_PROXY never names it), which answers it before policy.
 */
export const INFERENCE_HOST = 'inference.local';

export function inferenceEnv(): Record<string, string> {
  return {
    OPENAI_BASE_URL: `https://${INFERENCE_HOST}/v1`,
    ANTHROPIC_BASE_URL: `https://${INFERENCE_HOST}`,
  };
}

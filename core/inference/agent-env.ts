/**
 * The environment that points an agent's SDKs at the privacy router. The OpenAI SDKs (python and
 * node) read `OPENAI_BASE_URL` and append `/chat/completions` to it, so it carries `/v1`; the
 * Anthropic SDKs read `ANTHROPIC_BASE_URL` and append `/v1/messages`, so it does not. inference.local
 * is reached through the sandbox proxy (NO_PROXY never names it), which answers it before policy.
 * Both SDKs refuse to start without an API key: they get a stand-in that is no secret (the router strips
 * whatever key the agent sends and injects the backend's own); `--env` and providers take precedence.
 */
export const INFERENCE_HOST = 'inference.local';

export const STAND_IN_KEY = 'openshell-router-injects-the-real-key';

export function inferenceEnv(): Record<string, string> {
  return {
    OPENAI_BASE_URL: `https://${INFERENCE_HOST}/v1`,
    ANTHROPIC_BASE_URL: `https://${INFERENCE_HOST}`,
    OPENAI_API_KEY: STAND_IN_KEY,
    ANTHROPIC_API_KEY: STAND_IN_KEY,
  };
}

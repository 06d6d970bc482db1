import { z } from 'zod';

/**
 * Shape of a `version: 1` policy document, following upstream OpenShell's schema.
 * Every object is strict so an unknown key is an error. Cross-field rules live in validate.ts.
 * Extension: a network rule may carry `enabled: false` to keep a block in the file while it is off.
 */

const globOrAny = z.union([z.string(), z.object({ any: z.array(z.string()).min(1) }).strict()]);

/** One allow body or deny rule; which keys a protocol accepts is checked in validate.ts. */
export const l7RuleSchema = z
  .object({
    method: z.string().optional(),
    path: z.string().optional(),
    query: z.record(globOrAny).optional(),
    operation_type: z.enum(['query', 'mutation', 'subscription', '*']).optional(),
    operation_name: z.string().optional(),
    fields: z.array(z.string()).optional(),
    tool: globOrAny.optional(),
    params: z.object({ name: z.string() }).strict().optional(),
  })
  .strict();

export const allowRuleSchema = z.object({ allow: l7RuleSchema }).strict();

export const endpointSchema = z
  .object({
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    ports: z.array(z.number().int().min(1).max(65535)).min(1).optional(),
    path: z.string().optional(),
    protocol: z.enum(['tcp', 'rest', 'websocket', 'graphql', 'mcp', 'json-rpc', 'sql']).optional(),
    tls: z.enum(['skip', 'terminate', 'passthrough']).optional(),
    enforcement: z.enum(['enforce', 'audit']).optional(),
    access: z.enum(['read-only', 'read-write', 'full']).optional(),
    rules: z.array(allowRuleSchema).optional(),
    deny_rules: z.array(l7RuleSchema).optional(),
    allowed_ips: z.array(z.string()).optional(),
    allow_encoded_slash: z.boolean().optional(),
    websocket_credential_rewrite: z.boolean().optional(),
    request_body_credential_rewrite: z.boolean().optional(),
    allow_uninspected_credentials: z.boolean().optional(),
    credential_signing: z.enum(['sigv4', 'sigv4:body', 'sigv4:no_body']).optional(),
    signing_service: z.string().optional(),
    signing_region: z.string().optional(),
    credential_binding: z.object({ provider: z.string() }).strict().optional(),
    persisted_queries: z.enum(['deny', 'allow_registered']).optional(),
    graphql_persisted_queries: z.record(z.string()).optional(),
    graphql_max_body_bytes: z.number().int().positive().optional(),
    mcp: z
      .object({
        max_body_bytes: z.number().int().positive().optional(),
        strict_tool_names: z.boolean().optional(),
        allow_all_known_mcp_methods: z.boolean().optional(),
      })
      .strict()
      .optional(),
    json_rpc: z.object({ max_body_bytes: z.number().int().positive().optional() }).strict().optional(),
  })
  .strict();

export const binarySchema = z.object({ path: z.string().min(1) }).strict();

export const networkRuleSchema = z
  .object({
    name: z.string().optional(),
    enabled: z.boolean().optional(),
    endpoints: z.array(endpointSchema),
    binaries: z.array(binarySchema),
  })
  .strict();

export const middlewareSchema = z
  .object({
    name: z.string().optional(),
    middleware: z.string().min(1),
    order: z.number().int().optional(),
    config: z.record(z.unknown()).optional(),
    on_error: z.enum(['fail_closed', 'fail_open']).optional(),
    endpoints: z
      .object({ include: z.array(z.string()).min(1).max(32), exclude: z.array(z.string()).max(32).optional() })
      .strict(),
  })
  .strict();

export const policySchema = z
  .object({
    version: z.literal(1),
    filesystem_policy: z
      .object({
        include_workdir: z.boolean().optional(),
        read_only: z.array(z.string()).optional(),
        read_write: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
    landlock: z
      .object({ compatibility: z.enum(['best_effort', 'hard_requirement']).optional() })
      .strict()
      .optional(),
    process: z
      .object({ run_as_user: z.string().optional(), run_as_group: z.string().optional() })
      .strict()
      .optional(),
    network_policies: z.record(networkRuleSchema).optional(),
    network_middlewares: z.record(middlewareSchema).optional(),
  })
  .strict();

export type Policy = z.infer<typeof policySchema>;
export type NetworkRule = z.infer<typeof networkRuleSchema>;
export type Endpoint = z.infer<typeof endpointSchema>;
export type L7Rule = z.infer<typeof l7RuleSchema>;
export type AllowRule = z.infer<typeof allowRuleSchema>;
export type Binary = z.infer<typeof binarySchema>;
export type QueryMatch = z.infer<typeof globOrAny>;
export type Protocol = NonNullable<Endpoint['protocol']>;

/** Keys a user may write at each level, for "did you mean" suggestions. */
export const KNOWN_KEYS: Record<string, readonly string[]> = {
  policy: Object.keys(policySchema.shape),
  rule: Object.keys(networkRuleSchema.shape),
  endpoint: Object.keys(endpointSchema.shape),
  l7: Object.keys(l7RuleSchema.shape),
};

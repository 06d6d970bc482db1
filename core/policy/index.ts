/**
 * The policy engine: pure code that loads, validates, compiles and evaluates OpenShell policies.
 * `sources.ts` is the only module here that reads files.
 */
export { loadPolicy, type LoadResult } from './load.ts';
export { formatProblems, type Problem } from './problems.ts';
export type { Policy, NetworkRule, Endpoint, L7Rule, Binary, Protocol } from './schema.ts';
export { compilePolicy, CompiledPolicy } from './evaluate.ts';
export type { Decision, AllowDecision, DenyDecision, L4Request, L7Request, RuleMissing } from './decision.ts';
export type { EndpointInfo } from './compiled.ts';
export { canonicalizePath, parseQuery, type CanonicalPath } from './canonical.ts';
export { linearDecider } from './linear.ts';
export { PolicyStore, type Revision, type RevisionStatus, type ChangeMeta, type PolicyStoreJson } from './revisions.ts';
export * from './edit.ts';
export { diffPolicies, type PolicyDiff, type DiffLine } from './diff.ts';
export { parseEndpointSpec, parseEndpointRef, parseRuleSpec, ruleNameFor, type EndpointRef } from './spec.ts';
export { policyHash, policyToYaml, canonicalJson } from './serialize.ts';
export { listPresets, resolvePolicySource, type PolicySource } from './sources.ts';
export { HostMatcher, PortMatcher, BinaryMatcher, MethodMatcher, PathMatcher, QueryMatcher, type Matcher } from './matchers.ts';

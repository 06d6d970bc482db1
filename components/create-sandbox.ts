import { loadPolicy, resolvePolicySource } from '../core/policy/index.ts';
import type { SandboxSpec } from '../core/gateway/types.ts';
import type { CreateValues } from './dialogs/CreateForm.tsx';
import { problemLines } from './policy-actions.ts';
import type { Ui } from './ui-context.ts';

/** `a "b c" 'd'` → [a, b c, d]: enough quoting for a command typed into one field. */
export function splitCommand(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/** The create form's values become a sandbox; a policy is checked before anything is created. */
export async function createFromForm(ui: Pick<Ui, 'gateway' | 'notify' | 'show'>, values: CreateValues): Promise<void> {
  const policyName = values.policy.trim();
  const providers = [...new Set(values.providers.split(/[\s,]+/).filter(Boolean))];
  const source = policyName ? await resolvePolicySource(policyName) : null;
  if (source) {
    const loaded = loadPolicy(source.text, source.path);
    if (!loaded.ok) return ui.show(`${source.path} has problems — nothing was created`, problemLines(loaded.problems));
  }
  const spec: SandboxSpec = {
    ...(values.name.trim() ? { name: values.name.trim() } : {}),
    ...(values.image.trim() ? { image: values.image.trim() } : {}),
    ...(values.command.trim() ? { command: splitCommand(values.command) } : {}),
    ...(source ? { policy: { text: source.text, source: source.preset ?? source.path } } : {}),
    ...(providers.length > 0 ? { providers } : {}),
  };
  ui.notify(`creating ${spec.name ?? 'a sandbox'}…`);
  const sandbox = await ui.gateway.createSandbox(spec, { progress: (m) => ui.notify(m) });
  const withWhat = [source ? `policy ${source.preset ?? source.path}` : '', providers.length > 0 ? `provider(s) ${providers.join(', ')}` : ''].filter(Boolean);
  ui.notify(`created ${sandbox.name} (${sandbox.phase})${withWhat.length > 0 ? ` with ${withWhat.join(' and ')}` : ''}`);
}

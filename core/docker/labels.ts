/** Every object openshell makes on a Docker host carries these labels; state is read back from them. */
export const LABEL = {
  managedBy: 'openshell.ai/managed-by',
  sandboxName: 'openshell.ai/sandbox-name',
  sandboxId: 'openshell.ai/sandbox-id',
  role: 'openshell.ai/role',
  spec: 'openshell.ai/spec',
  userPrefix: 'openshell.user/',
} as const;

export const MANAGED = 'openshell';
export const EGRESS_NETWORK = 'openshell-egress';

export type Role = 'supervisor' | 'agent' | 'workspace' | 'state' | 'tls';

export function containerName(sandbox: string, role: 'supervisor' | 'agent'): string {
  return `openshell-${sandbox}-${role}`;
}

export function volumeName(sandbox: string, role: 'workspace' | 'state' | 'tls'): string {
  return `openshell-${sandbox}-${role}`;
}

export function baseLabels(sandbox: string, id: string, role: Role): Record<string, string> {
  return { [LABEL.managedBy]: MANAGED, [LABEL.sandboxName]: sandbox, [LABEL.sandboxId]: id, [LABEL.role]: role };
}

export function userLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).map(([k, v]) => [LABEL.userPrefix + k, v]));
}

export function readUserLabels(all: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(all)
      .filter(([k]) => k.startsWith(LABEL.userPrefix))
      .map(([k, v]) => [k.slice(LABEL.userPrefix.length), v]),
  );
}

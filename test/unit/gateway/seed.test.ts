import { describe, expect, it } from 'vitest';
import { seedStateBoot } from '../../../core/docker/policy-volume.ts';

const boot = { Entrypoint: ['/bin/sh', '-c', 'exec node /opt/openshell/supervisor.mjs'], Env: ['A=1'] };
const files = [
  { name: 'revisions.json', text: '{"live":true}' },
  { name: 'policy.json', text: '{"version":1}' },
];

describe('seeding the state volume from the supervisor boot', () => {
  it('writes each missing file before the boot script, root-only, and drops the variables', () => {
    const seeded = seedStateBoot(boot, files)!;
    expect(seeded.Env).toEqual(['A=1', 'OPENSHELL_SEED_0={"live":true}', 'OPENSHELL_SEED_1={"version":1}']);
    const lines = seeded.Entrypoint[2]!.split('\n');
    expect(lines[0]).toBe('umask 077');
    expect(lines[1]).toMatch(/^\[ -e \/var\/lib\/openshell\/revisions\.json \] \|\| printf '%s' "\$OPENSHELL_SEED_0" > \/var\/lib\/openshell\/revisions\.json \|\| \{ echo '\{"type":"fatal"/);
    expect(lines[2]).toMatch(/^\[ -e \/var\/lib\/openshell\/policy\.json \] \|\| printf '%s' "\$OPENSHELL_SEED_1" > \/var\/lib\/openshell\/policy\.json/);
    expect(lines.slice(3)).toEqual(['umask 022', 'unset OPENSHELL_SEED_0 OPENSHELL_SEED_1', 'exec node /opt/openshell/supervisor.mjs']);
  });

  it('declines (the caller writes through the archive API) for a large file or a boot that is not a shell script', () => {
    expect(seedStateBoot(boot, [{ name: 'policy.json', text: 'x'.repeat(200 * 1024) }])).toBeNull();
    expect(seedStateBoot({ Entrypoint: ['/usr/bin/node', 'main.mjs'], Env: [] }, files)).toBeNull();
  });
});

// Policy decisions per second: the compiled index against a naive linear scan of the same rules, same run.
import { compilePolicy, linearDecider, type L4Request, type Policy } from '../../core/policy/index.ts';

function makePolicy(blocks: number): Policy {
  const rules: NonNullable<Policy['network_policies']> = {};
  for (let i = 0; i < blocks; i++) {
    const wildcard = i % 3 === 0 ? `*.tenant${i}.example.net` : i % 3 === 1 ? `**.cdn${i}.example.org` : `api-*.svc${i}.example.io`;
    rules[`block_${String(i).padStart(4, '0')}`] = {
      endpoints: [
        { host: `svc${i}.example.com`, port: 443 },
        { host: `mirror${i}.example.com`, ports: [443, 8443] },
        { host: wildcard, port: 443 },
      ],
      binaries: [{ path: `/usr/bin/tool${i % 17}` }, { path: `/opt/app${i}/bin/*` }, { path: '/usr/bin/git' }],
    };
  }
  return { version: 1, network_policies: rules };
}

function hostFor(i: number, variant: number): string {
  if (variant === 0) return `svc${i}.example.com`;
  if (variant === 1) return `mirror${i}.example.com`;
  return i % 3 === 0 ? `eu.tenant${i}.example.net` : i % 3 === 1 ? `a.b.cdn${i}.example.org` : `api-eu.svc${i}.example.io`;
}

/** A fixed pseudo-random mix: 60% allowed, 20% wrong binary, 20% unknown host. */
function makeRequests(blocks: number, count: number): L4Request[] {
  let seed = 42;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  return Array.from({ length: count }, () => {
    const i = rnd(blocks);
    const kind = rnd(10);
    const host = kind >= 8 ? `unknown${rnd(1000)}.example.com` : hostFor(i, rnd(3));
    const binary = kind >= 6 && kind < 8 ? '/usr/bin/curl' : rnd(2) === 0 ? `/usr/bin/tool${i % 17}` : `/opt/app${i}/bin/run`;
    return { host, port: 443, binary, ancestors: ['/usr/bin/bash'] };
  });
}

function rate<T>(fn: (r: T) => unknown, reqs: readonly T[], ms: number): number {
  for (let i = 0; i < 20_000; i++) fn(reqs[i % reqs.length]!);
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 1000; i++) fn(reqs[(n + i) % reqs.length]!);
    n += 1000;
    now = performance.now();
  }
  return (n / (now - start)) * 1000;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(12);

export async function run(): Promise<void> {
  await Promise.resolve();
  console.log('L4 decisions/s on one core (60% allow, 20% wrong binary, 20% unknown host)');
  console.log('blocks     indexed   allow-only      linear   ratio');
  for (const blocks of [10, 100, 1000]) {
    const policy = makePolicy(blocks);
    const compiled = compilePolicy(policy);
    const linear = linearDecider(policy);
    const reqs = makeRequests(blocks, 4096);
    const allowed = reqs.filter((r) => compiled.decideL4(r).action === 'allow');
    for (const r of reqs) if ((compiled.decideL4(r).action === 'allow') !== (linear(r).action === 'allow')) throw new Error('index and linear scan disagree');
    const fast = rate((r) => compiled.decideL4(r), reqs, 600);
    const allowOnly = rate((r) => compiled.decideL4(r), allowed, 400);
    const slow = rate(linear, reqs, blocks >= 1000 ? 1500 : 600);
    console.log(`${String(blocks).padStart(6)}${fmt(fast)}${fmt(allowOnly)}${fmt(slow)}${(fast / slow).toFixed(1).padStart(7)}x`);
  }
  const l7 = compilePolicy({
    version: 1,
    network_policies: {
      api: {
        endpoints: [{ host: 'api.example.com', port: 443, protocol: 'rest', enforcement: 'enforce', access: 'read-only', deny_rules: [{ method: '*', path: '/admin/**' }] }],
        binaries: [{ path: '/usr/bin/curl' }],
      },
    },
  });
  const paths = ['/repos/a/b/issues?state=open', '/admin/users', '/a/./b/../c', '/x%2Fy'];
  const l7reqs = paths.map((path) => ({ host: 'api.example.com', port: 443, binary: '/usr/bin/curl', method: 'GET', path }));
  const l7rate = rate((r) => l7.decideL7(r), l7reqs, 400);
  console.log(`L7 REST decisions/s (canonicalize + deny + allow rules): ${fmt(l7rate).trim()}`);
}

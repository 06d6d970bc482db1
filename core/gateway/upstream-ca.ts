import Conf from 'conf';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import { parseCertificates } from '../tls/ca.ts';

/**
 * Extra CAs an operator trusts for upstream TLS (a corporate CA, a test CA): per registered gateway,
 * set by `gateway start --upstream-ca FILE`, written into each new sandbox's state volume so the
 * supervisor verifies intercepted upstreams against the public roots plus these.
 */

interface Store {
  upstreamCa: Record<string, string>;
}

function store(dir = process.env.OPENSHELL_CONFIG_DIR): Conf<Store> {
  return new Conf<Store>({
    projectName: 'openshell',
    projectSuffix: '',
    configName: 'gateway-settings',
    defaults: { upstreamCa: {} },
    ...(dir === undefined || dir === '' ? {} : { cwd: dir }),
  });
}

/** The PEM text for `gateway`, or undefined when none is set. */
export function loadUpstreamCa(gateway: string): string | undefined {
  return store().get('upstreamCa')[gateway];
}

/** Reads and checks FILE (PEM certificates), stores it for `gateway`; `none` clears it. Returns how many. */
export function saveUpstreamCa(gateway: string, file: string): number {
  const s = store();
  const rest = Object.fromEntries(Object.entries(s.get('upstreamCa')).filter(([k]) => k !== gateway));
  if (file === 'none') {
    s.set('upstreamCa', rest);
    return 0;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read --upstream-ca \`${file}\` (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { exitCode: 2 });
  }
  let certs;
  try {
    certs = parseCertificates(text);
  } catch (err) {
    throw new ConfigError(`--upstream-ca \`${file}\` holds a certificate that does not parse (${err instanceof Error ? err.message : String(err)})`, { exitCode: 2 });
  }
  if (certs.length === 0) throw new ConfigError(`--upstream-ca \`${file}\` holds no PEM certificate`, { exitCode: 2, hint: 'expected -----BEGIN CERTIFICATE----- blocks' });
  s.set('upstreamCa', { ...rest, [gateway]: certs.map((c) => c.toString()).join('') });
  return certs.length;
}

import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { RemoteError, UsageError } from '../../core/errors.ts';
import { deleteCredential, readCredential, saveCredential, type Credential } from '../../core/gateway/http/credentials.ts';
import { checkGateway, noBrowserFromEnv, parseGatewayUrl, signIn, signOut } from '../../core/gateway/http/login.ts';
import { peekCertificate, type ServerIdentity } from '../../core/gateway/http/login-http.ts';
import { normalizeFingerprint, type PeerTrust } from '../../core/gateway/http/tls-pin.ts';
import { GatewayRegistry, nameFromHost, type HttpsEntry } from '../../core/gateway/registry.ts';
import { resolveGateway, stderrProgress } from '../connect.ts';
import { parseFormat, printData } from '../output.ts';

/** Decides which certificate to pin: the flag's, none for a CA-signed one, else the user's answer on a terminal. */
async function trustCertificate(url: string, seen: ServerIdentity, flag: string | undefined): Promise<string | undefined> {
  if (flag !== undefined) {
    const wanted = normalizeFingerprint(flag);
    if (wanted !== seen.fingerprint) {
      throw new RemoteError(`the certificate of ${url} does not match --fingerprint; nothing was sent`, { exitCode: 3, hint: `the server shows ${seen.fingerprint}` });
    }
    return wanted;
  }
  if (seen.caTrusted) return undefined;
  const shown = `The authenticity of gateway '${new URL(url).host}' can't be established.\nIts certificate (${seen.subject || 'no name'}) has the fingerprint ${seen.fingerprint}.\n`;
  if (!process.stdin.isTTY) {
    throw new UsageError(`${url} has a self-signed certificate and there is no terminal to confirm it`, `check the fingerprint \`openshell gateway serve\` printed, then pass --fingerprint ${seen.fingerprint}`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${shown}Trust it and continue (yes/no)? `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError('certificate not trusted; nothing was registered');
  } finally {
    rl.close();
  }
  return seen.fingerprint;
}

const trustOf = (e: HttpsEntry) => ({ fingerprint: e.fingerprint });

/** Browser (or device code) sign-in; the caller stores the token for this gateway only. */
async function login(g: { name: string; url: string; trust: PeerTrust }, noBrowser: boolean): Promise<Credential> {
  const cred = await signIn({ url: g.url, trust: g.trust, browser: noBrowser || noBrowserFromEnv() ? 'never' : 'auto', progress: stderrProgress });
  stderrProgress(`signed in to ${g.name} as ${cred.subject ?? 'this client'}${cred.expiresAt ? ` (token expires ${cred.expiresAt.slice(0, 10)})` : ''}`);
  return cred;
}

function httpsEntry(registry: GatewayRegistry, name: string | undefined): HttpsEntry {
  const entry = name === undefined ? resolveGateway(registry).entry : registry.get(name);
  if (entry.kind !== 'https') throw new UsageError(`gateway \`${entry.name}\` is not a served (https) gateway`, 'sign-in is only for gateways added with `openshell gateway add https://…`');
  return entry;
}

interface AddOptions {
  name?: string;
  fingerprint?: string;
  browser: boolean;
  output: string;
}

/** `gateway add`, `gateway login`, `gateway logout`: served gateways and their tokens. */
export function registerGatewayAuthCommands(gw: Command): void {
  gw.command('add')
    .argument('<url>', 'the served gateway, https://host[:port]')
    .description('Register a served gateway (`openshell gateway serve` elsewhere), trust its certificate, sign in and select it')
    .option('--name <name>', 'name to register it under (default: from the host)')
    .option('--fingerprint <sha256:hex>', 'the certificate fingerprint `gateway serve` printed (skips the question)')
    .option('--no-browser', 'sign in with a device code instead of opening a browser (also OPENSHELL_NO_BROWSER=1)')
    .option('-o, --output <format>', 'table | json | yaml', 'table')
    .action(async (text: string, o: AddOptions) => {
      const format = parseFormat(o.output);
      const url = parseGatewayUrl(text);
      const registry = new GatewayRegistry();
      const name = o.name ?? nameFromHost(new URL(url).hostname);
      const existing = registry.find(name);
      if (existing && (existing.kind !== 'https' || existing.url !== url)) {
        throw new UsageError(`a gateway named \`${name}\` is already registered`, 'pick another --name, or `openshell gateway remove` it first');
      }
      const seen = await peekCertificate(url);
      const fingerprint = await trustCertificate(url, seen, o.fingerprint);
      const trust = { fingerprint };
      await checkGateway(url, trust);
      // Signed in first, registered after: a failed sign-in leaves nothing behind.
      const cred = await login({ name, url, trust }, !o.browser);
      registry.addHttps({ name, url, ...(fingerprint === undefined ? {} : { fingerprint }) });
      saveCredential(name, cred);
      registry.select(name);
      stderrProgress(`selected gateway ${name} (back to this machine: \`openshell gateway select local\`)`);
      printData({ name, url, fingerprint: fingerprint ?? 'CA-verified', signedIn: true }, format, [
        { header: 'NAME', value: (r) => r.name },
        { header: 'URL', value: (r) => r.url },
        { header: 'CERTIFICATE', value: (r) => r.fingerprint },
      ]);
    });

  gw.command('login')
    .argument('[name]', 'a served gateway (default: the one commands use now)')
    .description('Sign in to a served gateway again (browser, or a device code with --no-browser)')
    .option('--no-browser', 'sign in with a device code instead of opening a browser')
    .action(async (name: string | undefined, o: { browser: boolean }) => {
      const entry = httpsEntry(new GatewayRegistry(), name);
      const previous = readCredential(entry.name, entry.url);
      saveCredential(entry.name, await login({ name: entry.name, url: entry.url, trust: trustOf(entry) }, !o.browser));
      // The token it replaces is revoked too, so stale ones do not pile up on the gateway (best effort).
      if (previous) await signOut(entry.url, trustOf(entry), previous.token).catch(() => undefined);
    });

  gw.command('logout')
    .argument('[name]', 'a served gateway (default: the one commands use now)')
    .description("Revoke this client's token on the served gateway and delete it here")
    .action(async (name: string | undefined) => {
      const entry = httpsEntry(new GatewayRegistry(), name);
      const cred = readCredential(entry.name);
      if (!cred) {
        stderrProgress(`not signed in to ${entry.name}`);
        return;
      }
      let outcome: string;
      try {
        // Only to the URL that issued it: a token is never sent to a re-registered address.
        outcome = cred.url === entry.url ? await signOut(entry.url, trustOf(entry), cred.token) : 'not sent';
      } catch (err) {
        outcome = err instanceof Error ? err.message : String(err);
      }
      deleteCredential(entry.name);
      if (outcome === 'revoked' || outcome === 'already-invalid') stderrProgress(`signed out of ${entry.name}: the token is revoked and deleted here`);
      else {
        stderrProgress(`deleted the token of ${entry.name} here, but the gateway's copy could not be revoked (${outcome})`);
        stderrProgress(`  it stays valid until ${cred.expiresAt ?? 'it expires'}; the operator can revoke it: \`openshell gateway tokens revoke ${cred.tokenId ?? 'ID'}\``);
      }
    });
}

// Identities of a test cluster: static tokens (tokens.csv), the service-account signing key,
// and kubeconfigs holding a token and the cluster's CA.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

export interface StaticToken {
  token: string;
  user: string;
  uid: string;
  groups: string[];
}

export function randomToken(): string {
  return randomBytes(24).toString('hex');
}

function csvField(value: string): string {
  if (/[",\n]/.test(value)) throw new Error(`tokens.csv field may not contain quotes, commas or newlines: ${value}`);
  return value;
}

/** `token,user,uid,"group1,group2"` lines, as --token-auth-file reads them. */
export function tokensCsv(tokens: StaticToken[]): string {
  return `${tokens.map((t) => `${csvField(t.token)},${csvField(t.user)},${csvField(t.uid)},"${t.groups.map(csvField).join(',')}"`).join('\n')}\n`;
}

/** One private key serves --service-account-key-file, --service-account-signing-key-file and the controller-manager's --service-account-private-key-file. */
export function writeServiceAccountKey(path: string): void {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  writeFileSync(path, privateKey, { mode: 0o600 });
}

/** A client-node KubeConfig that authenticates with `token` and trusts the cluster's CA. */
export function kubeConfigFor(cluster: { server: string; caData: string }, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name: 'test-user', token }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test-user' }],
    currentContext: 'test',
  });
  return kc;
}

/** The same as a file (0600), as a component or a pod's tooling reads it. */
export function writeKubeconfig(path: string, cluster: { server: string; caData: string }, token: string): string {
  writeFileSync(path, kubeConfigFor(cluster, token).exportConfig(), { mode: 0o600 });
  return path;
}

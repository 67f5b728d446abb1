// Real alerts and recorded Falcosidekick requests, copied from the team's fixtures.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = (sub: string) => fileURLToPath(new URL(`../../test/fixtures/${sub}/`, import.meta.url));

export interface RecordedRequest {
  file: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export function falcoAlertFixtures(): Array<{ file: string; text: string; json: Record<string, any> }> {
  return readdirSync(dir('falco'))
    .filter((f) => f.endsWith('.json'))
    .map((file) => {
      const text = readFileSync(dir('falco') + file, 'utf8');
      return { file, text, json: JSON.parse(text) };
    });
}

export function falcoAlert(name: 'terminal-shell-flux' | 'terminal-shell-kubeless' | 'terminal-shell-tekton'): Record<string, any> {
  return JSON.parse(readFileSync(`${dir('falco')}${name}.json`, 'utf8'));
}

/** Alerts of the k8saudit plugin's rules, as Falco prints them (test/fixtures/falco/k8saudit/README.md). */
export function k8sAuditAlert(name: 'attach-exec-pod' | 'secret-get' | 'namespace-created'): Record<string, any> {
  return JSON.parse(readFileSync(`${dir('falco')}k8saudit/${name}.json`, 'utf8'));
}

export function recordedRequests(): RecordedRequest[] {
  return readdirSync(dir('falcosidekick'))
    .filter((f) => f.endsWith('.json'))
    .map((file) => ({ file, ...JSON.parse(readFileSync(dir('falcosidekick') + file, 'utf8')) }));
}

export function recordedRequest(file: string): RecordedRequest {
  const found = recordedRequests().find((r) => r.file === file || r.file === `${file}.json`);
  if (!found) throw new Error(`no recorded request ${file}`);
  return found;
}

/** Falcosidekick's /test alert, as its recorded requests carry it. */
export function falcosidekickTestAlert(): Record<string, any> {
  return JSON.parse(recordedRequest('webhook-test-alert').body);
}

/** The same alert stamped with the current time, as Falco would send it now. */
export function freshAlert(alert: Record<string, any>, overrides: Record<string, any> = {}): Record<string, any> {
  return { ...structuredClone(alert), time: new Date().toISOString(), ...overrides };
}

// What the people on call and the evidence's retention get (operations/, generated): the
// operator's ClusterRole is exactly what the commands declare, reads no Secret, and its Role in
// the evidence namespace reads and prunes the evidence; the retention CronJob runs a command the
// command line accepts, as an identity that may only list and delete Secrets there; and the
// command line's image (packaging/cli/Dockerfile, read with a real Dockerfile parser) runs the
// bundle `make cli` builds, with the functions' base image.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCommand } from '../../../cli/args.ts';
import { parseDuration } from '../../../cli/commands/evidence.ts';
import { OPERATOR_CLUSTER_RULES, OPERATOR_EVIDENCE_RULES } from '../../../cli/operator-rbac.ts';
import { CLI_IMAGE_NAME, OPERATOR_ROLE, PRUNE_NAME, RETENTION_DEFAULTS } from '../../../packaging/operations-manifests.ts';
import { permissionSet, SHIPPED_EVIDENCE } from '../../../packaging/rbac.ts';
import { EVIDENCE_PRUNE_RULES } from '../../../shared/forensics/evidence-rbac.ts';
import { readYamlDocuments, repoRoot, type Manifest } from '../../../testbed/packaging/manifests.ts';

const named = (docs: Manifest[], kind: string, name: string) => docs.find((doc) => doc.kind === kind && doc.metadata.name === name)!;

describe('operations/operator-rbac.yaml', () => {
  const docs = readYamlDocuments('operations/operator-rbac.yaml');

  it('makes the evidence namespace first, then the ClusterRole falco-response-operator of exactly what the commands declare', () => {
    expect(docs.map((doc) => `${doc.kind}/${doc.metadata.name}`)).toEqual([
      `Namespace/${SHIPPED_EVIDENCE.namespace}`,
      `ClusterRole/${OPERATOR_ROLE}`,
      `Role/${OPERATOR_ROLE}`,
    ]);
    const role = named(docs, 'ClusterRole', OPERATOR_ROLE);
    expect(permissionSet(role.rules)).toEqual(permissionSet(OPERATOR_CLUSTER_RULES));
    expect(permissionSet(role.rules)).toEqual(
      expect.arrayContaining([
        '/pods:patch',
        'networking.k8s.io/networkpolicies:delete',
        'apps/deployments/scale:update',
        'authentication.k8s.io/selfsubjectreviews:create',
      ]),
    );
    // No Secret cluster-wide, and no group granted a resource of another (one rule per Flux group).
    expect(permissionSet(role.rules).filter((p) => p.includes('secrets'))).toEqual([]);
    expect(permissionSet(role.rules).filter((p) => p.startsWith('helm.toolkit.fluxcd.io/'))).toEqual([
      'helm.toolkit.fluxcd.io/helmreleases:get',
      'helm.toolkit.fluxcd.io/helmreleases:patch',
    ]);
  });

  it('reads and prunes the evidence Secrets in the evidence namespace only, and binds nothing', () => {
    const role = named(docs, 'Role', OPERATOR_ROLE);
    expect(role.metadata.namespace).toBe(SHIPPED_EVIDENCE.namespace);
    expect(permissionSet(role.rules)).toEqual(permissionSet(OPERATOR_EVIDENCE_RULES));
    expect(permissionSet(role.rules)).toEqual(['/secrets:delete', '/secrets:get', '/secrets:list']);
    expect(docs.filter((doc) => doc.kind.endsWith('Binding'))).toEqual([]);
    expect(readFileSync(join(repoRoot, 'operations/operator-rbac.yaml'), 'utf8')).toContain(
      `kubectl create clusterrolebinding ${OPERATOR_ROLE} --clusterrole=${OPERATOR_ROLE}`,
    );
  });
});

describe('operations/evidence-retention.yaml', () => {
  const docs = readYamlDocuments('operations/evidence-retention.yaml');
  const cronJob = () => named(docs, 'CronJob', PRUNE_NAME);

  it('runs `evidence prune --older-than` on a schedule, one at a time, in the evidence namespace', () => {
    expect(docs.map((doc) => doc.kind)).toEqual(['Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'CronJob']);
    expect(new Set(docs.slice(1).map((doc) => doc.metadata.namespace))).toEqual(new Set([SHIPPED_EVIDENCE.namespace]));
    const job = cronJob();
    expect(job.spec.schedule).toBe(RETENTION_DEFAULTS.schedule);
    expect(job.spec.concurrencyPolicy).toBe('Forbid');
    const [container] = job.spec.jobTemplate.spec.template.spec.containers;
    expect(container.image).toMatch(new RegExp(`/${CLI_IMAGE_NAME}:`));
    expect(container.args).toEqual([
      'evidence',
      'prune',
      '--older-than',
      RETENTION_DEFAULTS.olderThan,
      '--evidence-namespace',
      SHIPPED_EVIDENCE.namespace,
    ]);
  });

  it('its arguments are a command line the command line accepts: 30 days', () => {
    const [container] = cronJob().spec.jobTemplate.spec.template.spec.containers;
    const parsed = parseCommand(container.args.slice(1), { 'evidence-namespace': { type: 'string' }, 'older-than': { type: 'string' } });
    expect(parsed.positionals).toEqual(['prune']);
    expect(parseDuration(parsed.own['older-than'])).toBe(30 * 86_400_000);
    expect(parsed.own['evidence-namespace']).toBe(SHIPPED_EVIDENCE.namespace);
  });

  it('runs as its own ServiceAccount, allowed to list and delete Secrets in the evidence namespace and nothing else', () => {
    const spec = cronJob().spec.jobTemplate.spec.template.spec;
    expect(spec.serviceAccountName).toBe(PRUNE_NAME);
    expect(permissionSet(named(docs, 'Role', PRUNE_NAME).rules)).toEqual(permissionSet(EVIDENCE_PRUNE_RULES));
    expect(permissionSet(EVIDENCE_PRUNE_RULES)).toEqual(['/secrets:delete', '/secrets:list']);
    expect(named(docs, 'RoleBinding', PRUNE_NAME)).toMatchObject({
      roleRef: { kind: 'Role', name: PRUNE_NAME },
      subjects: [{ kind: 'ServiceAccount', name: PRUNE_NAME, namespace: SHIPPED_EVIDENCE.namespace }],
    });
    expect(docs.filter((doc) => doc.kind.startsWith('Cluster'))).toEqual([]);
    // As the functions' pods: non-root, nothing writable, no privilege.
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(spec.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });
});

describe("packaging/cli/Dockerfile: the command line's image", () => {
  const source = readFileSync(join(repoRoot, 'packaging/cli/Dockerfile'), 'utf8');
  const dockerfile = DockerfileParser.parse(source);
  const functions = DockerfileParser.parse(readFileSync(join(repoRoot, 'packaging/Dockerfile'), 'utf8'));
  const argsOf = (keyword: string) =>
    dockerfile
      .getInstructions()
      .filter((i) => i.getKeyword() === keyword)
      .map((i) => i.getArguments().map((a) => a.getValue()));
  const context = join(repoRoot, 'dist', 'cli');

  beforeAll(() => {
    execFileSync(process.execPath, [join(repoRoot, 'cli', 'bundle.mjs')], { cwd: repoRoot, stdio: 'pipe' });
  }, 60_000);

  it("has the functions' base image, exactly", () => {
    expect(dockerfile.getFROMs()).toHaveLength(1);
    expect(`${dockerfile.getFROMs()[0]!.getImageName()}:${dockerfile.getFROMs()[0]!.getImageTag()}`).toBe(
      `${functions.getFROMs()[0]!.getImageName()}:${functions.getFROMs()[0]!.getImageTag()}`,
    );
  });

  it('copies only what `make cli` puts in dist/cli/ (its build context), with this Dockerfile beside it', () => {
    const sources = argsOf('COPY').flatMap((args) => args.slice(0, -1));
    expect(sources).toEqual(['falco-response.cjs']);
    for (const file of sources) expect(existsSync(join(context, file)), file).toBe(true);
    expect(readFileSync(join(context, 'Dockerfile'), 'utf8')).toBe(source);
    expect(keywords()).not.toContain('ADD');
  });

  it('runs as a non-root numeric user, after everything that needs root', () => {
    expect(argsOf('USER')).toEqual([['1000:1000']]);
    const order = keywords();
    expect(order.lastIndexOf('RUN')).toBeLessThan(order.indexOf('USER'));
    expect(order.lastIndexOf('COPY')).toBeLessThan(order.indexOf('USER'));
  });

  it("starts the bundle with node, and the CronJob's args are appended to it: the bundle answers them", () => {
    const entrypoint = dockerfile
      .getENTRYPOINTs()[0]!
      .getJSONStrings()
      .map((arg) => arg.getJSONValue());
    expect(entrypoint).toEqual(['node', '/app/falco-response.cjs']);
    expect(dockerfile.getCMDs()).toHaveLength(0);
    const help = execFileSync(process.execPath, [join(context, 'falco-response.cjs'), 'evidence', '--help'], { encoding: 'utf8' });
    expect(help).toContain('evidence prune --older-than DURATION');
  });

  function keywords(): string[] {
    return dockerfile.getInstructions().map((i) => i.getKeyword());
  }
});

// evidence list | show NAME | save NAME DIR | prune --older-than DURATION: the evidence objects
// the functions kept before acting (shared/forensics/), read with the operator's credentials.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DEFAULT_EVIDENCE_NAMESPACE } from '../../shared/forensics/evidence-settings.ts';
import { listEvidence, pruneEvidence, readEvidence } from '../../shared/forensics/evidence-store.ts';
import { Refused, UsageError } from '../exit-codes.ts';
import { age, render, result as sentence } from '../output.ts';
import type { CommandContext } from './command.ts';

export const EVIDENCE_HELP = `falco-response evidence list [-n NS | -A] [--evidence-namespace NS] [-o table|json|yaml]
falco-response evidence show NAME [-o table|json|yaml]
falco-response evidence save NAME DIR      writes pod.yaml, owner.json, alert.json, events.yaml,
                                           summary.json and <container>[.previous].log
falco-response evidence prune --older-than DURATION [--dry-run]   (DURATION: 90s, 30m, 12h, 7d)

The evidence Secrets are in --evidence-namespace (default ${DEFAULT_EVIDENCE_NAMESPACE}).`;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string | boolean | undefined): number {
  const match = typeof text === 'string' ? /^(\d+)([smhd])$/.exec(text) : null;
  if (!match) throw new UsageError(`--older-than needs a duration such as 90s, 30m, 12h or 7d, got ${JSON.stringify(text ?? '')}`);
  return Number(match[1]) * UNITS[match[2]!]!;
}

export async function evidence(context: CommandContext): Promise<number> {
  const [verb, ...rest] = context.positionals;
  const store = (context.own['evidence-namespace'] as string | undefined) ?? DEFAULT_EVIDENCE_NAMESPACE;
  const out = context.common.output;
  switch (verb) {
    case 'list': {
      const { kube, namespace } = context.connect();
      const records = await listEvidence(kube, store, namespace && context.common.namespace ? { podNamespace: namespace } : {});
      context.write(
        render(
          out,
          {
            columns: [
              ['NAME', (r) => r.name],
              ['FUNCTION', (r) => r.summary.function],
              ['POD', (r) => `${r.summary.pod?.namespace}/${r.summary.pod?.name}`],
              ['RULE', (r) => r.summary.rule],
              ['AGE', (r) => age(r.createdAt)],
              ['COMPLETE', (r) => (r.summary.missing?.length ? `no: ${r.summary.missing.join('; ')}` : 'yes')],
            ],
            rows: records,
            empty: `No evidence in ${store}.`,
          },
          { items: records },
        ),
      );
      return 0;
    }
    case 'show':
    case 'save': {
      const name = rest[0];
      if (!name || rest.length !== (verb === 'save' ? 2 : 1))
        throw new UsageError(`evidence ${verb} takes ${verb === 'save' ? 'NAME DIR' : 'NAME'}`);
      const found = await readEvidence(context.connect().kube, store, name);
      if (!found) throw new Refused(`no evidence ${store}/${name}`);
      if (verb === 'save') {
        const files = saveEvidence(found.content, rest[1]!);
        context.write(sentence(out, files.join('\n'), { files }));
        return 0;
      }
      const { content } = found;
      const logs = content.logs.map((l) => `${l.container} (${l.instance}, ${Buffer.byteLength(l.text)} bytes)`).join(', ');
      const lines = [
        `Pod:      ${content.summary.pod.namespace}/${content.summary.pod.name} (${content.summary.pod.uid})`,
        `Function: ${content.summary.function}   Rule: ${content.summary.rule}   Alert time: ${content.summary.alertTime}`,
        `Owners:   ${content.owner.chain.join(' → ')}`,
        `Events:   ${content.events.length}   Logs: ${logs || 'none'}`,
        ...content.summary.cut.map((c) => `Cut:      ${c}`),
        ...content.summary.missing.map((m) => `Missing:  ${m}`),
      ];
      context.write(sentence(out, lines.join('\n'), content));
      return 0;
    }
    case 'prune': {
      const olderThan = parseDuration(context.own['older-than']);
      const result = await pruneEvidence(context.connect().kube, store, olderThan, { dryRun: context.common.dryRun });
      const said = `${context.common.dryRun ? 'would delete' : 'deleted'} ${result.deleted.length}, kept ${result.kept}`;
      context.write(sentence(out, said, result));
      return 0;
    }
    default:
      throw new UsageError(verb ? `unknown evidence command ${JSON.stringify(verb)}` : 'evidence needs list, show, save or prune');
  }
}

type Content = NonNullable<Awaited<ReturnType<typeof readEvidence>>>['content'];

function saveEvidence(content: Content, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {
    'pod.yaml': stringify(content.pod),
    'owner.json': `${JSON.stringify(content.owner, null, 2)}\n`,
    'alert.json': `${JSON.stringify(content.alert, null, 2)}\n`,
    'events.yaml': stringify(content.events),
    'summary.json': `${JSON.stringify(content.summary, null, 2)}\n`,
  };
  for (const log of content.logs) files[`${log.container}${log.instance === 'previous' ? '.previous' : ''}.log`] = log.text;
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text, { mode: 0o600 });
  return Object.keys(files).map((file) => join(dir, file));
}

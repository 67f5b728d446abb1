// Parsing the command line: the flags every command shares (kubectl's names) and its own.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './exit-codes.ts';

export const OUTPUTS = ['table', 'json', 'yaml'] as const;
export type Output = (typeof OUTPUTS)[number];

export interface CommonFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces: boolean;
  output: Output;
  help: boolean;
  dryRun: boolean;
}

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON: Options = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
  'dry-run': { type: 'boolean' },
};

export const COMMON_FLAGS_HELP = `Flags every command takes:
  --kubeconfig PATH   kubeconfig file (default $KUBECONFIG or ~/.kube/config)
  --context NAME      kubeconfig context
  -n, --namespace NS  namespace (default the context's)
  -A, --all-namespaces
  -o, --output FORMAT table, json or yaml (default table)
  -h, --help`;

export interface Parsed {
  common: CommonFlags;
  own: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parses `argv` with the shared flags and a command's own; UsageError on anything unknown. */
export function parseCommand(argv: string[], own: Options = {}): Parsed {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: { ...COMMON, ...own }, allowPositionals: true, strict: true }) as {
      values: Record<string, string | boolean | undefined>;
      positionals: string[];
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const output = (values.output as string | undefined) ?? 'table';
  if (!(OUTPUTS as readonly string[]).includes(output))
    throw new UsageError(`--output must be one of ${OUTPUTS.join(', ')}, not ${JSON.stringify(output)}`);
  const common: CommonFlags = {
    ...(values.kubeconfig !== undefined && { kubeconfig: values.kubeconfig as string }),
    ...(values.context !== undefined && { context: values.context as string }),
    ...(values.namespace !== undefined && { namespace: values.namespace as string }),
    allNamespaces: values['all-namespaces'] === true,
    output: output as Output,
    help: values.help === true,
    dryRun: values['dry-run'] === true,
  };
  const ownValues = Object.fromEntries(Object.keys(own).map((key) => [key, values[key]]));
  return { common, own: ownValues, positionals };
}

/** `kind/NAME` as kubectl writes it; the kind matched case-insensitively, with its short names. */
export function parseObjectRef<K extends string>(text: string | undefined, kinds: Record<string, K>): { kind: K; name: string } {
  const match = /^([A-Za-z]+)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(text ?? '');
  const kind = match ? kinds[match[1]!.toLowerCase()] : undefined;
  if (!match || !kind)
    throw new UsageError(
      `expected ${Object.keys(kinds)
        .filter((k) => k.length > 3)
        .join('|')}/NAME, got ${JSON.stringify(text ?? '')}`,
    );
  return { kind, name: match[2]! };
}

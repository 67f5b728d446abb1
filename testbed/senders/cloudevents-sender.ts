// The Go CloudEvents sender (test/senders/cloudevents, on the CloudEvents Go SDK that
// Falcosidekick's cloudevents/Knative output uses), built once by scripts/build-senders.sh
// into a cache outside the repository and run once per alert.
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../functions/bundles.ts';

const run = promisify(execFile);

/** The reply event as the Go SDK parsed it, in structured JSON form. */
export interface ReplyEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  subject?: string;
  datacontenttype?: string;
  data?: Record<string, any>;
  [extension: string]: unknown;
}

export interface SenderReport {
  status: number;
  /** The SDK's own verdict on the result (cloudevents.IsACK). */
  ack: boolean;
  result: string;
  sent: { id: string; mode: 'binary' | 'structured'; type: string; source: string; time: string; extensions: Record<string, string> };
  reply: ReplyEvent | null;
  /** Whether the SDK's Validate() accepted the reply event. */
  replyValid: boolean;
  replyError?: string;
  replyBody?: string;
  error?: string;
}

export interface SendOptions {
  mode?: 'binary' | 'structured';
  /** Add what a Knative Broker adds on delivery (knativearrivaltime, traceparent). */
  broker?: boolean;
  /** Falcosidekick's cloudevents.extensions, e.g. { authtoken: '…' }. */
  extensions?: Record<string, string>;
}

let builtPath: string | undefined;

/** Path of the sender binary; builds it (seconds; Go's caches make it instant later) if needed. */
export function cloudEventsSenderPath(): string {
  builtPath ??= execFileSync('bash', [join(repoRoot, 'scripts', 'build-senders.sh')], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split('\n')
    .at(-1)!;
  return builtPath;
}

export function senderArgs(target: string, options: SendOptions = {}): string[] {
  const args = ['--target', target, '--alert', '-', '--mode', options.mode ?? 'binary'];
  if (options.broker) args.push('--broker');
  for (const [name, value] of Object.entries(options.extensions ?? {})) args.push('--extension', `${name}=${value}`);
  return args;
}

/** Sends one alert as Falcosidekick's cloudevents output would and returns the sender's report. */
export async function sendCloudEvent(target: string, alert: unknown, options: SendOptions = {}): Promise<SenderReport> {
  const child = run(cloudEventsSenderPath(), senderArgs(target, options), { timeout: 20_000 });
  child.child.stdin!.end(typeof alert === 'string' ? alert : JSON.stringify(alert));
  let stdout: string;
  try {
    ({ stdout } = await child);
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    throw new Error(`cloudevents-sender exited ${failure.code}: ${failure.stdout ?? ''}${failure.stderr ?? ''}`);
  }
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as SenderReport;
}

// One-shot mode for pipeline engines (Argo Workflows, Tekton) that run a container per alert:
// the alert comes from $BODY (or stdin), the decision is printed as JSON, and the exit code
// says how it went: 0 acted/skipped/dry-run, 1 failed, 2 not a usable alert.
import type { FalcoAlert } from '../alert/falco-alert.ts';
import { AlertRejection, parseAlertRequest, requestFromBody } from '../alert/parse-request.ts';
import type { Decision } from '../respond/decision.ts';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function print(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** `respond` is only built once the alert parsed (a bad one costs no pipeline). */
type Respond = (alert: FalcoAlert) => Promise<Decision>;

export async function runOnce(name: string, body: string | undefined, respond: () => Respond): Promise<number> {
  let alert: FalcoAlert;
  try {
    alert = parseAlertRequest(requestFromBody(body ?? (await readStdin()))).alert;
  } catch (error) {
    if (!(error instanceof AlertRejection)) throw error;
    print({ function: name, outcome: 'error', reason: 'bad-request', field: error.field, message: error.reason });
    return 2;
  }
  const { retryable: _retryable, ...decision } = await respond()(alert);
  print({ function: name, ...decision, alert: { uuid: alert.uuid, rule: alert.rule, priority: alert.priority, time: alert.timeText } });
  return decision.outcome === 'error' ? 1 : 0;
}

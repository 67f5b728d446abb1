// Falcosidekick's outputs that reach these functions, each sending what the real one sends
// (Falcosidekick's source, and the requests recorded from a real one in test/fixtures/falcosidekick/):
//   - cloudevents (Knative) output: the Go CloudEvents SDK, binary mode;
//   - the same event delivered by a Knative Broker: structured mode plus the broker's extensions;
//   - OpenFaaS output: plain JSON POST to the gateway's /function/<name>.openfaas-fn;
//   - webhook output: plain JSON POST with custom headers (how a token travels).
import { randomUUID } from 'node:crypto';
import { sendRequest } from '../net/http-client.ts';
import { DECISION_EVENT_TYPE } from '../../shared/runtime/reply.ts';
import { sendCloudEvent, type SenderReport } from './cloudevents-sender.ts';
import type { FunctionName } from '../functions/bundles.ts';

export interface OutputAnswer {
  status: number;
  /** The function's decision: the JSON body, or the data of the CloudEvent reply. */
  decision: Record<string, any>;
  /** For CloudEvents outputs: what the Go SDK made of the exchange. */
  cloudEvent?: SenderReport;
}

export interface Destination {
  name: FunctionName;
  /** Where the function itself listens. */
  url: string;
}

export interface FalcosidekickOutput {
  /** Short (vitest truncates long names in titles). */
  name: string;
  /** Whether Falcosidekick can make this output carry a shared token (and how). */
  carriesToken: 'custom header' | 'extension attribute' | false;
  send(to: Destination, alert: Record<string, any>, token?: string): Promise<OutputAnswer>;
}

/** The body Falcosidekick posts: the alert with its own uuid first, and Go's trailing newline. */
export function falcosidekickBody(alert: Record<string, any>): string {
  const { uuid: _ignored, ...rest } = alert;
  return `${JSON.stringify({ uuid: randomUUID(), ...rest })}\n`;
}

function jsonAnswer(status: number, body: string): OutputAnswer {
  let decision: Record<string, any>;
  try {
    decision = JSON.parse(body) as Record<string, any>;
  } catch {
    throw new Error(`answer ${status} is not JSON: ${body.slice(0, 500)}`);
  }
  return { status, decision };
}

/** Falcosidekick's own HTTP client headers for plain outputs, in its order. */
function plainHeaders(body: string, custom: Record<string, string>): string[] {
  return [
    'User-Agent',
    'Falcosidekick',
    'Content-Length',
    String(Buffer.byteLength(body)),
    ...Object.entries(custom).flat(),
    'Content-Type',
    'application/json; charset=utf-8',
    'Accept-Encoding',
    'gzip',
  ];
}

function cloudEventAnswer(report: SenderReport): OutputAnswer {
  // Every answer to a CloudEvent, success or refusal, must be a CloudEvent the SDK accepts
  // (a Knative Broker counts anything else as a failed delivery).
  if (!report.reply || !report.replyValid || report.reply.type !== DECISION_EVENT_TYPE || typeof report.reply.data !== 'object') {
    throw new Error(`the Go SDK did not accept the reply as a decision CloudEvent: ${JSON.stringify(report)}`);
  }
  return { status: report.status, decision: report.reply.data!, cloudEvent: report };
}

export const cloudEventsBinary: FalcosidekickOutput = {
  name: 'Knative/cloudevents output (binary)',
  carriesToken: 'extension attribute',
  async send(to, alert, token) {
    return cloudEventAnswer(await sendCloudEvent(to.url, alert, { mode: 'binary', extensions: token ? { authtoken: token } : {} }));
  },
};

export const cloudEventsViaBroker: FalcosidekickOutput = {
  name: 'Knative Broker delivery (structured)',
  carriesToken: 'extension attribute',
  async send(to, alert, token) {
    return cloudEventAnswer(
      await sendCloudEvent(to.url, alert, { mode: 'structured', broker: true, extensions: token ? { authtoken: token } : {} }),
    );
  },
};

/** `gatewayUrl` is read at send time: the gateway stand-in starts in a beforeAll. */
export function openFaasOutput(gatewayUrl: () => string): FalcosidekickOutput {
  return {
    name: 'OpenFaaS output via the gateway',
    carriesToken: false,
    async send(to, alert) {
      const body = falcosidekickBody(alert);
      // Falcosidekick's default function namespace; the gateway strips the whole prefix.
      const answer = await sendRequest(gatewayUrl(), 'POST', `/function/${to.name}.openfaas-fn`, plainHeaders(body, {}), body);
      return jsonAnswer(answer.status, answer.body);
    },
  };
}

export const webhookOutput: FalcosidekickOutput = {
  name: 'webhook output',
  carriesToken: 'custom header',
  async send(to, alert, token) {
    const body = falcosidekickBody(alert);
    // webhook.customheaders: a token when there is one, and some other header besides.
    const custom = { 'X-Falco-Cluster': 'e2e', ...(token ? { Authorization: `Bearer ${token}` } : {}) };
    const answer = await sendRequest(to.url, 'POST', '/', plainHeaders(body, custom), body);
    return jsonAnswer(answer.status, answer.body);
  },
};

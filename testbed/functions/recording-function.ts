// A function built on the shared runtime that records what it was given and acts on nothing:
// lets runtime tests assert status codes and decisions without Kubernetes.
import type { AddressInfo } from 'node:net';
import type { FalcoAlert } from '../../shared/alert/falco-alert.ts';
import { runtimeConfigFromEnv } from '../../shared/config/runtime-config.ts';
import { acted, skipped, type Decision } from '../../shared/respond/decision.ts';
import { createFunctionServer, type AlertHandler } from '../../shared/runtime/server.ts';

export interface RecordingFunction {
  url: string;
  alerts: FalcoAlert[];
  close(): Promise<void>;
}

export const decideByTarget: AlertHandler = async (alert): Promise<Decision> =>
  alert.namespace && alert.podName
    ? acted('recorded', `would act on ${alert.namespace}/${alert.podName}`, { target: { namespace: alert.namespace, pod: alert.podName } })
    : skipped('no-target', 'the alert names no pod');

export async function startRecordingFunction(
  env: Record<string, string> = {},
  handle: AlertHandler = decideByTarget,
  cloudEventReplies?: 'event' | 'empty',
): Promise<RecordingFunction> {
  const alerts: FalcoAlert[] = [];
  const replies = cloudEventReplies && { CLOUDEVENT_REPLY: cloudEventReplies };
  const config = runtimeConfigFromEnv({ PORT: '0', HOST: '127.0.0.1', LOCK_FILE: '', LOG_LEVEL: 'silent', ...replies, ...env });
  const app = createFunctionServer({
    name: 'recording',
    config,
    handle: async (alert, context) => {
      alerts.push(alert);
      return handle(alert, context);
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, alerts, close: () => app.close() };
}

// A function built as its entry point builds it, with no cluster credentials (every decision
// before the cluster is made for real, the rest are dry-runs), listening on a free loopback port.
import type { AddressInfo } from 'node:net';
import { buildFunction, type BuiltFunction } from '../../shared/function-main.ts';
import { readFunctionConfig } from '../../shared/function-config.ts';
import type { ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';

export interface OfflineFunction extends BuiltFunction {
  url: string;
  close(): Promise<void>;
}

export async function startOfflineFunction(spec: ResponseFunctionSpec, env: Record<string, string> = {}): Promise<OfflineFunction> {
  const built = buildFunction(spec, readFunctionConfig({ LOG_LEVEL: 'silent', LOCK_FILE: '', KUBECONFIG: '/nonexistent', ...env }));
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(built.app.server.address() as AddressInfo).port}`;
  return { ...built, url, close: () => built.app.close() };
}

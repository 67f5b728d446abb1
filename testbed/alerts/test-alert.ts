// The alert Falcosidekick's POST /test emits to every output (rule "Test rule", priority
// Debug, source "internal", no Kubernetes fields), stamped now as Falcosidekick stamps it:
// RFC 3339 without fractional seconds.
import { falcosidekickTestAlert } from './fixtures.ts';

export function testAlertNow(): Record<string, any> {
  return { ...falcosidekickTestAlert(), time: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
}

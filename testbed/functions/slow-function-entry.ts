// A function whose every decision takes SLOW_MS: lets tests catch alerts in flight at SIGTERM.
import { runtimeConfigFromEnv } from '../../shared/config/runtime-config.ts';
import { skipped } from '../../shared/respond/decision.ts';
import { listenAndServe } from '../../shared/runtime/lifecycle.ts';
import { createFunctionServer } from '../../shared/runtime/server.ts';

const config = runtimeConfigFromEnv(process.env);
const slowMs = Number(process.env.SLOW_MS ?? '500');
const app = createFunctionServer({
  name: 'slow',
  config,
  handle: async () => {
    await new Promise((resolve) => setTimeout(resolve, slowMs));
    return skipped('slow', `took ${slowMs} ms`);
  },
});
await listenAndServe(app, config);

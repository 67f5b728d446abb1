// Entry point of the isolate-pod function from source: `node functions/isolate-pod/index.ts`. The image runs
// `node dist/isolate-pod/start.cjs` instead (`make bundle`: the same spec and runFunction, bundled as app.cjs).
import { runFunction } from '../../shared/function-main.ts';
import { isolatePodSpec } from './spec.ts';

await runFunction(isolatePodSpec);

// Entry point of the isolate-pod function: `node dist/isolate-pod/index.mjs` (bundle, `make bundle`) or `node functions/isolate-pod/index.ts`.
import { runFunction } from '../../shared/function-main.ts';
import { isolatePodSpec } from './spec.ts';

await runFunction(isolatePodSpec);

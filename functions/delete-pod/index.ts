// Entry point of the delete-pod function from source: `node functions/delete-pod/index.ts`. The image runs
// `node dist/delete-pod/start.cjs` instead (`make bundle`: the same spec and runFunction, bundled as app.cjs).
import { runFunction } from '../../shared/function-main.ts';
import { deletePodSpec } from './spec.ts';

await runFunction(deletePodSpec);

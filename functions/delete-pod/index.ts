// Entry point of the delete-pod function: `node dist/delete-pod/index.mjs` (bundle, `make bundle`) or `node functions/delete-pod/index.ts`.
import { runFunction } from '../../shared/function-main.ts';
import { deletePodSpec } from './spec.ts';

await runFunction(deletePodSpec);

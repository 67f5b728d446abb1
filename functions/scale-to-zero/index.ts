// Entry point of the scale-to-zero function: `node dist/scale-to-zero/index.mjs` (bundle, `make bundle`) or `node functions/scale-to-zero/index.ts`.
import { runFunction } from '../../shared/function-main.ts';
import { scaleToZeroSpec } from './spec.ts';

await runFunction(scaleToZeroSpec);

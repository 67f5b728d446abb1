// Entry point of the scale-to-zero function from source: `node functions/scale-to-zero/index.ts`. The image runs
// `node dist/scale-to-zero/start.cjs` instead (`make bundle`: the same spec and runFunction, bundled as app.cjs).
import { runFunction } from '../../shared/function-main.ts';
import { scaleToZeroSpec } from './spec.ts';

await runFunction(scaleToZeroSpec);

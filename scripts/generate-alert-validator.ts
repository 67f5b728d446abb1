// Compiles the alert JSON Schema ahead of time into plain JavaScript (ajv "standalone" code):
// the functions then validate without loading ajv's compiler at start-up (cold start).
// Run: npm run generate; test/unit/alert-validator-fresh.test.ts fails if the output is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateAlertValidatorSource } from './alert-validator-source.ts';

const target = fileURLToPath(new URL('../shared/alert/validate-alert.generated.js', import.meta.url));
writeFileSync(target, generateAlertValidatorSource());
console.log(`wrote ${target}`);

import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { generateAlertValidatorSource } from '../../scripts/alert-validator-source.ts';

it('the committed standalone validator matches the schema (run `npm run generate` after editing shared/alert/schema.ts)', () => {
  const committed = readFileSync(new URL('../../shared/alert/validate-alert.generated.js', import.meta.url), 'utf8');
  expect(committed).toBe(generateAlertValidatorSource());
});

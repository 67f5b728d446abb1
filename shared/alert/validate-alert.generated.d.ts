// Types for the ajv standalone validator generated from schema.ts.
import type { FalcoAlertPayload } from './schema.ts';
export interface AlertSchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}
export declare const validate: ((data: unknown) => data is FalcoAlertPayload) & { errors?: AlertSchemaError[] | null };
export default validate;

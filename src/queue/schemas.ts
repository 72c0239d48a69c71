/**
 * Job payloads and results: the public job contract. The worker validates every payload with these schemas and the
 * SDK is typed from them, so both sides agree by construction.
 */
import { z } from 'zod';
import { unstorableText } from '../domain/storable-text.js';
import {
  type CallCommand,
  type CallResult,
  type ConnectCommand,
  type ConnectResult,
  HTTP_METHODS,
  type RefreshCommand,
  type RefreshResult,
  type RevokeCommand,
  type RevokeResult,
  type TestCommand,
  type TestResult,
} from '../domain/use-cases.js';
import { AppError } from '../errors.js';

/** Refuses text no store can keep (`unstorableText`): both stores refuse it alike, up front. */
const storable = (ctx: { value: unknown; issues: z.core.$ZodRawIssue[] }) => {
  const problem = typeof ctx.value === 'string' ? unstorableText(ctx.value) : undefined;
  if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
};
const text = () => z.string().check(storable);

const owner = text().min(1, 'name the tenant or workspace that owns the connection').max(200);
const connectionId = text().min(1, 'give the connectionId returned by connect').max(100);
// Checked after the union, so that its message, not the union's "Invalid input", names the problem.
const fieldValue = z.union([z.string(), z.number(), z.boolean()]).check(storable);

export const connectPayloadSchema = z.strictObject({
  owner,
  /** Key of a stored connector definition. */
  connector: text().min(1).max(64),
  /** Values for the connector's fields. Secret values are sealed by the SDK, or by the worker on pickup. */
  fields: z.record(z.string(), fieldValue),
  /** Overrides the name computed from the connector's `connectionName` template. */
  name: text().min(1).max(200).optional(),
}) satisfies z.ZodType<ConnectCommand>;

export const testPayloadSchema = z.strictObject({ owner, connectionId }) satisfies z.ZodType<TestCommand>;

export const refreshPayloadSchema = z.strictObject({
  owner,
  connectionId,
  /** Renew even when the token is not yet due. @default false */
  force: z.boolean().optional(),
}) satisfies z.ZodType<RefreshCommand>;

export const revokePayloadSchema = z.strictObject({ owner, connectionId }) satisfies z.ZodType<RevokeCommand>;

export const MAX_TIMEOUT_MS = 600_000;

export const callPayloadSchema = z.strictObject({
  owner,
  connectionId,
  /** @default "GET" */
  method: z.enum(HTTP_METHODS).optional(),
  /** Absolute, or relative to the connection's first allowed URL. */
  url: z.string().min(1).max(8192),
  headers: z.record(z.string(), z.string()).optional(),
  query: z.record(z.string(), z.union([fieldValue, z.array(fieldValue)])).optional(),
  /** JSON value, or a string sent as is (give a content-type header). */
  body: z.unknown().optional(),
  /** Overall time budget of the request, bounded by CALL_MAX_TIMEOUT_MS. @default CALL_TIMEOUT_MS */
  timeoutMs: z.number().int().positive().max(MAX_TIMEOUT_MS).optional(),
}) satisfies z.ZodType<CallCommand>;

export type ConnectPayload = z.infer<typeof connectPayloadSchema>;
export type TestPayload = z.infer<typeof testPayloadSchema>;
export type RefreshPayload = z.infer<typeof refreshPayloadSchema>;
export type RevokePayload = z.infer<typeof revokePayloadSchema>;
export type CallPayload = z.infer<typeof callPayloadSchema>;

export interface JobContract {
  connect: { data: ConnectPayload; result: ConnectResult };
  test: { data: TestPayload; result: TestResult };
  refresh: { data: RefreshPayload; result: RefreshResult };
  revoke: { data: RevokePayload; result: RevokeResult };
  call: { data: CallPayload; result: CallResult };
}

export const payloadSchemas = {
  connect: connectPayloadSchema,
  test: testPayloadSchema,
  refresh: refreshPayloadSchema,
  revoke: revokePayloadSchema,
  call: callPayloadSchema,
} as const;

/** Parses a job payload; a bad one is an `invalid_input` error naming every problem by its path. */
export function parsePayload<T>(schema: z.ZodType<T>, data: unknown, jobName: string): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(data)'}: ${issue.message}`);
  throw new AppError('invalid_input', 'invalid_payload', `invalid ${jobName} job data: ${problems.join('; ')}`);
}

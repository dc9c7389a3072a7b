import { z } from "zod";
import { ErrorCode } from "./errors.js";

/** The one error shape every failing request answers with. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]).meta({
        description: "Stable machine-readable error code",
      }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
      requestId: z.string(),
    }),
  })
  .meta({ id: "Error" });
export type ErrorBody = z.output<typeof ErrorBody>;

export const PageQuery = z.strictObject({
  cursor: z.string().max(400).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

export const Id = z.string().regex(/^[0-9A-Za-z]{26}$/, "must be an id");
export const IdParams = z.strictObject({ id: Id });

/** A page of a collection, newest first; `nextCursor` is null on the last page. */
export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** Error answers most operations can give; operations list their own on top. */
export const errorResponses = {
  400: { description: "Malformed request (e.g. invalid JSON or cursor)", schema: ErrorBody },
  401: { description: "Missing or invalid credentials", schema: ErrorBody },
  403: { description: "The caller may not do this", schema: ErrorBody },
  422: { description: "The request does not match its schema", schema: ErrorBody },
} as const;

/** Error answers of an operation that takes a JSON or form body, on top of errorResponses. */
export const bodyErrorResponses = {
  413: { description: "Body too large", schema: ErrorBody },
  415: { description: "Body of a media type the operation does not take", schema: ErrorBody },
} as const;

/** The answer of a rate-limited operation over its limit (`Retry-After` says when to try again). */
export const rateLimitResponses = {
  429: { description: "Too many requests; see Retry-After", schema: ErrorBody },
} as const;

/** Every query reaches the input checks: a NUL character is refused (422) before any schema sees it. */
export const queryRefusedResponse = {
  description: "A query parameter holds a NUL character",
  schema: ErrorBody,
} as const;

/** A JSON Schema document (draft 2020-12), passed through as the server built it. */
export const JsonSchemaDocument = z.record(z.string(), z.unknown()).meta({ id: "JsonSchemaDocument" });

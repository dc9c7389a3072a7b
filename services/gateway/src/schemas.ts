import { z } from "zod";

/** REST schemas shared by several routes. */
export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string().meta({ description: "Stable machine-readable error code" }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
      requestId: z.string(),
    }),
  })
  .meta({ id: "Error" });

export const PageQuery = z.strictObject({
  cursor: z.string().max(400).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

export const IdParams = z.strictObject({ id: z.string().regex(/^[0-9A-Za-z]{26}$/, "must be an id") });

export const errorResponses = {
  400: { description: "Malformed request (e.g. invalid JSON or cursor)", schema: ErrorResponse },
  401: { description: "Missing or invalid token", schema: ErrorResponse },
  403: { description: "The token lacks the required scope", schema: ErrorResponse },
  422: { description: "The request does not match its schema", schema: ErrorResponse },
} as const;

import { z } from "zod";
import { bodyErrorResponses, ErrorBody, errorResponses, rateLimitResponses } from "../common.js";
import { defineOperation } from "../operation.js";
import { Scope } from "../scopes.js";

// The OAuth 2.0 device authorization grant (RFC 8628) for the CLI, and the minimal HTML pages where a signed-in
// admin approves a device. The token endpoint answers its refusals in OAuth's shape (RFC 6749 §5.2), not ErrorBody.

const tag = "device";
const html = "text/html";

export const DeviceCodeRequest = z
  .object({ client_id: z.string().max(100).optional(), scope: z.string().max(1000).optional() })
  .meta({ id: "DeviceCodeRequest" });

export const DeviceCode = z
  .object({
    device_code: z.string(),
    user_code: z.string().meta({ description: "XXXX-XXXX, shown to the user" }),
    verification_uri: z.string(),
    verification_uri_complete: z.string(),
    expires_in: z.number().int().meta({ description: "Seconds until both codes expire" }),
    interval: z.number().int().meta({ description: "Seconds to wait between polls of the token endpoint" }),
  })
  .meta({ id: "DeviceCode" });
export type DeviceCode = z.output<typeof DeviceCode>;

export const DeviceTokenRequest = z
  .object({
    grant_type: z.string().max(200),
    device_code: z.string().max(200),
    client_id: z.string().max(100).optional(),
  })
  .meta({ id: "DeviceTokenRequest" });

export const DeviceToken = z
  .object({
    access_token: z.string().meta({ description: "An API token `lf_<id>_<secret>` for the approving user" }),
    token_type: z.literal("Bearer"),
    scope: z.string().meta({ description: "The token's scopes, space-separated" }),
  })
  .meta({ id: "DeviceToken" });
export type DeviceToken = z.output<typeof DeviceToken>;

/** Why the token endpoint gives no token (yet). */
export const DeviceTokenErrorCode = z.enum([
  "authorization_pending",
  "slow_down",
  "access_denied",
  "expired_token",
  "invalid_grant",
  "unsupported_grant_type",
]);

export const DeviceTokenError = z
  .object({
    error: DeviceTokenErrorCode,
    error_description: z.string().optional(),
    interval: z
      .number()
      .int()
      .optional()
      .meta({ description: "With slow_down: the seconds to wait between polls from now on" }),
  })
  .meta({ id: "DeviceTokenError" });
export type DeviceTokenError = z.output<typeof DeviceTokenError>;

export const startDeviceAuthorization = defineOperation({
  method: "post",
  path: "/api/v1/auth/device/code",
  operationId: "startDeviceAuthorization",
  summary: "RFC 8628 device authorization request (form or JSON)",
  tag,
  access: { kind: "public" },
  rateLimited: true,
  bodyTypes: ["form", "json"],
  body: DeviceCodeRequest,
  responses: {
    200: { description: "Codes for the device and the user", schema: DeviceCode },
    400: errorResponses[400],
    422: { description: "Invalid client_id or body", schema: ErrorBody },
    ...bodyErrorResponses,
    ...rateLimitResponses,
  },
});

export const pollDeviceToken = defineOperation({
  method: "post",
  path: "/api/v1/auth/device/token",
  operationId: "pollDeviceToken",
  summary: "RFC 8628 device access token request; refusals in RFC 6749 shape",
  tag,
  access: { kind: "public" },
  rateLimited: true,
  bodyTypes: ["form", "json"],
  body: DeviceTokenRequest,
  responses: {
    200: { description: "The access token", schema: DeviceToken },
    400: {
      description:
        "No token: authorization_pending, slow_down (with the new interval), access_denied, expired_token, invalid_grant (unknown device_code), unsupported_grant_type; a malformed body is the usual error shape",
      schema: z.union([DeviceTokenError, ErrorBody]),
    },
    422: errorResponses[422],
    ...bodyErrorResponses,
    ...rateLimitResponses,
  },
});

export const showDevicePage = defineOperation({
  method: "get",
  path: "/device",
  operationId: "showDevicePage",
  summary:
    "Device approval page: sign in, enter the code, or approve/deny (a page without script; a missing session shows the sign-in form)",
  tag,
  access: { kind: "public" },
  query: z.object({ user_code: z.string().max(20).optional() }),
  responses: {
    200: { description: "The page for this browser's state", media: html },
    422: errorResponses[422],
  },
});

export const startDevicePageSignIn = defineOperation({
  method: "post",
  path: "/device/sign-in",
  operationId: "startDevicePageSignIn",
  summary: "Device page: email a sign-in link that returns to the page",
  tag,
  access: { kind: "public" },
  bodyTypes: ["form"],
  body: z.object({ email: z.string().trim().min(3).max(320), user_code: z.string().max(20).optional() }),
  responses: {
    200: { description: "“Check your email” (same answer for unknown emails)", media: html },
    400: errorResponses[400],
    422: errorResponses[422],
    ...bodyErrorResponses,
    ...rateLimitResponses,
  },
});

export const decideDevicePage = defineOperation({
  method: "post",
  path: "/device",
  operationId: "decideDevicePage",
  summary:
    "Device page: approve or deny (session cookie + csrf_token form field, or a bearer token with tokens:write)",
  tag,
  access: { kind: "user", scope: Scope.TokensWrite },
  bodyTypes: ["form"],
  body: z.object({
    user_code: z.string().max(20),
    decision: z.enum(["approve", "deny"]),
    csrf_token: z.string().max(200),
  }),
  responses: {
    200: { description: "Approved or denied", media: html },
    404: { description: "Unknown or expired code", schema: ErrorBody },
    ...errorResponses,
    422: { description: "Invalid form, or the code was already decided", schema: ErrorBody },
    ...bodyErrorResponses,
  },
});

import { z } from "zod";
import { bodyErrorResponses, ErrorBody, errorResponses, rateLimitResponses } from "../common.js";
import { defineOperation } from "../operation.js";
import { Scope } from "../scopes.js";

// The OAuth 2.0 device authorization grant (RFC 8628) for the CLI, and the calls the admin app's approval page
// (/admin/device) makes; /device only redirects there. The token endpoint answers its refusals in OAuth's shape (RFC 6749 §5.2), not ErrorBody.

const tag = "device";

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

/** A device's request for a token, as the approving admin sees it. */
export const DeviceAuthorization = z
  .object({
    userCode: z.string(),
    clientId: z.string(),
    scopes: z.array(z.string()).meta({ description: "Asked-for scopes; empty means the role's defaults" }),
    status: z.enum(["pending", "approved", "denied", "expired"]),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: "DeviceAuthorization" });
export type DeviceAuthorization = z.output<typeof DeviceAuthorization>;

const UserCodeParams = z.strictObject({ userCode: z.string().trim().min(1).max(20) });

export const showDevicePage = defineOperation({
  method: "get",
  path: "/device",
  operationId: "showDevicePage",
  summary:
    "The short verification URI the CLI prints: redirects to the admin app's approval page (/admin/device), keeping the code",
  tag,
  access: { kind: "public" },
  query: z.object({ user_code: z.string().max(20).optional() }),
  responses: {
    302: { description: "To /admin/device (with `?user_code=` when given)", redirect: true },
    422: errorResponses[422],
  },
});

export const getDeviceAuthorization = defineOperation({
  method: "get",
  path: "/api/v1/auth/device/authorizations/:userCode",
  operationId: "getDeviceAuthorization",
  summary: "What a device code asks for (the admin app's approval page)",
  tag,
  access: { kind: "user", scope: Scope.TokensWrite },
  rateLimited: true,
  params: UserCodeParams,
  responses: {
    200: { description: "The request", schema: DeviceAuthorization },
    404: { description: "Unknown or expired code", schema: ErrorBody },
    ...errorResponses,
    ...rateLimitResponses,
  },
});

export const decideDeviceAuthorization = defineOperation({
  method: "post",
  path: "/api/v1/auth/device/authorizations/:userCode/decision",
  operationId: "decideDeviceAuthorization",
  summary: "Approve or deny a device code (the token is the approving user's, never beyond its credential)",
  tag,
  access: { kind: "user", scope: Scope.TokensWrite },
  rateLimited: true,
  params: UserCodeParams,
  body: z.strictObject({ decision: z.enum(["approve", "deny"]) }).meta({ id: "DeviceDecision" }),
  responses: {
    200: { description: "Approved or denied", schema: DeviceAuthorization },
    404: { description: "Unknown or expired code", schema: ErrorBody },
    ...errorResponses,
    422: { description: "Invalid body, or the code was already decided", schema: ErrorBody },
    ...bodyErrorResponses,
    ...rateLimitResponses,
  },
});

import type { z } from "zod";
import type { Scope } from "./scopes.js";

/** Who may call an operation. The gateway enforces it; the OpenAPI document states it as security requirements. */
export type Access =
  | { kind: "public" }
  /** a user through an API token or the admin session cookie, allowed by the policy for `scope` */
  | { kind: "user"; scope: Scope; resource?: { type: string; param: string } }
  /** any signed-in user (token or session), no particular scope */
  | { kind: "any-user" }
  /** a recipient through the portal session cookie */
  | { kind: "recipient" }
  /** a user (token or session) or, failing that, a recipient session */
  | { kind: "signed-in" };

/** How a request body may be sent: JSON, an HTML form, multipart/form-data, raw bytes, or CSV text. */
export type BodyType = "json" | "form" | "multipart" | "binary" | "csv";

export interface ResponseSpec {
  description: string;
  /** the JSON body's schema (responses with a JSON body always declare one) */
  schema?: z.ZodType;
  /** a body that is not JSON: its media type (`text/html`, `application/zip`, `text/csv`, …), or the types it
   * may be, chosen by the request (e.g. `?format=`) */
  media?: string | readonly string[];
  /** the answer is a redirect (`Location` header) */
  redirect?: true;
}

/** A response's declared media types as a list. */
export function mediaTypes(media: ResponseSpec["media"]): readonly string[] {
  return media === undefined ? [] : typeof media === "string" ? [media] : media;
}

/** One REST operation as every client sees it; the gateway adds only the handler. */
export interface Operation {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** Koa-style path, e.g. `/api/v1/bundles/:id` */
  path: string;
  /** unique, camelCase, a verb first: the typed client's method name and the OpenAPI operationId */
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  /**
   * The handler narrows a collection to the resources the caller was granted one by one, or authorizes the
   * resource it acts on itself (an assignment's bundle, ADR 029). Without it, a caller who holds only
   * per-resource grants gets 403 here instead.
   */
  restrictable?: boolean;
  /**
   * accepted request body types; default JSON only. Without a `body` schema the handler reads the body itself
   * (uploads, imports) and the typed client sends it as given.
   */
  bodyTypes?: readonly BodyType[];
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  /** rate-limited per IP and per identity (sign-in flows and public ingress) */
  rateLimited?: boolean;
  responses: Record<number, ResponseSpec>;
}

/** Declares an operation, keeping its literal types for the typed client and the gateway's handler. */
export function defineOperation<const O extends Operation>(op: O): O {
  return op;
}

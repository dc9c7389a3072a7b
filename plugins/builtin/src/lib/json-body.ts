import type { Json } from "@latchflow/plugin-sdk";

/** True for `application/json` and `<type>/<subtype>+json`, parameters ignored. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  return mediaType === "application/json" || /^[a-z]+\/[^\s/]+\+json$/.test(mediaType);
}

/** The body parsed as JSON when the media type is JSON and it parses, otherwise the text itself. */
export function parseBody(body: string, contentType: string | undefined): Json {
  if (!isJsonMediaType(contentType)) return body;
  try {
    return JSON.parse(body) as Json;
  } catch {
    return body;
  }
}

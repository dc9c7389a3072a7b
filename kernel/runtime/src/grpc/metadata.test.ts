import { describe, expect, it } from "vitest";
import { validationFailed } from "../errors.js";
import { errorFromTrailers, errorToTrailers } from "./metadata.js";

describe("error trailers", () => {
  it("carry details that quote names in any script (metadata values are ASCII only)", () => {
    const details = { issues: [{ path: "bundle", message: "No bundle named “Família 😀” appears" }] };
    const md = errorToTrailers(validationFailed("x", details), "req-1");
    expect(errorFromTrailers(md)).toEqual({ code: "validation_failed", details, retryable: false });
  });
});

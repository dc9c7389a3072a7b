import { describe, expect, it } from "vitest";
import { pooled, SMTP_MAX_CONNECTIONS } from "./mail.js";

describe("pooled SMTP URL", () => {
  it("turns pooling on, keeping credentials, host and other parameters", () => {
    const url = new URL(pooled("smtps://user:p%40ss@mail.example.com:465/?name=lf"));
    expect(url.searchParams.get("pool")).toBe("true");
    expect(url.searchParams.get("name")).toBe("lf");
    expect([url.protocol, url.username, url.password, url.host]).toEqual([
      "smtps:",
      "user",
      "p%40ss",
      "mail.example.com:465",
    ]);
  });

  it("leaves an explicit choice alone", () => {
    const unpooled = new URL(pooled("smtp://127.0.0.1:2525?pool=false"));
    expect(unpooled.searchParams.get("pool")).toBe("false");
    expect(unpooled.searchParams.has("maxConnections")).toBe(false);
    expect(new URL(pooled("smtp://127.0.0.1:2525?maxConnections=3")).searchParams.get("maxConnections")).toBe(
      "3",
    );
  });

  it("keeps up to SMTP_MAX_CONNECTIONS connections open (nodemailer alone keeps 5)", () => {
    expect(new URL(pooled("smtp://127.0.0.1:2525")).searchParams.get("maxConnections")).toBe(
      String(SMTP_MAX_CONNECTIONS),
    );
    expect(SMTP_MAX_CONNECTIONS).toBeGreaterThan(5);
  });
});

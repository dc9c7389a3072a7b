import { describe, expect, it } from "vitest";
import { pooled } from "./mail.js";

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
    expect(new URL(pooled("smtp://127.0.0.1:2525?pool=false")).searchParams.get("pool")).toBe("false");
  });
});

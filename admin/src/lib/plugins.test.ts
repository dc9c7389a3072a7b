import { describe, expect, it } from "vitest";
import {
  describeHostPattern,
  enabledSummary,
  hostRows,
  installedMessage,
  manifestPermissions,
  signatureLabel,
  withHost,
} from "./plugins.js";

describe("plugin host approvals", () => {
  it("lists requested hosts as written (not `*`), the patterns, and hosts approved under a pattern", () => {
    const rows = hostRows({
      requestedHosts: ["api.example.com", "*.example.org", "*"],
      approvedHosts: ["api.example.com", "eu.example.org", "x.test"],
    });
    expect(rows.asWritten).toEqual([
      { host: "api.example.com", approved: true },
      { host: "*.example.org", approved: false },
    ]);
    expect(rows.patterns).toEqual(["*.example.org", "*"]);
    expect(rows.others).toEqual(["eu.example.org", "x.test"]);
  });

  it("adds or removes one host from the whole approved list", () => {
    expect(withHost(["b.test"], " A.test ", true)).toEqual(["a.test", "b.test"]);
    expect(withHost(["a.test", "b.test"], "a.test", true)).toEqual(["a.test", "b.test"]);
    expect(withHost(["a.test", "b.test"], "a.test", false)).toEqual(["b.test"]);
  });

  it("says patterns in words", () => {
    expect(describeHostPattern("*")).toBe("any host");
    expect(describeHostPattern("*.example.org")).toBe("any host under example.org");
    expect(describeHostPattern("api.example.com")).toBe("api.example.com");
  });
});

describe("plugin manifest", () => {
  it("reads the permissions a manifest asks for, ignoring what is not one", () => {
    expect(
      manifestPermissions({
        manifest: {
          permissions: [
            { name: "fetch", reason: "calls the API", hosts: ["api.example.com", 3] },
            { name: "secrets", reason: "the API key" },
            { reason: "no name" },
          ],
        },
      }),
    ).toEqual([
      { name: "fetch", reason: "calls the API", hosts: ["api.example.com"] },
      { name: "secrets", reason: "the API key", hosts: [] },
    ]);
    expect(manifestPermissions({ manifest: null })).toEqual([]);
  });

  it("sums up enabled capabilities", () => {
    const c = (enabled: boolean) => ({ uses: "x@1", kind: "action", enabled });
    expect(enabledSummary({ capabilities: [c(true), c(false), c(false)] })).toBe("1 of 3 enabled");
  });
});

const plugin = {
  name: "latchflow-plugin-x",
  version: "2.0.0",
  source: "tarball" as const,
  integrity: "",
  capabilities: [],
  requestedHosts: [],
  approvedHosts: [],
  manifest: {},
  installedAt: null,
  updatedAt: null,
  signature: { state: "unsigned" as const },
};

describe("installedMessage", () => {
  it("says a new plugin starts disabled", () => {
    expect(installedMessage(plugin)).toBe(
      "Installed latchflow-plugin-x 2.0.0. Its capabilities start disabled.",
    );
  });

  it("says what an upgrade kept, what waits for approval and why, and what went", () => {
    const upgrade = {
      from: "1.0.0",
      newPermissions: [{ name: "fetch", hosts: ["api.x.example"], reason: "calls x" }],
      kept: [],
      awaitingApproval: ["latchflow-plugin-x/a@1"],
      removed: ["latchflow-plugin-x/b@1"],
    };
    expect(installedMessage({ ...plugin, upgrade })).toBe(
      "Upgraded latchflow-plugin-x from 1.0.0 to 2.0.0. It asks for more (fetch (api.x.example)): latchflow-plugin-x/a@1 wait disabled until you enable them. No longer there: latchflow-plugin-x/b@1.",
    );
    expect(
      installedMessage({
        ...plugin,
        upgrade: {
          ...upgrade,
          newPermissions: [],
          awaitingApproval: [],
          kept: ["latchflow-plugin-x/a@1"],
          removed: [],
        },
      }),
    ).toBe("Upgraded latchflow-plugin-x from 1.0.0 to 2.0.0. Still enabled: latchflow-plugin-x/a@1.");
  });
});

describe("signatures", () => {
  const signed = { keyId: "0123456789abcdef", fingerprint: "sha256:01", signer: "Acme" };
  it("names the publisher of a trusted key, says when the key is not trusted or there is no signature", () => {
    expect(signatureLabel({ signature: { state: "trusted", ...signed, publisher: "Acme Corp" } })).toBe(
      "Signed by Acme Corp",
    );
    expect(signatureLabel({ signature: { state: "untrusted", ...signed } })).toBe("Signed, key not trusted");
    expect(signatureLabel({ signature: { state: "unsigned" } })).toBe("Unsigned");
    expect(signatureLabel({ signature: null })).toBe("Built in");
  });

  it("an install's warnings end its message", () => {
    const p = { ...plugin, name: "x", version: "1.0.0", warnings: ["The package is unsigned"] };
    expect(installedMessage(p)).toBe(
      "Installed x 1.0.0. Its capabilities start disabled. Warning: The package is unsigned.",
    );
  });
});

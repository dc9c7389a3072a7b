// The deploy manifests wire the storage byte plane (ADR 036): the gateway reaches storage's HTTP port through the
// storage Service (Kubernetes) or the service name (Compose), so the port must be fixed and exposed there.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { nodeEnv, nodeFlags, SERVICES } from "../local/launcher.js";

const dir = join(import.meta.dirname, "..");
type Doc = {
  kind?: string;
  metadata?: { name?: string };
  data?: Record<string, string>;
  spec?: {
    ports?: { name?: string; port?: number; targetPort?: string | number }[];
    template?: {
      spec?: {
        containers?: {
          name: string;
          ports?: { name?: string; containerPort: number }[];
          env?: { name: string; value?: string }[];
        }[];
      };
    };
  };
};

function docs(file: string): Doc[] {
  return parseAllDocuments(readFileSync(join(dir, "k8s", file), "utf8")).map((d) => d.toJSON() as Doc);
}

describe("deploy manifests expose the storage byte plane", () => {
  it("Kubernetes: a fixed LATCHFLOW_STORAGE_HTTP_PORT, a container port and a Service port for it", () => {
    const config = docs("configmap.yaml").find((d) => d.kind === "ConfigMap");
    const port = Number(config?.data?.LATCHFLOW_STORAGE_HTTP_PORT);
    expect(Number.isInteger(port) && port > 0).toBe(true);
    expect(port).not.toBe(Number(config?.data?.LATCHFLOW_GRPC_PORT));

    const storage = docs("storage.yaml");
    const deployment = storage.find((d) => d.kind === "Deployment" && d.metadata?.name === "storage");
    const container = deployment?.spec?.template?.spec?.containers?.find((c) => c.name === "storage");
    const named = container?.ports?.find((p) => p.containerPort === port);
    expect(named?.name).toBeTruthy();
    const service = storage.find((d) => d.kind === "Service" && d.metadata?.name === "storage");
    const servicePort = service?.spec?.ports?.find((p) => p.port === port);
    expect(servicePort?.targetPort === named?.name || servicePort?.targetPort === port).toBe(true);
  });

  it("Compose: the same fixed port for every service", () => {
    const compose = parse(readFileSync(join(dir, "compose.yaml"), "utf8"), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    const env = compose.services.storage?.environment ?? {};
    const port = Number(env.LATCHFLOW_STORAGE_HTTP_PORT);
    expect(Number.isInteger(port) && port > 0).toBe(true);
    expect(Number(compose.services.gateway?.environment?.LATCHFLOW_STORAGE_HTTP_PORT)).toBe(port);
  });
});

describe("deploy manifests run the byte plane's processes with the launcher's Node flags and environment (ADR 057, ADR 063)", () => {
  it("Compose and Kubernetes set NODE_OPTIONS to them for storage and the gateway, and nothing else", () => {
    const compose = parse(readFileSync(join(dir, "compose.yaml"), "utf8"), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    for (const service of SERVICES) {
      const flags = nodeFlags(service).join(" ");
      expect(compose.services[service]?.environment?.NODE_OPTIONS ?? "").toBe(flags);
      const deployment = docs(`${service}.yaml`).find((d) => d.kind === "Deployment");
      const container = deployment?.spec?.template?.spec?.containers?.find((c) => c.name === service);
      expect(container?.env?.find((e) => e.name === "NODE_OPTIONS")?.value ?? "").toBe(flags);
    }
    expect(nodeFlags("storage")).toEqual(["--max-semi-space-size=2"]);
    expect(nodeFlags("gateway")).toEqual(["--max-semi-space-size=2"]);
  });

  it("Compose and Kubernetes set the launcher's malloc variables for storage and the gateway, and nothing else (ADR 063)", () => {
    const compose = parse(readFileSync(join(dir, "compose.yaml"), "utf8"), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    const mallocOnly = (entries: [string, string][]) =>
      Object.fromEntries(entries.filter(([name]) => name.startsWith("MALLOC_")));
    for (const service of SERVICES) {
      const wanted = nodeEnv(service);
      expect(mallocOnly(Object.entries(compose.services[service]?.environment ?? {})), service).toEqual(
        wanted,
      );
      const deployment = docs(`${service}.yaml`).find((d) => d.kind === "Deployment");
      const container = deployment?.spec?.template?.spec?.containers?.find((c) => c.name === service);
      const env = (container?.env ?? []).map((e): [string, string] => [e.name, e.value ?? ""]);
      expect(mallocOnly(env), service).toEqual(wanted);
    }
    expect(nodeEnv("storage")).toEqual({ MALLOC_MMAP_THRESHOLD_: "65536" });
    expect(nodeEnv("gateway")).toEqual({ MALLOC_MMAP_THRESHOLD_: "65536" });
  });
});

import { builtinManifests } from "@latchflow/builtin-plugins";
import { builtinPluginSources } from "@latchflow/builtin-plugins/node";
import { createPluginHost, type PluginHost } from "@latchflow/plugin-host";
import { authV1, bundlesV1, pipelinesV1, pluginsV1, storageV1 } from "@latchflow/proto";
import {
  type Config,
  createClient,
  createMailer,
  type GrpcServer,
  type LatchflowService,
  type Mailer,
  newId,
  type ServiceDeps,
  ServiceName,
} from "@latchflow/runtime";
import {
  createOutboxRelay,
  type Database,
  databaseTarget,
  OutboxMessage,
  type OutboxRelay,
  openDatabase,
  outboxMigration,
} from "@latchflow/runtime/db";
import { createOwners } from "./owners.js";
import { PipelineRow, PipelineVersionRow, pipelineMigration } from "./pipelines/entities.js";
import { createPipelinesApi } from "./pipelines/pipelines-api.js";
import {
  approvalsMigration,
  PluginApprovalRow,
  PluginRow,
  PluginSecretRow,
  PublisherKeyRow,
  pluginsMigration,
  SettingRow,
  signaturesMigration,
} from "./plugins/entities.js";
import { createPluginsApi } from "./plugins/plugins-api.js";
import { type BuiltinPlugin, createRegistry } from "./plugins/registry.js";
import { createSecrets } from "./plugins/secrets.js";
import { createServiceActions } from "./plugins/service-actions.js";
import { AttemptRow, HostCallRow, KvRow, RunRow, runsMigration, StepRow, TimerRow } from "./runs/entities.js";
import { createExecutor, type Executor } from "./runs/executor.js";
import { createRunsApi } from "./runs/runs-api.js";
import { createScheduler, type Scheduler } from "./runs/scheduler.js";
import { createStatsApi } from "./runs/stats.js";
import { TriggerLinkRow, triggerLinksMigration } from "./triggers/entities.js";
import { createLinkSigner } from "./triggers/links.js";
import { createTriggerRunner } from "./triggers/trigger-runner.js";
import { createTriggersApi } from "./triggers/triggers-api.js";

export interface KernelDeps extends ServiceDeps {
  /** where the services live (embedded: filled in as they start, so read at call time) */
  addresses: Config["addresses"];
  now?: () => Date;
  /** a plugin host to use instead of forking one (tests) */
  pluginHost?: PluginHost;
}

let builtins: Promise<BuiltinPlugin[]> | undefined;

/** The built-in plugins, bundled once per process and paired with their manifests. */
export function builtinPlugins(): Promise<BuiltinPlugin[]> {
  builtins ??= builtinPluginSources().then((sources) =>
    builtinManifests.map((manifest) => {
      const source = sources.find((s) => s.name === manifest.name);
      if (!source) throw new Error(`built-in plugin ${manifest.name} has no code`);
      return { manifest, source };
    }),
  );
  return builtins;
}

/**
 * The kernel process: it owns pipelines, runs them (orchestrator), keeps durable timers, and supervises the
 * plugin host. No domain logic of auth, bundles, storage or audit lives here; it talks to them over gRPC.
 */
export function createKernel(deps: KernelDeps): LatchflowService {
  const logger = deps.logger.child({ service: ServiceName.Kernel });
  const now = deps.now ?? (() => new Date());
  const replicaId = `kernel-${newId()}`;
  let db: Database | undefined;
  let relay: OutboxRelay | undefined;
  let host: PluginHost | undefined;
  let mailer: Mailer | undefined;
  let executor: Executor | undefined;
  let scheduler: Scheduler | undefined;
  const options = { deadlineMs: deps.config.grpc.deadlineMs, logger };
  // created on first use: in the embedded mode the services' addresses are known only once they started
  let made: ReturnType<typeof makeClients> | undefined;
  const makeClients = () => ({
    bundles: createClient(bundlesV1.BundlesServiceClient, deps.addresses.bundles, options),
    auth: createClient(authV1.AuthServiceClient, deps.addresses.auth, options),
    storage: createClient(storageV1.StorageServiceClient, deps.addresses.storage, options),
  });
  const clients = {
    get bundles() {
      made ??= makeClients();
      return made.bundles;
    },
    get auth() {
      made ??= makeClients();
      return made.auth;
    },
    get storage() {
      made ??= makeClients();
      return made.storage;
    },
  };
  const publicUrl = () =>
    deps.config.http.publicUrl || `http://${deps.config.http.host}:${deps.config.http.port}`;

  return {
    name: ServiceName.Kernel,
    async start(server: GrpcServer) {
      await deps.bus.ping();
      db = await openDatabase(
        databaseTarget(deps.config, ServiceName.Kernel),
        {
          entities: [
            PipelineRow,
            PipelineVersionRow,
            OutboxMessage,
            RunRow,
            StepRow,
            AttemptRow,
            TimerRow,
            KvRow,
            HostCallRow,
            PluginRow,
            PluginSecretRow,
            SettingRow,
            PluginApprovalRow,
            TriggerLinkRow,
            PublisherKeyRow,
          ],
          migrations: [
            outboxMigration,
            pipelineMigration,
            runsMigration,
            pluginsMigration,
            approvalsMigration,
            triggerLinksMigration,
            signaturesMigration,
          ],
        },
        logger,
      );
      relay = createOutboxRelay({ db, bus: deps.bus, logger });
      relay.start();
      host =
        deps.pluginHost ??
        createPluginHost({
          logger: logger.child({ component: "plugin-host" }),
          maxConcurrentInvocations: deps.config.kernel.pluginConcurrency,
        });
      mailer = createMailer(deps.config, logger);
      const k = deps.config.kernel;
      const registry = createRegistry({ db, host, builtins: builtinPlugins });
      await registry.start();
      const secrets = createSecrets({ db, clients });
      const links = createLinkSigner(db, secrets.sealer);
      const owners = createOwners({ db, clients });
      const hostDeps = {
        mailer,
        actions: createServiceActions({ db, clients, publicUrl, now }),
        secrets: secrets.open,
        logger,
        egressAllowPrivate: k.egressAllowPrivate,
      };
      executor = createExecutor({
        db,
        relay,
        registry,
        host,
        hostDeps,
        logger,
        now,
        replicaId,
        leaseMs: k.leaseMs,
        portalUrl: () => `${publicUrl()}/portal/`,
      });
      const exec = executor;
      const triggers = createTriggerRunner({
        db,
        relay,
        registry,
        host,
        hostDeps,
        links,
        now,
        replicaId,
        leaseMs: k.leaseMs,
        publicUrl,
        owner: owners.of,
        logger,
        begin: exec.begin,
        started: (runs) => {
          for (const r of runs)
            void exec.execute(r.id, { owned: true, ...(r.begun ? { begun: r.begun } : {}) });
        },
      });
      scheduler = createScheduler({
        db,
        executor,
        triggers,
        logger,
        now,
        replicaId,
        leaseMs: k.leaseMs,
        pollMs: k.pollMs,
      });
      const sched = scheduler;
      const pipelines = createPipelinesApi({
        db,
        relay,
        catalog: registry.catalog,
        disabledCatalog: registry.disabledCatalog,
        clients,
        now,
        timersChanged: () => void sched.poke(),
      });
      const runs = createRunsApi({
        db,
        relay,
        registry,
        executor,
        triggers,
        links,
        now,
        replicaId,
        leaseMs: k.leaseMs,
        owner: owners.of,
      });
      const triggerStates = createTriggersApi({ db, triggers, publicUrl, logger });
      server.add(pipelinesV1.PipelinesServiceService, {
        ...pipelines,
        ...runs,
        ...triggerStates,
        ...createStatsApi({ db, now }),
      });
      server.add(
        pluginsV1.PluginsServiceService,
        createPluginsApi({
          db,
          relay,
          registry,
          builtins: builtinPlugins,
          compile: (plugin) => (host as PluginHost).load(plugin),
          seal: secrets.seal,
          pluginRegistry: k.pluginRegistry,
          maxTarballBytes: k.pluginMaxBytes,
          signatures: k.pluginSignatures,
          now,
        }),
      );
      scheduler.start();
    },
    async stop() {
      await scheduler?.stop();
      await executor?.stop();
      if (!deps.pluginHost) await host?.close();
      mailer?.close();
      await relay?.stop();
      made?.bundles.$close();
      made?.auth.$close();
      made?.storage.$close();
      await db?.close();
    },
  };
}

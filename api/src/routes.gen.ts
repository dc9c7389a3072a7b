// Generated from the operations by api/scripts/openapi.ts (pnpm openapi:gen); do not edit.
// The typed client's run-time table: it lets the client work without loading any schema.
import type { RouteInfo } from "./route-table.js";

export type { RouteInfo };

export const routes: Readonly<Record<string, RouteInfo>> = {
  "acknowledgePortalBundle": {
    "method": "post",
    "path": "/api/v1/portal/bundles/:id/acknowledgement",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "addPublisherKey": {
    "method": "post",
    "path": "/api/v1/plugin-keys",
    "body": true,
    "responses": {
      "201": {
        "json": true
      }
    }
  },
  "approvePortalPairing": {
    "method": "post",
    "path": "/api/v1/portal/pairings/:id/approve",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "checkInByLink": {
    "method": "post",
    "path": "/checkin/:token",
    "bodyTypes": [
      "form",
      "json"
    ],
    "responses": {
      "200": {
        "media": "text/html"
      }
    }
  },
  "claimPortalPairing": {
    "method": "post",
    "path": "/api/v1/portal/pairing-claims",
    "body": true,
    "responses": {
      "202": {
        "json": true
      }
    }
  },
  "completeAdminSignIn": {
    "method": "get",
    "path": "/api/v1/auth/admin/callback",
    "responses": {
      "303": {}
    }
  },
  "consumePortalDownload": {
    "method": "post",
    "path": "/api/v1/portal/bundles/:id/downloads",
    "body": true,
    "responses": {
      "201": {
        "json": true
      }
    }
  },
  "controlTrigger": {
    "method": "post",
    "path": "/api/v1/pipelines/:name/triggers/:trigger/:action",
    "body": true,
    "responses": {
      "200": {
        "json": true
      },
      "400": {
        "json": true,
        "ownShape": true
      },
      "405": {
        "json": true,
        "ownShape": true
      },
      "409": {
        "json": true,
        "ownShape": true
      }
    }
  },
  "createAssignment": {
    "method": "post",
    "path": "/api/v1/bundles/:id/assignments",
    "body": true,
    "responses": {
      "201": {
        "json": true
      }
    }
  },
  "createAuditCheckpoint": {
    "method": "post",
    "path": "/api/v1/audit/checkpoints",
    "responses": {
      "200": {
        "json": true
      },
      "201": {
        "json": true
      }
    }
  },
  "createBundle": {
    "method": "post",
    "path": "/api/v1/bundles",
    "body": true,
    "responses": {
      "201": {
        "json": true
      }
    }
  },
  "createPublishLink": {
    "method": "post",
    "path": "/api/v1/bundles/:id/links",
    "body": true,
    "responses": {
      "201": {
        "json": true
      }
    }
  },
  "createRecipient": {
    "method": "post",
    "path": "/api/v1/recipients",
    "body": true,
    "responses": {
      "201": {
        "json": true
      }
    }
  },
  "createToken": {
    "method": "post",
    "path": "/api/v1/tokens",
    "body": true,
    "responses": {
      "201": {
        "json": true
      }
    }
  },
  "decideDeviceAuthorization": {
    "method": "post",
    "path": "/api/v1/auth/device/authorizations/:userCode/decision",
    "body": true,
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "deleteAssignment": {
    "method": "delete",
    "path": "/api/v1/assignments/:id",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "deleteBundle": {
    "method": "delete",
    "path": "/api/v1/bundles/:id",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "deleteFile": {
    "method": "delete",
    "path": "/api/v1/files/:id",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "deletePipeline": {
    "method": "delete",
    "path": "/api/v1/pipelines/:name",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "deletePluginSecret": {
    "method": "delete",
    "path": "/api/v1/plugins/:name/secrets/:secret",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "deleteRecipient": {
    "method": "delete",
    "path": "/api/v1/recipients/:id",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "deliverWebhook": {
    "method": "post",
    "path": "/hooks/:pipeline/:trigger",
    "bodyTypes": [
      "binary"
    ],
    "responses": {
      "202": {
        "json": true
      },
      "400": {
        "json": true,
        "ownShape": true
      },
      "401": {
        "json": true,
        "ownShape": true
      },
      "409": {
        "json": true,
        "ownShape": true
      },
      "413": {
        "json": true,
        "ownShape": true
      },
      "429": {
        "json": true,
        "ownShape": true
      },
      "500": {
        "json": true,
        "ownShape": true
      }
    }
  },
  "denyPortalPairing": {
    "method": "post",
    "path": "/api/v1/portal/pairings/:id/deny",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "downloadFile": {
    "method": "get",
    "path": "/api/v1/files/:id/content",
    "responses": {
      "200": {
        "media": "application/octet-stream"
      }
    }
  },
  "downloadGrant": {
    "method": "get",
    "path": "/dl/:token",
    "responses": {
      "200": {
        "media": "application/zip"
      },
      "206": {
        "media": "application/zip"
      }
    }
  },
  "downloadPublishLink": {
    "method": "get",
    "path": "/s/:token",
    "responses": {
      "200": {
        "media": "application/zip"
      },
      "206": {
        "media": "application/zip"
      }
    }
  },
  "exportAuditRecords": {
    "method": "get",
    "path": "/api/v1/audit/export",
    "responses": {
      "200": {
        "media": [
          "application/x-ndjson",
          "text/csv"
        ]
      }
    }
  },
  "exportBundleArchive": {
    "method": "get",
    "path": "/api/v1/bundles/:id/archive",
    "responses": {
      "200": {
        "media": "application/zip"
      },
      "206": {
        "media": "application/zip"
      }
    }
  },
  "exportRecipients": {
    "method": "get",
    "path": "/api/v1/recipients/export",
    "responses": {
      "200": {
        "json": true,
        "media": "text/csv"
      }
    }
  },
  "forgetPortalDevice": {
    "method": "delete",
    "path": "/api/v1/portal/devices/:id",
    "responses": {
      "204": {}
    }
  },
  "getBundle": {
    "method": "get",
    "path": "/api/v1/bundles/:id",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "getDeviceAuthorization": {
    "method": "get",
    "path": "/api/v1/auth/device/authorizations/:userCode",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "getFile": {
    "method": "get",
    "path": "/api/v1/files/:id",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "getHealth": {
    "method": "get",
    "path": "/healthz",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "getMe": {
    "method": "get",
    "path": "/api/v1/auth/me",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "getMetrics": {
    "method": "get",
    "path": "/metrics",
    "responses": {
      "200": {
        "media": "text/plain"
      }
    }
  },
  "getOpenApi": {
    "method": "get",
    "path": "/api/openapi.json",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "getPipeline": {
    "method": "get",
    "path": "/api/v1/pipelines/:name",
    "responses": {
      "200": {
        "json": true,
        "media": "application/yaml"
      }
    }
  },
  "getPipelineRun": {
    "method": "get",
    "path": "/api/v1/pipelines/:name/runs/:runId",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "getPipelineSchema": {
    "method": "get",
    "path": "/api/v1/schemas/pipeline.json",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "getPlugin": {
    "method": "get",
    "path": "/api/v1/plugins/:name",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "getPortalBundle": {
    "method": "get",
    "path": "/api/v1/portal/bundles/:id",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "getPortalMe": {
    "method": "get",
    "path": "/api/v1/portal/me",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "getPortalPairing": {
    "method": "get",
    "path": "/api/v1/portal/pairings/:id",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "getPortalPairingClaim": {
    "method": "get",
    "path": "/api/v1/portal/pairing-claims/current",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "getReadiness": {
    "method": "get",
    "path": "/readyz",
    "responses": {
      "200": {
        "json": true
      },
      "503": {
        "json": true,
        "ownShape": true
      }
    }
  },
  "getRecipient": {
    "method": "get",
    "path": "/api/v1/recipients/:id",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "getStatsOverview": {
    "method": "get",
    "path": "/api/v1/stats/overview",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "getUser": {
    "method": "get",
    "path": "/api/v1/users/:id",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "getUserAccess": {
    "method": "get",
    "path": "/api/v1/users/:id/access",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "grantPermission": {
    "method": "post",
    "path": "/api/v1/users/:id/permissions",
    "body": true,
    "responses": {
      "201": {
        "json": true
      }
    }
  },
  "importRecipients": {
    "method": "post",
    "path": "/api/v1/recipients/import",
    "bodyTypes": [
      "csv",
      "json"
    ],
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "installPlugin": {
    "method": "post",
    "path": "/api/v1/plugins",
    "bodyTypes": [
      "binary"
    ],
    "responses": {
      "201": {
        "json": true
      }
    }
  },
  "inviteUser": {
    "method": "post",
    "path": "/api/v1/users",
    "body": true,
    "responses": {
      "201": {
        "json": true
      }
    }
  },
  "listAssignmentDownloads": {
    "method": "get",
    "path": "/api/v1/assignments/:id/downloads",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listAssignments": {
    "method": "get",
    "path": "/api/v1/bundles/:id/assignments",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listAuditCheckpoints": {
    "method": "get",
    "path": "/api/v1/audit/checkpoints",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listAuditRecords": {
    "method": "get",
    "path": "/api/v1/audit",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listBundles": {
    "method": "get",
    "path": "/api/v1/bundles",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listCapabilities": {
    "method": "get",
    "path": "/api/v1/capabilities",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listFiles": {
    "method": "get",
    "path": "/api/v1/files",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listPermissions": {
    "method": "get",
    "path": "/api/v1/users/:id/permissions",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listPipelineRuns": {
    "method": "get",
    "path": "/api/v1/pipelines/:name/runs",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listPipelines": {
    "method": "get",
    "path": "/api/v1/pipelines",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listPipelineTriggers": {
    "method": "get",
    "path": "/api/v1/pipelines/:name/triggers",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listPipelineVersions": {
    "method": "get",
    "path": "/api/v1/pipelines/:name/versions",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listPlugins": {
    "method": "get",
    "path": "/api/v1/plugins",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listPluginSecrets": {
    "method": "get",
    "path": "/api/v1/plugins/:name/secrets",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listPortalBundles": {
    "method": "get",
    "path": "/api/v1/portal/bundles",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listPortalDevices": {
    "method": "get",
    "path": "/api/v1/portal/devices",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listPortalDownloads": {
    "method": "get",
    "path": "/api/v1/portal/downloads",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listPublisherKeys": {
    "method": "get",
    "path": "/api/v1/plugin-keys",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listPublishLinks": {
    "method": "get",
    "path": "/api/v1/bundles/:id/links",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listRecipientAssignments": {
    "method": "get",
    "path": "/api/v1/recipients/:id/assignments",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listRecipients": {
    "method": "get",
    "path": "/api/v1/recipients",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listRuns": {
    "method": "get",
    "path": "/api/v1/runs",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listSessions": {
    "method": "get",
    "path": "/api/v1/auth/sessions",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listTokens": {
    "method": "get",
    "path": "/api/v1/tokens",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "listUsers": {
    "method": "get",
    "path": "/api/v1/users",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "logout": {
    "method": "post",
    "path": "/api/v1/auth/logout",
    "responses": {
      "204": {}
    }
  },
  "pollDeviceToken": {
    "method": "post",
    "path": "/api/v1/auth/device/token",
    "bodyTypes": [
      "form",
      "json"
    ],
    "body": true,
    "responses": {
      "200": {
        "json": true
      },
      "400": {
        "json": true,
        "ownShape": true
      }
    }
  },
  "previewRecipientImport": {
    "method": "post",
    "path": "/api/v1/recipients/import/preview",
    "bodyTypes": [
      "csv",
      "json"
    ],
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "putPipeline": {
    "method": "put",
    "path": "/api/v1/pipelines/:name",
    "bodyTypes": [
      "binary"
    ],
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "removePublisherKey": {
    "method": "delete",
    "path": "/api/v1/plugin-keys/:key",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "renamePortalDevice": {
    "method": "patch",
    "path": "/api/v1/portal/devices/:id",
    "body": true,
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "revokeAllSessions": {
    "method": "delete",
    "path": "/api/v1/auth/sessions",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "revokeBundlePublishLink": {
    "method": "delete",
    "path": "/api/v1/bundles/:id/links/:linkId",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "revokePermission": {
    "method": "delete",
    "path": "/api/v1/users/:id/permissions/:permissionId",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "revokePublishLink": {
    "method": "delete",
    "path": "/api/v1/links/:id",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "revokeSession": {
    "method": "delete",
    "path": "/api/v1/auth/sessions/:id",
    "responses": {
      "204": {}
    }
  },
  "revokeToken": {
    "method": "delete",
    "path": "/api/v1/tokens/:id",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "rotateToken": {
    "method": "post",
    "path": "/api/v1/tokens/:id/rotate",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "setBundleObjects": {
    "method": "put",
    "path": "/api/v1/bundles/:id/objects",
    "body": true,
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "setPipelineEnabled": {
    "method": "patch",
    "path": "/api/v1/pipelines/:name",
    "body": true,
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "setPluginSecret": {
    "method": "put",
    "path": "/api/v1/plugins/:name/secrets/:secret",
    "body": true,
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "showCheckInPage": {
    "method": "get",
    "path": "/checkin/:token",
    "responses": {
      "200": {
        "media": "text/html"
      }
    }
  },
  "showDevicePage": {
    "method": "get",
    "path": "/device",
    "responses": {
      "302": {}
    }
  },
  "simulatePermission": {
    "method": "post",
    "path": "/api/v1/auth/permissions/simulate",
    "body": true,
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "startAdminSignIn": {
    "method": "post",
    "path": "/api/v1/auth/admin/start",
    "body": true,
    "responses": {
      "202": {
        "json": true
      }
    }
  },
  "startDeviceAuthorization": {
    "method": "post",
    "path": "/api/v1/auth/device/code",
    "bodyTypes": [
      "form",
      "json"
    ],
    "body": true,
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "startPipelineRun": {
    "method": "post",
    "path": "/api/v1/pipelines/:name/runs",
    "body": true,
    "responses": {
      "202": {
        "json": true
      }
    }
  },
  "startPortalPairing": {
    "method": "post",
    "path": "/api/v1/portal/pairings",
    "responses": {
      "201": {
        "json": true
      }
    }
  },
  "startRecipientSignIn": {
    "method": "post",
    "path": "/api/v1/auth/recipient/start",
    "body": true,
    "responses": {
      "202": {
        "json": true
      }
    }
  },
  "uninstallPlugin": {
    "method": "delete",
    "path": "/api/v1/plugins/:name",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "updateAssignment": {
    "method": "patch",
    "path": "/api/v1/assignments/:id",
    "body": true,
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "updateBundle": {
    "method": "patch",
    "path": "/api/v1/bundles/:id",
    "body": true,
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "updateFile": {
    "method": "patch",
    "path": "/api/v1/files/:id",
    "body": true,
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "updatePlugin": {
    "method": "patch",
    "path": "/api/v1/plugins/:name",
    "body": true,
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "updateRecipient": {
    "method": "patch",
    "path": "/api/v1/recipients/:id",
    "body": true,
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "updateUser": {
    "method": "patch",
    "path": "/api/v1/users/:id",
    "body": true,
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "uploadFile": {
    "method": "post",
    "path": "/api/v1/files",
    "bodyTypes": [
      "binary",
      "multipart"
    ],
    "responses": {
      "201": {
        "json": true
      }
    }
  },
  "validatePipeline": {
    "method": "post",
    "path": "/api/v1/pipelines/validate",
    "bodyTypes": [
      "binary"
    ],
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "verifyAuditChain": {
    "method": "get",
    "path": "/api/v1/audit/verify",
    "responses": {
      "200": {
        "json": true
      }
    }
  },
  "verifyRecipientCode": {
    "method": "post",
    "path": "/api/v1/auth/recipient/verify",
    "body": true,
    "responses": {
      "200": {
        "json": true
      }
    }
  }
};

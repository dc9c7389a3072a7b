import { createAuthenticateApi } from "./api/authenticate.js";
import { createDeviceApi } from "./api/device.js";
import { createDevicesApi } from "./api/devices.js";
import { createPairingApi } from "./api/pairing.js";
import { createRecipientsApi } from "./api/recipients.js";
import { createSessionsApi } from "./api/sessions.js";
import { createSignInApi } from "./api/signin.js";
import { createTokensApi } from "./api/tokens.js";
import { createUsersApi } from "./api/users.js";
import type { AuthContext } from "./context.js";

/** The whole AuthService gRPC API: one handler per RPC, grouped by concern under api/. */
export function createAuthApi(auth: AuthContext) {
  const { createLink, ...signIn } = createSignInApi(auth);
  return {
    ...createAuthenticateApi(auth),
    ...signIn,
    ...createSessionsApi(auth),
    ...createTokensApi(auth),
    ...createDeviceApi(auth),
    ...createUsersApi(auth, createLink),
    ...createRecipientsApi(auth),
    ...createDevicesApi(auth),
    ...createPairingApi(auth),
  };
}

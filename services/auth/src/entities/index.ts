import { ApiToken, DeviceGrant, MagicLink, OtpChallenge, Session } from "./credentials.js";
import { Pairing, RecipientDevice } from "./devices.js";
import { Permission, Recipient, User } from "./users.js";

export * from "./credentials.js";
export * from "./devices.js";
export * from "./users.js";

export const AUTH_ENTITIES = [
  User,
  Permission,
  Recipient,
  ApiToken,
  Session,
  MagicLink,
  OtpChallenge,
  DeviceGrant,
  RecipientDevice,
  Pairing,
];

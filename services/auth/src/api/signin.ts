import type { authV1 } from "@latchflow/proto";
import {
  DEFAULT_TENANT,
  type MailMessage,
  newId,
  type RequestContext,
  Role,
  roleCeiling,
  unauthenticated,
} from "@latchflow/runtime";
import type { EntityManager } from "@latchflow/runtime/db";
import { emitEvent as emit } from "@latchflow/runtime/db";
import { type AuthContext, isEmail, normalizeEmail, SETTINGS } from "../context.js";
import { MagicLink, OtpChallenge, Recipient, User } from "../entities/index.js";
import { magicLinkMail, otpMail } from "../mail-templates.js";
import { LIMITS } from "../rate-limit.js";
import { hashSecret, otpCode, randomSecret, sameHash } from "../secrets.js";
import { deviceKeyFor, recordDevice } from "./devices.js";
import { openRecipientSession } from "./recipient-session.js";
import { openSession } from "./sessions.js";

/** The admin app's page an emailed sign-in link opens. */
const ADMIN_LINK_PAGE = "/admin/sign-in/link";

/** Only same-site relative paths may be a post-sign-in destination. */
function safeNext(next: string): string {
  return /^\/(?![/\\])[^\s\\]{0,499}$/.test(next) ? next : "";
}

const minutes = (ms: number) => Math.round(ms / 60_000);

export function createSignInApi(auth: AuthContext) {
  const log = auth.logger.child({ component: "signin" });

  /** Mail leaves on its own; a failure is logged. */
  const sendLater = (message: MailMessage) => {
    auth.mailer
      .send(message)
      .catch((err: unknown) => log.error({ err: (err as Error).message }, "sign-in mail failed"));
  };

  const recordFailure = async (ctx: RequestContext, method: "magic_link" | "otp", reason: string) => {
    await auth.db
      .em()
      .transactional(async (em) => emit(em, ctx, "auth.signin.failed", {}, { method, reason }));
    auth.relay.nudge();
  };

  /** A magic link for `email` (known user, or anyone while the database has no user at all). */
  const createLink = async (em: EntityManager, email: string, next: string, linkBase: string) => {
    const now = auth.now();
    const token = randomSecret();
    em.create(MagicLink, {
      id: newId(now),
      tenant: DEFAULT_TENANT,
      email,
      tokenHash: auth.keyedHash(token),
      next,
      createdAt: now,
      expiresAt: new Date(now.getTime() + SETTINGS.magicLinkTtlMs),
      usedAt: null,
    });
    // the admin app's page completes the sign-in (completeAdminSignIn) and goes on to `next` (ADR 027)
    const query = new URLSearchParams({ token, ...(next ? { next } : {}) });
    return `${linkBase.replace(/\/$/, "")}${ADMIN_LINK_PAGE}?${query}`;
  };

  /*
   * Sign-in starts answer before looking the address up: the lookup, the code or link written and the mail
   * happen after the answer, so a known and an unknown address get the same answer in the same time.
   */

  /** A magic link to a known active user (or to anyone while the database has no user at all). */
  const sendAdminLink = async (email: string, next: string, linkBase: string, ctx: RequestContext) => {
    const em = auth.db.em();
    const user = await em.findOne(User, { tenant: DEFAULT_TENANT, email });
    const firstUser = !user && (await em.count(User, {})) === 0;
    if (!(user?.active || firstUser)) return;
    const link = await em.transactional(async (tx) => {
      const url = await createLink(tx, email, next, linkBase);
      await emit(tx, ctx, "auth.magic-link.sent", user ? { userId: user.id } : {}, { email });
      return url;
    });
    auth.relay.nudge();
    sendLater(magicLinkMail(email, link, minutes(SETTINGS.magicLinkTtlMs)));
  };

  /** A one-time code to an enabled recipient, unless one was sent too recently or too often. */
  const sendRecipientCode = async (email: string, ctx: RequestContext) => {
    const now = auth.now();
    const em = auth.db.em();
    const recipient = await em.findOne(Recipient, { tenant: DEFAULT_TENANT, email, enabled: true });
    if (!recipient) return;
    const recent = await em.find(
      OtpChallenge,
      { recipientId: recipient.id, createdAt: { $gt: new Date(now.getTime() - 3_600_000) } },
      { orderBy: { createdAt: "desc" } },
    );
    const last = recent[0];
    if (last && now.getTime() - last.createdAt.getTime() < SETTINGS.otpResendMs) return;
    if (recent.length >= SETTINGS.otpMaxPerHour) return;
    const code = otpCode();
    await em.transactional(async (tx) => {
      await tx.nativeUpdate(OtpChallenge, { recipientId: recipient.id, usedAt: null }, { usedAt: now });
      const id = newId(now);
      tx.create(OtpChallenge, {
        id,
        tenant: recipient.tenant,
        recipientId: recipient.id,
        codeHash: auth.keyedHash(`${id}:${code}`),
        attempts: 0,
        createdAt: now,
        expiresAt: new Date(now.getTime() + SETTINGS.otpTtlMs),
        usedAt: null,
      });
      await emit(tx, ctx, "auth.otp.sent", { recipientId: recipient.id }, { recipientId: recipient.id });
    });
    auth.relay.nudge();
    sendLater(otpMail(email, code, minutes(SETTINGS.otpTtlMs)));
  };

  return {
    createLink,

    async startAdminSignIn(req: authV1.StartAdminSignInRequest, ctx: RequestContext) {
      const email = normalizeEmail(req.email);
      await auth.limiter.hit(LIMITS.adminStartPerIp, ctx.client?.ip, auth.now());
      await auth.limiter.hit(LIMITS.adminStartPerEmail, hashSecret(email), auth.now());
      if (isEmail(email)) {
        const next = safeNext(req.next);
        auth.background.run("admin-sign-in", () => sendAdminLink(email, next, req.linkBase, ctx));
      }
      return {};
    },

    async completeAdminSignIn(
      req: authV1.CompleteAdminSignInRequest,
      ctx: RequestContext,
    ): Promise<authV1.SessionGrant> {
      await auth.limiter.hit(LIMITS.callbackPerIp, ctx.client?.ip, auth.now());
      const now = auth.now();
      const em = auth.db.em();
      const link = req.token ? await em.findOne(MagicLink, { tokenHash: auth.keyedHash(req.token) }) : null;
      const reason = !link
        ? "unknown_link"
        : link.usedAt
          ? "link_used"
          : link.expiresAt <= now
            ? "link_expired"
            : "";
      if (!link || reason) {
        await recordFailure(ctx, "magic_link", reason);
        throw unauthenticated("This sign-in link is invalid, used or expired");
      }
      const grant = await em.transactional(async (tx) => {
        // single use, even under concurrent clicks: only one conditional update succeeds
        const claimed = await tx.nativeUpdate(MagicLink, { id: link.id, usedAt: null }, { usedAt: now });
        if (claimed !== 1) return undefined;
        let user = await tx.findOne(User, { tenant: link.tenant, email: link.email });
        if (!user && (await tx.count(User, {})) === 0) {
          user = tx.create(User, {
            id: newId(now),
            tenant: link.tenant,
            email: link.email,
            role: Role.Owner,
            active: true,
            createdAt: now,
            lastSignInAt: null,
          });
          await emit(
            tx,
            ctx,
            "auth.user.created",
            { userId: user.id },
            { email: user.email, role: user.role },
          );
          await tx.flush();
        }
        if (!user?.active) return undefined;
        user.lastSignInAt = now;
        const opened = openSession(tx, auth, ctx, { kind: "user", id: user.id, tenant: user.tenant });
        const signedIn = { ...ctx, caller: { kind: "user" as const, id: user.id } };
        await emit(
          tx,
          signedIn,
          "auth.signin.succeeded",
          { userId: user.id },
          {
            method: "magic_link",
            subjectKind: "user",
            sessionId: opened.session.id,
          },
        );
        return { opened, user };
      });
      if (!grant) {
        await recordFailure(ctx, "magic_link", "link_used_or_user_inactive");
        throw unauthenticated("This sign-in link is invalid, used or expired");
      }
      auth.relay.nudge();
      const { opened, user } = grant;
      return {
        sessionToken: opened.token,
        csrfToken: opened.csrfToken,
        expiresAt: opened.session.expiresAt,
        next: link.next,
        deviceKey: "",
        identity: {
          tenant: user.tenant,
          kind: "user",
          subjectId: user.id,
          email: user.email,
          role: user.role,
          credentialId: opened.session.id,
          scopes: roleCeiling(user.role),
          permissions: [],
          csrfHash: opened.session.csrfHash,
        },
      };
    },

    async startRecipientSignIn(req: authV1.StartRecipientSignInRequest, ctx: RequestContext) {
      const email = normalizeEmail(req.email);
      await auth.limiter.hit(LIMITS.recipientStartPerIp, ctx.client?.ip, auth.now());
      if (isEmail(email)) auth.background.run("recipient-sign-in", () => sendRecipientCode(email, ctx));
      return {};
    },

    async verifyRecipientCode(
      req: authV1.VerifyRecipientCodeRequest,
      ctx: RequestContext,
    ): Promise<authV1.SessionGrant> {
      const now = auth.now();
      await auth.limiter.hit(LIMITS.recipientVerifyPerIp, ctx.client?.ip, now);
      const email = normalizeEmail(req.email);
      const invalid = () => unauthenticated("Invalid or expired code");
      const em = auth.db.em();
      const recipient = isEmail(email)
        ? await em.findOne(Recipient, { tenant: DEFAULT_TENANT, email, enabled: true })
        : null;
      const challenge = recipient
        ? await em.findOne(
            OtpChallenge,
            { recipientId: recipient.id, usedAt: null, expiresAt: { $gt: now } },
            { orderBy: { createdAt: "desc" } },
          )
        : null;
      if (!recipient || !challenge || challenge.attempts >= SETTINGS.otpMaxAttempts) {
        await recordFailure(ctx, "otp", "no_active_code");
        throw invalid();
      }
      const ok =
        /^\d{6}$/.test(req.code) &&
        sameHash(auth.keyedHash(`${challenge.id}:${req.code}`), challenge.codeHash);
      const result = await em.transactional(async (tx) => {
        if (!ok) {
          const attempts = challenge.attempts + 1;
          const invalidated = attempts >= SETTINGS.otpMaxAttempts;
          await tx.nativeUpdate(
            OtpChallenge,
            { id: challenge.id },
            { attempts, ...(invalidated ? { usedAt: now } : {}) },
          );
          await emit(
            tx,
            ctx,
            "auth.otp.failed",
            { recipientId: recipient.id },
            { recipientId: recipient.id, attempts, invalidated },
          );
          return undefined;
        }
        const claimed = await tx.nativeUpdate(
          OtpChallenge,
          { id: challenge.id, usedAt: null },
          { usedAt: now },
        );
        if (claimed !== 1) return undefined;
        const key = await deviceKeyFor(tx, recipient.id, req.deviceKey);
        const device = await recordDevice(tx, now, recipient, hashSecret(key), ctx.client?.userAgent ?? "");
        await tx.flush();
        const signedIn = { ...ctx, caller: { kind: "recipient" as const, id: recipient.id } };
        await emit(
          tx,
          signedIn,
          "auth.otp.verified",
          { recipientId: recipient.id },
          { recipientId: recipient.id },
        );
        return openRecipientSession(tx, auth, ctx, recipient, { id: device.id, key }, "otp");
      });
      auth.relay.nudge();
      if (!result) throw invalid();
      return result;
    },
  };
}

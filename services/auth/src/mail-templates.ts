import type { MailMessage } from "@latchflow/runtime";

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

export function magicLinkMail(to: string, link: string, minutes: number): MailMessage {
  return {
    to,
    subject: "Your Latchflow sign-in link",
    text: `Sign in to Latchflow:\n\n${link}\n\nThe link works once and expires in ${minutes} minutes. If you did not ask for it, ignore this email.`,
    html: `<p>Sign in to Latchflow:</p><p><a href="${escapeHtml(link)}">Sign in</a></p><p>The link works once and expires in ${minutes} minutes. If you did not ask for it, ignore this email.</p>`,
  };
}

export function inviteMail(to: string, link: string, role: string, minutes: number): MailMessage {
  return {
    to,
    subject: "You have been invited to Latchflow",
    text: `You have been invited to Latchflow as ${role}. Sign in:\n\n${link}\n\nThe link works once and expires in ${minutes} minutes; you can ask for a new one on the sign-in page.`,
    html: `<p>You have been invited to Latchflow as ${escapeHtml(role)}.</p><p><a href="${escapeHtml(link)}">Sign in</a></p><p>The link works once and expires in ${minutes} minutes.</p>`,
  };
}

export function otpMail(to: string, code: string, minutes: number): MailMessage {
  return {
    to,
    subject: `Your Latchflow code: ${code}`,
    text: `Your one-time code is ${code}\n\nIt expires in ${minutes} minutes. If you did not ask for it, ignore this email.`,
    html: `<p>Your one-time code is <strong>${escapeHtml(code)}</strong></p><p>It expires in ${minutes} minutes. If you did not ask for it, ignore this email.</p>`,
  };
}

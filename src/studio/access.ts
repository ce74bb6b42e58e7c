/**
 * Who may talk to the studio. Bound to a loopback address (the default,
 * 127.0.0.1) only this machine can reach it, and requests must name a
 * loopback host (so a web page elsewhere cannot reach it through DNS
 * rebinding). Bound to any other address, every request must carry the
 * access token, in the `x-prefopt-token` header or a `token` query parameter,
 * compared in constant time.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** A fresh random token (32 hex digits). */
export function newToken(): string {
  return randomBytes(16).toString("hex");
}

/** Constant-time comparison of a presented token with the expected one. */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The host name of a Host header ("127.0.0.1:8080" → "127.0.0.1", "[::1]:80" → "[::1]"). */
export function hostName(header: string | undefined): string {
  if (!header) return "";
  if (header.startsWith("[")) return header.slice(0, header.indexOf("]") + 1);
  const i = header.lastIndexOf(":");
  return i < 0 ? header : header.slice(0, i);
}

export type AccessPolicy = { token?: string };

/**
 * Why a request is refused (status and one-line message), or null to let it
 * through: with a token, the token must match; without one, the Host header
 * must name a loopback host.
 */
export function refusal(
  policy: AccessPolicy,
  req: { host?: string; token?: string },
): { status: number; error: string } | null {
  if (policy.token) {
    return tokenMatches(req.token, policy.token)
      ? null
      : {
          status: 401,
          error: "access token missing or wrong: open the URL the studio printed (with ?token=…)",
        };
  }
  return isLoopback(hostName(req.host))
    ? null
    : {
        status: 403,
        error: `host "${req.host ?? ""}" refused: the studio answers on localhost only`,
      };
}

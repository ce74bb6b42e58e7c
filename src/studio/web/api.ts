/**
 * The web app's calls to the studio API: JSON in and out, the access token (from
 * the page's ?token=) in a header, and every error turned into one line.
 */

const token = new URLSearchParams(location.search).get("token") ?? "";

/** Adds the access token to a same-origin URL (for images and downloads). */
export function withToken(url: string): string {
  if (!token) return url;
  return `${url}${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
}

/** GET or POST `path`; resolves to the parsed JSON, rejects with the server's one-line error. */
export async function api<T>(path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers["x-prefopt-token"] = token;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const msg =
      (data as { error?: string } | undefined)?.error ?? `${res.status} ${res.statusText}`;
    throw new Error(msg);
  }
  return data as T;
}

/** A random id for a request, so a retried label is stored once. */
export function clientId(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

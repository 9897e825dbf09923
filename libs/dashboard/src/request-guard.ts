import type { IncomingMessage } from 'node:http';
import { sameToken } from './dashboard-token';

/** Header that carries the token on the page's POST requests (a cross-site form cannot set it). */
export const TOKEN_HEADER = 'x-dashboard-token';

/** A request the server refuses, with its status and the reason given in the body. */
export interface Refusal {
  readonly status: 403 | 421;
  readonly reason: string;
}

/**
 * Checks a request to the dashboard before anything else: the Host header must name this server by loopback
 * address (`127.0.0.1:PORT` or `localhost:PORT`: a page of another site that rebinds its DNS name to 127.0.0.1 sends
 * its own name and is refused, 421), and the token must be given: in the `x-dashboard-token` header, or for a GET
 * in the `token` query parameter (the page's address, its assets and its event stream). A POST (stop, pause) must
 * carry the header, and an Origin, when the browser sends one, must be this server's. Returns null when the request
 * may proceed.
 */
export function checkRequest(req: IncomingMessage, url: URL, token: string, port: number): Refusal | null {
  const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  const host = req.headers.host;
  if (host === undefined || !allowedHosts.includes(host.toLowerCase())) {
    return { status: 421, reason: `this dashboard answers to http://127.0.0.1:${port} only` };
  }
  const header = req.headers[TOKEN_HEADER];
  const fromHeader = typeof header === 'string' ? header : undefined;
  if (req.method === 'POST') {
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedHosts.some((h) => origin.toLowerCase() === `http://${h}`)) return { status: 403, reason: 'cross-origin request refused' };
    if (!sameToken(fromHeader, token)) return { status: 403, reason: `the ${TOKEN_HEADER} header is missing or wrong` };
    return null;
  }
  if (!sameToken(fromHeader ?? url.searchParams.get('token'), token)) return { status: 403, reason: 'the token is missing or wrong: open the address printed by the program' };
  return null;
}

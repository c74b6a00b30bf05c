// Which names and addresses are this machine's loopback: solo mode binds only to them, and the page
// is served only under them (plus names the operator allows) against DNS rebinding.
import { isIPv4, isIPv6 } from 'node:net';

/**
 * "localhost", an IPv4 address in 127.0.0.0/8, or ::1 in any spelling (bare or in brackets, as in a
 * Host header). A name that merely starts with "127." (127.example.org) is a name, not loopback.
 */
export function isLoopbackHost(name: string): boolean {
  const host = name.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost') return true;
  if (isIPv4(host)) return host.startsWith('127.');
  // The URL parser writes an IPv6 address in its one short form: 0:0:0:0:0:0:0:1 becomes ::1.
  return isIPv6(host) && new URL(`http://[${host}]/`).hostname === '[::1]';
}

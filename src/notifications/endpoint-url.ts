import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

// Link-local and cloud metadata addresses: a registered URL must never make this service fetch them.
const REFUSED = new BlockList();
REFUSED.addSubnet('169.254.0.0', 16, 'ipv4');
REFUSED.addSubnet('fe80::', 10, 'ipv6');
REFUSED.addAddress('fd00:ec2::254', 'ipv6');

export function isRefusedAddress(address: string): boolean {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return REFUSED.check(mapped[1], 'ipv4');
  const family = isIP(address);
  return family !== 0 && REFUSED.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** `orders.internal` matches itself only; `*.svc.local` matches any name below svc.local. */
export function hostAllowed(host: string, patterns: string[]): boolean {
  if (patterns.length === 0) return true;
  const name = host.toLowerCase();
  return patterns.some((p) => (p.startsWith('*.') ? name.endsWith(p.slice(1)) && name.length > p.length - 1 : name === p));
}

/** Why `raw` may not be an endpoint URL, or null when it may. Checked at registration and again before each send. */
export function endpointUrlProblem(raw: string, allowedHosts: string[]): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url must be an absolute http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'url must use http or https';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isRefusedAddress(host)) return `url must not point at a link-local or cloud metadata address (${host})`;
  if (!hostAllowed(host, allowedHosts)) return `url host ${host} is not in NOTIFICATION_ALLOWED_HOSTS`;
  return null;
}

/** DNS lookup for outgoing deliveries that refuses names resolving to a refused address (DNS rebinding). */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '', 0);
    const refused = addresses.find((a) => isRefusedAddress(a.address));
    if (refused) {
      const error = Object.assign(new Error(`${hostname} resolves to the refused address ${refused.address}`), { code: 'EADDRREFUSED' });
      return callback(error, '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Where a webhook may be posted: only to a public address. A program's endpoint URL is typed by a person, so without
 * this check a delivery could reach the services beside bansou (Postgres, Temporal, the metrics ports, a cloud's
 * metadata address). The check is made on the address the connection then uses (the lookup below hands exactly the
 * checked address to the socket), so a name that resolves to something else a moment later (DNS rebinding) gains
 * nothing.
 */

const block = (ranges: [string, number, 'ipv4' | 'ipv6'][]) => {
  const list = new BlockList();
  for (const [network, prefix, family] of ranges) list.addSubnet(network, prefix, family);
  return list;
};

/** Loopback: allowed only with WEBHOOK_ALLOW_LOOPBACK_HTTP (development and tests). */
const LOOPBACK = block([
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
]);

/** Not public: this network, private, shared (CGNAT), link-local, benchmarking, protocol, multicast, reserved. */
const NOT_PUBLIC = block([
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
]);

/** An IPv4 address written as IPv6 (`::ffff:10.0.0.1`, or its hex form) as the IPv4 address it is. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const v6 = address.toLowerCase();
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v6);
  if (dotted) return { address: dotted[1]!, family: 'ipv4' };
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (hex) {
    const [high, low] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
    return { address: [high >> 8, high & 255, low >> 8, low & 255].join('.'), family: 'ipv4' };
  }
  return { address, family: isIP(address) === 4 ? 'ipv4' : 'ipv6' };
}

/** Why a webhook may not be posted to this IP address, or undefined when it may. */
export function receiverAddressProblem(ip: string, allowLoopback: boolean): string | undefined {
  if (!isIP(ip)) return `${ip} is not an IP address`;
  const { address, family } = unmapped(ip);
  if (LOOPBACK.check(address, family)) {
    return allowLoopback ? undefined : `${ip} is a loopback address (allowed only with WEBHOOK_ALLOW_LOOPBACK_HTTP)`;
  }
  if (NOT_PUBLIC.check(address, family)) return `${ip} is not a public address`;
  return undefined;
}

/** Why a webhook may not be posted to the IP address written in this URL's host; undefined for a name (checked when
 * it is resolved) or an address allowed. */
export function literalAddressProblem(url: URL, allowLoopback: boolean): string | undefined {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) ? receiverAddressProblem(host, allowLoopback) : undefined;
}

/** Raised when a receiver's address is refused: the delivery fails for good, with this reason in its log. */
export class ReceiverAddressRefused extends Error {
  readonly code = 'ERECEIVERADDRESS';
  constructor(readonly reason: string) {
    super(`refused to post: ${reason}`);
    this.name = 'ReceiverAddressRefused';
  }
}

/**
 * A socket `lookup` that resolves the host and answers only with an address it checked; when any address the name
 * has is refused, the connection is refused (a name that mixes public and private addresses is not trusted).
 */
export function checkedLookup(allowLoopback: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, found: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const problem = found.map((a) => receiverAddressProblem(a.address, allowLoopback)).find(Boolean);
      if (problem || !found.length) {
        return callback(new ReceiverAddressRefused(problem ?? `${hostname} has no address`), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, found);
      callback(null, found[0]!.address, found[0]!.family);
    });
  };
}

/**
 * Posts `body` to `url` and answers the response's status (the body is read and dropped; redirects are not
 * followed). The host is checked first: an IP address as written, a name through `checkedLookup`.
 */
export function postToReceiver(url: string, { headers, body, timeoutMs, allowLoopback }: PostOptions): Promise<number> {
  const target = new URL(url);
  const literalProblem = literalAddressProblem(target, allowLoopback);
  if (literalProblem) return Promise.reject(new ReceiverAddressRefused(literalProblem));
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        lookup: checkedLookup(allowLoopback),
        // A connection of its own: a kept-alive one from the shared pool would skip the lookup and its check.
        agent: false,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

type PostOptions = { headers: Record<string, string>; body: string; timeoutMs: number; allowLoopback: boolean };

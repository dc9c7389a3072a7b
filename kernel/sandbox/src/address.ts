import { isIPv4, isIPv6 } from "node:net";

/** Where an IP address points; only `public` is reachable by plugin egress unless a test option allows more. */
export type AddressClass =
  | "public"
  | "loopback"
  | "private"
  | "link-local"
  | "unspecified"
  | "cgnat"
  | "metadata"
  | "multicast"
  | "reserved"
  | "invalid";

/** Classifies a literal IPv4 or IPv6 address (brackets and zone ids allowed); IPv4 embedded in IPv6 is unwrapped. */
export function classifyAddress(address: string): AddressClass {
  let ip = address.trim();
  if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
  const zone = ip.indexOf("%");
  if (zone >= 0) ip = ip.slice(0, zone);
  if (isIPv4(ip)) return classifyV4(ip.split(".").map(Number) as [number, number, number, number]);
  if (isIPv6(ip)) return classifyV6(parseV6(ip));
  return "invalid";
}

function classifyV4([a, b, c, d]: [number, number, number, number]): AddressClass {
  if (a === 169 && b === 254 && c === 169 && d === 254) return "metadata";
  if (a === 0) return a === 0 && b === 0 && c === 0 && d === 0 ? "unspecified" : "reserved";
  if (a === 127) return "loopback";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private";
  if (a === 169 && b === 254) return "link-local";
  if (a === 100 && b >= 64 && b <= 127) return "cgnat";
  if (a >= 224 && a <= 239) return "multicast";
  if (a >= 240) return "reserved"; // 240/4 and the broadcast address
  if (a === 192 && b === 0 && c === 0) return "reserved"; // IETF protocol assignments
  if (a === 198 && (b === 18 || b === 19)) return "reserved"; // benchmarking
  return "public";
}

function classifyV6(h: number[]): AddressClass {
  const [h0 = 0, , , , , h5 = 0, h6 = 0, h7 = 0] = h;
  const zeroUpTo = (n: number) => h.slice(0, n).every((x) => x === 0);
  const v4 = (): [number, number, number, number] => [h6 >> 8, h6 & 0xff, h7 >> 8, h7 & 0xff];
  if (zeroUpTo(8)) return "unspecified";
  if (zeroUpTo(7) && h7 === 1) return "loopback";
  // IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, IPv4-translated ::ffff:0:a.b.c.d
  if (zeroUpTo(5) && (h5 === 0xffff || h5 === 0)) return classifyV4(v4());
  if (zeroUpTo(4) && h[4] === 0xffff && h5 === 0) return classifyV4(v4());
  // NAT64 64:ff9b::/96 embeds an IPv4 address
  if (h0 === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0)) return classifyV4(v4());
  if (h0 === 0xfd00 && h[1] === 0xec2 && h.slice(2, 7).every((x) => x === 0) && h7 === 0x254)
    return "metadata";
  if ((h0 & 0xfe00) === 0xfc00) return "private"; // fc00::/7 unique local
  if ((h0 & 0xffc0) === 0xfe80) return "link-local"; // fe80::/10
  if ((h0 & 0xffc0) === 0xfec0) return "private"; // fec0::/10 deprecated site-local
  if ((h0 & 0xff00) === 0xff00) return "multicast";
  if (h0 === 0x2002) return classifyV4([h[1]! >> 8, h[1]! & 0xff, h[2]! >> 8, h[2]! & 0xff]); // 6to4
  if (h0 === 0x2001 && h[1] === 0xdb8) return "reserved"; // documentation
  if ((h0 & 0xe000) !== 0x2000) return "reserved"; // outside global unicast 2000::/3
  return "public";
}

/** Parses a valid IPv6 literal (already checked by `isIPv6`) into 8 hextets. */
function parseV6(ip: string): number[] {
  let text = ip.toLowerCase();
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split(".").map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", rest] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = rest ? rest.split(":") : [];
  const fill = rest === undefined ? [] : new Array<string>(8 - left.length - right.length).fill("0");
  return [...left, ...fill, ...right].map((x) => Number.parseInt(x, 16));
}

/** Hostname of a URL as WHATWG URL normalizes it (`0x7f.1` → `127.0.0.1`), without IPv6 brackets. */
export function urlHostname(url: URL): string {
  const host = url.hostname;
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

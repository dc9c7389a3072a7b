import { describe, expect, it } from "vitest";
import { type AddressClass, classifyAddress, urlHostname } from "./address.js";

describe("classifyAddress", () => {
  const table: Array<[string, AddressClass]> = [
    ["127.0.0.1", "loopback"],
    ["127.255.1.2", "loopback"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", "public"],
    ["192.168.1.1", "private"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["169.254.1.1", "link-local"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["0.1.2.3", "reserved"],
    ["100.64.0.1", "cgnat"],
    ["100.127.255.255", "cgnat"],
    ["100.128.0.1", "public"],
    ["169.254.169.254", "metadata"],
    ["fd00:ec2::254", "metadata"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:169.254.169.254", "metadata"],
    ["::ffff:0:127.0.0.1", "loopback"],
    ["::127.0.0.1", "loopback"],
    ["64:ff9b::10.0.0.1", "private"],
    ["64:ff9b::8.8.8.8", "public"],
    ["2002:7f00:1::", "loopback"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["2001:db8::1", "reserved"],
    ["8.8.8.8", "public"],
    ["93.184.216.34", "public"],
    ["2606:4700::1111", "public"],
    ["::ffff:8.8.8.8", "public"],
    ["example.com", "invalid"],
    ["", "invalid"],
  ];
  it.each(table)("%s → %s", (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });
});

describe("urlHostname normalizes obfuscated hosts before classification", () => {
  const table: Array<[string, string, AddressClass]> = [
    ["http://[::ffff:127.0.0.1]/", "::ffff:7f00:1", "loopback"],
    ["http://0x7f.1/", "127.0.0.1", "loopback"],
    ["http://2130706433/", "127.0.0.1", "loopback"],
    ["http://017700000001/", "127.0.0.1", "loopback"],
    ["http://127.1/", "127.0.0.1", "loopback"],
    ["http://0xa9fea9fe/", "169.254.169.254", "metadata"],
    ["http://[fd00:ec2::254]/", "fd00:ec2::254", "metadata"],
    ["http://[0:0:0:0:0:0:0:0]/", "::", "unspecified"],
  ];
  it.each(table)("%s → %s (%s)", (url, host, expected) => {
    expect(urlHostname(new URL(url))).toBe(host);
    expect(classifyAddress(urlHostname(new URL(url)))).toBe(expected);
  });
});

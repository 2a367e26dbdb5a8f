/** IP addresses and CIDR blocks (`10.0.0.5`, `10.0.0.0/8`, `fd00::/8`): parsing and matching. */
import { BlockList, isIP } from 'node:net';

type Family = 'ipv4' | 'ipv6';

/** Whether `entry` is an IP address or a CIDR block. */
export function isAddressOrCidr(entry: string): boolean {
  return parse(entry) !== undefined;
}

/** A test for "is this address in one of `entries`"; throws on an entry that is neither an IP nor a CIDR. */
export function addressMatcher(entries: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const parsed = parse(entry);
    if (!parsed) throw new Error(`"${entry}" is not an IP address or CIDR block`);
    const [address, family, prefix] = parsed;
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, prefix, family);
  }
  return (address) => {
    const version = isIP(address);
    return version !== 0 && list.check(address, version === 6 ? 'ipv6' : 'ipv4');
  };
}

function parse(entry: string): [string, Family, number?] | undefined {
  const [address = '', prefixText, extra] = entry.trim().split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return undefined;
  const family: Family = version === 6 ? 'ipv6' : 'ipv4';
  if (prefixText === undefined) return [address, family];
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > (version === 6 ? 128 : 32)) return undefined;
  return [address, family, Number(prefixText)];
}

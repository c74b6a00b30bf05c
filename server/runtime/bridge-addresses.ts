// Addresses on an isolab bridge (10.88.0.0/16), leased host-wide (host-leases.ts): two servers on
// one host never give two containers the same one.
import { HostLeases, type LeaseTable } from './host-leases.js';

/** 10.88.0.0/16 minus the network, the gateway (.0.1) and broadcast: 65,533 containers at once. */
const FIRST_HOST = 2;
const LAST_HOST = 65534;

export const BRIDGE_ADDRESS_TABLE: LeaseTable = {
  dir: '/run/isolab/bridge-addresses',
  size: LAST_HOST + 1,
  full: 'no free address left on the isolab bridge',
  // .x.0 and .x.255 are valid in a /16, but some tools treat them oddly: skip them.
  skip: (host) => host < FIRST_HOST || (host & 255) === 0 || (host & 255) === 255,
};

export interface BridgeAddress {
  /** "10.88.0.7/16" */
  readonly cidr: string;
  release(): void;
}

export class BridgeAddresses {
  private readonly leases = new HostLeases(BRIDGE_ADDRESS_TABLE);

  acquire(): BridgeAddress {
    const lease = this.leases.acquire();
    const host = lease.index;
    return { cidr: `10.88.${host >> 8}.${host & 255}/16`, release: () => lease.release() };
  }
}

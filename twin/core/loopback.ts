/**
 * Hands out loopback addresses, one per simulated task or standalone member, so each listens on its
 * own address (127.0.0.0/8 all routes to this machine). Addresses are not reused within a run,
 * as a replaced ECS task gets a new address. 127.0.0.1 is left for the twin's HTTP endpoint.
 */
export class LoopbackAllocator {
  private next: number;

  constructor(firstHost = 1 * 256 + 1 /* 127.0.1.1 */) {
    this.next = firstHost;
  }

  allocate(): string {
    const n = this.next++;
    if (n >= 256 * 256 * 255) throw new RangeError('loopback addresses exhausted');
    const a = Math.floor(n / 65536);
    const b = Math.floor(n / 256) % 256;
    const c = n % 256;
    if (c === 0 || c === 255) return this.allocate();
    return `127.${a}.${b}.${c}`;
  }
}

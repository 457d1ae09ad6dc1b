/** Shared neo4j-driver helpers for the simulated-cluster tests: one driver per URL, closed together. */
import neo4j from 'neo4j-driver';
import type { Driver } from 'neo4j-driver';

export class Drivers {
  private readonly drivers = new Map<string, Driver>();

  constructor(
    private readonly user: string,
    private readonly password: string,
  ) {}

  get(url: string): Driver {
    let d = this.drivers.get(url);
    if (!d) {
      d = neo4j.driver(url, neo4j.auth.basic(this.user, this.password), {
        connectionTimeout: 3000,
        maxTransactionRetryTime: 0,
        disableLosslessIntegers: true,
        logging: { level: 'error', logger: () => undefined },
      });
      this.drivers.set(url, d);
    }
    return d;
  }

  /** Runs one auto-commit query and returns plain row objects. */
  async rows(
    url: string,
    query: string,
    params: Record<string, unknown> = {},
    database = 'system',
  ): Promise<Record<string, unknown>[]> {
    const session = this.get(url).session({ database });
    try {
      const r = await session.run(query, params);
      return r.records.map((x) => x.toObject() as Record<string, unknown>);
    } finally {
      await session.close();
    }
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.drivers.values()].map((d) => d.close()));
    this.drivers.clear();
  }
}

/**
 * One simulated Neo4j server process: its identity (server id from its volume, or a new one when the
 * volume is empty), its Bolt server on its own address, and its membership in the cluster model.
 * Starting a member whose version the cluster refuses fails with {@link MemberRefusedError}, as the
 * real process would exit.
 */
import type { WorldLog } from '../core/world-log.js';
import { BoltServer } from './bolt-server.js';
import type { ClusterModel, Mode } from './cluster.js';
import { routingTable } from './cluster-views.js';
import { Neo4jError } from './errors.js';
import { QueryEngine } from './query-engine.js';
import { MemberVolume } from './store.js';
import { boltVersionsFor, parseVersion } from './versions.js';
import type { Version } from './versions.js';

export class MemberRefusedError extends Error {
  constructor(
    readonly member: string,
    reason: string,
  ) {
    super(`member ${member} refused to start: ${reason}`);
    this.name = 'MemberRefusedError';
  }
}

export interface MemberOptions {
  name: string;
  mode: Mode;
  host: string;
  /** 0 picks a free port on the first start; later starts reuse it. */
  port: number;
  version: string;
  edition: 'enterprise' | 'community';
  user: string;
  password: string;
  /** The data volume's contents (the EBS volume's data map in the twin). */
  volume: Map<string, string>;
  cluster: ClusterModel;
  log: WorldLog;
}

export type MemberState = 'stopped' | 'running' | 'refused';

export class SimMember {
  readonly name: string;
  readonly mode: Mode;
  readonly host: string;
  port: number;
  version: Version;
  state: MemberState = 'stopped';
  serverId = '';
  /** Why the last start was refused, if it was. */
  refusal: string | null = null;
  private volume: MemberVolume;
  private bolt: BoltServer | null = null;

  constructor(private readonly o: MemberOptions) {
    this.name = o.name;
    this.mode = o.mode;
    this.host = o.host;
    this.port = o.port;
    this.version = parseVersion(o.version);
    this.volume = new MemberVolume(o.volume);
  }

  get boltUrl(): string {
    return `bolt://${this.host}:${this.port}`;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get volumeData(): Map<string, string> {
    return this.volume.data;
  }

  /** Replaces the data volume (e.g. a new, empty EBS volume) while stopped. */
  attachVolume(data: Map<string, string>): void {
    if (this.state === 'running')
      throw new Error(`member ${this.name} is running; stop it before swapping its volume`);
    this.volume = new MemberVolume(data);
  }

  setVersion(version: string): void {
    if (this.state === 'running')
      throw new Error(`member ${this.name} is running; stop it before changing its version`);
    this.version = parseVersion(version);
  }

  async start(): Promise<void> {
    if (this.state === 'running') return;
    const c = this.o.cluster;
    const storeEmpty = this.volume.isEmpty();
    let id = this.volume.serverId();
    if (!id) {
      id = c.newId();
      this.volume.setServerId(id);
    }
    this.serverId = id;
    const engineContext = {
      cluster: c,
      serverId: id,
      edition: this.o.edition,
      version: this.version,
      now: () => c.p.clock.now(),
    };
    const versions = boltVersionsFor(this.version);
    const max = versions[0] ?? [4, 4];
    this.bolt = await BoltServer.listen(this.host, this.port, {
      agent: `Neo4j/${this.version.text}`,
      boltVersions: versions,
      manifest: max[0] > 5 || (max[0] === 5 && max[1] >= 7),
      authenticate: (scheme, principal, credentials) =>
        scheme === 'basic' && principal === this.o.user && credentials === this.o.password,
      newEngine: () => new QueryEngine(engineContext),
      route: (db) => routingTable(c, db),
      onError: (e) => this.o.log.append('neo4j.member.error', { member: this.name, error: String(e) }),
    });
    this.port = this.bolt.port;
    try {
      c.join({
        name: this.name,
        serverId: id,
        mode: this.mode,
        version: this.version,
        address: this.address,
        httpAddress: `${this.host}:7474`,
        volume: this.volume,
      });
    } catch (e) {
      await this.bolt.close();
      this.bolt = null;
      this.state = 'refused';
      this.refusal = e instanceof Neo4jError ? e.message : String(e);
      this.o.log.append('neo4j.member.refused', {
        member: this.name,
        serverId: id,
        version: this.version.text,
        reason: this.refusal,
      });
      throw new MemberRefusedError(this.name, this.refusal);
    }
    this.state = 'running';
    this.refusal = null;
    this.o.log.append('neo4j.member.started', {
      member: this.name,
      serverId: id,
      address: this.address,
      version: this.version.text,
      storeEmpty,
    });
  }

  async stop(reason = 'stopped'): Promise<void> {
    if (this.state !== 'running') {
      this.state = 'stopped';
      return;
    }
    this.o.cluster.leave(this.serverId, reason);
    this.state = 'stopped';
    const b = this.bolt;
    this.bolt = null;
    await b?.close();
    this.o.log.append('neo4j.member.stopped', { member: this.name, serverId: this.serverId, reason });
  }
}

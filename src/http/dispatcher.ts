/**
 * The undici dispatchers of one transport. One keep-alive `Agent` carries every plain request; each distinct mTLS
 * client certificate gets its own `Agent` (TLS client credentials are fixed per connection pool), cached by the
 * certificate's hash so that the PEM itself is never used as a map key. Every agent connects through the egress
 * policy (egress-connector.ts): no request of a transport can reach an address the policy refuses.
 */
import { createHash } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { Agent } from 'undici';
import { EgressPolicy, type EgressRefusal, LOOPBACK_NETWORKS } from './egress.js';
import { egressConnector, type Resolver } from './egress-connector.js';

export interface TransportOptions {
  /** Extra trusted CA certificate(s), PEM (from `EXTRA_CA_CERTS`), trusted next to the system roots. */
  extraCa?: string | undefined;
  /** Most sockets per origin. @default 256 */
  connections?: number;
  /**
   * Networks (CIDRs) that may be reached although not public (`EGRESS_ALLOWED_NETWORKS`).
   * @default 127.0.0.0/8 and ::1/128 (the configuration's default outside production)
   */
  allowedNetworks?: readonly string[];
  /** Told of each connection attempt the egress policy refuses. */
  onEgressDenied?: (reason: EgressRefusal) => void;
  /** Resolves host names. @default node:dns lookup */
  resolver?: Resolver;
}

export interface ClientCertificate {
  cert: string;
  key: string;
}

/** Longest time to open a connection (TCP + TLS); the header and body timeouts follow the request's own budget. */
const CONNECT_TIMEOUT_MS = 10_000;

export class Dispatchers {
  private shared: Agent | undefined;
  private readonly byCertificate = new Map<string, Agent>();
  private readonly policy: EgressPolicy;

  constructor(private readonly options: TransportOptions = {}) {
    this.policy = new EgressPolicy(options.allowedNetworks ?? LOOPBACK_NETWORKS);
  }

  private createAgent(certificate?: ClientCertificate): Agent {
    // `ca` replaces Node's default roots, so the system roots are listed again next to the extra CA.
    const ca = this.options.extraCa ? [...rootCertificates, this.options.extraCa] : undefined;
    return new Agent({
      connections: this.options.connections ?? 256,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connect: egressConnector(
        { timeout: CONNECT_TIMEOUT_MS, ...(ca && { ca }), ...certificate },
        { policy: this.policy, onDenied: this.options.onEgressDenied, resolver: this.options.resolver },
      ),
    });
  }

  /** The dispatcher for a request: the shared agent, or the one bound to the mTLS client certificate. */
  for(certificate?: ClientCertificate): Agent {
    if (!certificate) {
      this.shared ??= this.createAgent();
      return this.shared;
    }
    const id = createHash('sha256').update(certificate.cert).digest('base64url');
    let agent = this.byCertificate.get(id);
    if (!agent) {
      agent = this.createAgent(certificate);
      this.byCertificate.set(id, agent);
    }
    return agent;
  }

  /** Closes every dispatcher (waits for requests in flight). */
  async close(): Promise<void> {
    const agents = [...this.byCertificate.values(), ...(this.shared ? [this.shared] : [])];
    this.shared = undefined;
    this.byCertificate.clear();
    await Promise.all(agents.map((agent) => agent.close()));
  }
}

/** One actor of a token's `act` chain: its subject and the issuer that subject belongs to. */
export interface ChainedActor {
  sub: string;
  /** The actor's own `iss`, else the token's issuer (null when that is unknown). */
  iss: string | null;
}

// act claims nest (RFC 8693 section 4.1); a chain this deep is already absurd.
const MAX_ACTOR_CHAIN = 16;

/**
 * Returns the actors of an `act` claim, outermost first: the agent acting for the subject, the one acting for
 * that agent, and so on, each with the issuer its `iss` names or else the token's. At most MAX_ACTOR_CHAIN levels
 * are read; a level without a string `sub` names nobody.
 */
export function actorChain(actor: unknown, tokenIssuer: string | null): ChainedActor[] {
  const chain: ChainedActor[] = [];
  let node = actor as { sub?: unknown; iss?: unknown; act?: unknown } | null | undefined;
  for (let depth = 0; node && typeof node === 'object' && depth < MAX_ACTOR_CHAIN; depth++) {
    if (typeof node.sub === 'string') {
      chain.push({ sub: node.sub, iss: typeof node.iss === 'string' ? node.iss : tokenIssuer });
    }
    node = node.act as typeof node;
  }
  return chain;
}

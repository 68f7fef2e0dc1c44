import { createHash } from 'node:crypto';

/**
 * Rendezvous (highest-random-weight) hashing: the weight of `address` for `key` is the first
 * 64 bits of SHA-256(address NUL key); the address with the highest weight wins.
 *
 * Each key's order over the addresses depends only on the key and those addresses, so every
 * backend process places a user on the same bridge without talking to the others, a bridge that
 * leaves moves only its own users (each to its next address in order), and a bridge that joins
 * takes only the users for whom it now weighs most (about 1/n of them).
 */
export function rendezvousWeight(key: string, address: string): bigint {
  return createHash('sha256').update(address).update('\0').update(key).digest().readBigUInt64BE(0);
}

/** `addresses` ordered by their rendezvous weight for `key`, highest first (ties: by address). */
export function rendezvousOrder(key: string, addresses: readonly string[]): string[] {
  return addresses
    .map((address) => ({ address, weight: rendezvousWeight(key, address) }))
    .sort((a, b) => (a.weight === b.weight ? (a.address < b.address ? -1 : a.address > b.address ? 1 : 0) : a.weight > b.weight ? -1 : 1))
    .map((entry) => entry.address);
}

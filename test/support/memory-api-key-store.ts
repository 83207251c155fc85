// An ApiKeyStore in memory for unit tests of the auth use cases: what the SQL store does, in a Map.
import type { ApiKey, ApiKeyStore, StoredApiKey } from '../../src/auth/ports.ts';

/** An in-memory ApiKeyStore that counts markUsed calls. */
export class MemoryApiKeyStore implements ApiKeyStore {
  readonly keys = new Map<string, StoredApiKey>();
  markUsedCalls = 0;
  async insert(key: StoredApiKey) {
    if ([...this.keys.values()].some((k) => k.name === key.name)) return 'duplicate-name' as const;
    this.keys.set(key.keyId, key);
    return 'inserted' as const;
  }
  async find(keyId: string) {
    return this.keys.get(keyId);
  }
  async list(): Promise<ApiKey[]> {
    return [...this.keys.values()];
  }
  async hasUsableKeys() {
    return this.keys.size > 0;
  }
  async revoke(keyIdOrName: string, at: Date) {
    const key = [...this.keys.values()].find((k) => k.keyId === keyIdOrName || k.name === keyIdOrName);
    if (!key) return undefined;
    const revoked = { ...key, revoked: at.toISOString() };
    this.keys.set(key.keyId, revoked);
    return revoked;
  }
  async markUsed(keyId: string, at: Date) {
    this.markUsedCalls++;
    const key = this.keys.get(keyId);
    if (key) this.keys.set(keyId, { ...key, lastUsed: at.toISOString() });
  }
  async revokeIssuedBy(policyId: string, at: Date) {
    const issued = [...this.keys.values()].filter((k) => k.trustPolicy === policyId && !k.revoked);
    for (const key of issued) this.keys.set(key.keyId, { ...key, revoked: at.toISOString() });
    return issued.length;
  }
  async deleteExpiredIssued(before: Date) {
    const expired = [...this.keys.values()].filter(
      (k) => k.trustPolicy && k.expires && Date.parse(k.expires) < before.getTime(),
    );
    for (const key of expired) this.keys.delete(key.keyId);
    return expired.length;
  }
}

// The connection guarantees (connection-guarantees.ts) on every server variant the embedded default can run as:
// the raw-HTTP fast path on (the default), TLS (--tls-cert) with it, and --private, where it is off. PostgreSQL,
// where it is off too, runs the same suite from test/storage/postgres-http.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { createTestCertificate } from '../fixtures/test-certificate.ts';
import { connectionGuaranteesSuite } from './connection-guarantees.ts';

const certDir = await mkdtemp(path.join(os.tmpdir(), 'nugget-timeouts-'));
after(() => rm(certDir, { recursive: true, force: true }));

connectionGuaranteesSuite({
  name: 'raw-HTTP fast path (default)',
  settings: async () => ({}),
  fastPath: true,
});

connectionGuaranteesSuite({
  name: 'TLS with the fast path',
  tls: true,
  fastPath: true,
  settings: async () => {
    const certificate = await createTestCertificate(certDir);
    return { config: { tlsCert: certificate.certFile, tlsKey: certificate.keyFile } };
  },
});

connectionGuaranteesSuite({
  name: '--private (no fast path)',
  fastPath: false,
  settings: async () => ({ config: { private: true } }),
});

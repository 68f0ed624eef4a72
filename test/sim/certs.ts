// A throwaway PKI for TLS tests: one CA, a server certificate for 127.0.0.1 and client
// certificates whose CN is the device id (§1, cert auth). Keys come from node:crypto (fast);
// node-forge builds and signs the certificates.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface Pem {
  key: string;
  cert: string;
}

export interface TestPki {
  ca: Pem;
  server: Pem;
  /** A client certificate with this CN, issued by the CA, or self-signed (untrusted) if asked. */
  client(cn: string, opts?: { selfSigned?: boolean }): Pem;
}

interface KeyPair {
  pem: string;
  priv: forge.pki.rsa.PrivateKey;
  pub: forge.pki.rsa.PublicKey;
}

function keyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return {
    pem: privateKey,
    priv: forge.pki.privateKeyFromPem(privateKey),
    pub: forge.pki.publicKeyFromPem(publicKey),
  };
}

function issue(
  cn: string,
  subjectKey: KeyPair,
  issuer: { cert: forge.pki.Certificate | undefined; key: KeyPair },
  role: 'ca' | 'server' | 'client',
): forge.pki.Certificate {
  const c = forge.pki.createCertificate();
  c.publicKey = subjectKey.pub;
  c.serialNumber = `01${randomBytes(8).toString('hex')}`; // leading 01 keeps it positive
  c.validity.notBefore = new Date(Date.now() - 60_000);
  c.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  const subject = [{ name: 'commonName', value: cn }];
  c.setSubject(subject);
  c.setIssuer(issuer.cert ? issuer.cert.subject.attributes : subject);
  c.setExtensions(
    role === 'ca'
      ? [
          { name: 'basicConstraints', cA: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true },
        ]
      : [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
          { name: 'extKeyUsage', serverAuth: role === 'server', clientAuth: role === 'client' },
          ...(role === 'server' ? [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }] : []),
        ],
  );
  c.sign(issuer.key.priv, forge.md.sha256.create());
  return c;
}

export function createTestPki(): TestPki {
  const caKey = keyPair();
  const caCert = issue('c8y-sim test CA', caKey, { cert: undefined, key: caKey }, 'ca');
  const serverKey = keyPair();
  const serverCert = issue('127.0.0.1', serverKey, { cert: caCert, key: caKey }, 'server');
  return {
    ca: { key: caKey.pem, cert: forge.pki.certificateToPem(caCert) },
    server: { key: serverKey.pem, cert: forge.pki.certificateToPem(serverCert) },
    client(cn, opts = {}) {
      const key = keyPair();
      const issuer = opts.selfSigned ? { cert: undefined, key } : { cert: caCert, key: caKey };
      return { key: key.pem, cert: forge.pki.certificateToPem(issue(cn, key, issuer, 'client')) };
    },
  };
}

import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { createFileExclusive, ensurePrivateDir, restrictFile, writeFileAtomic } from '../files.ts';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

export interface PublicJwk extends JWK {
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

/** Where licenses get their signature and where verifiers find the public keys. */
export interface KeyStore {
  current(): SigningKey;
  jwks(): { keys: PublicJwk[] };
}

interface StoredKey {
  kid: string;
  createdAt: string;
  privateJwk: JWK;
}

interface KeyFile {
  current: string;
  keys: StoredKey[];
}

const RELOAD_CHECK_MS = 1000;

/**
 * Ed25519 keys in `DATA_DIR/keys/signing-keys.json` (mode 0600). `mintdesk keys rotate` edits
 * the file while the service runs; the service notices the change within a second.
 */
export class FileKeyStore implements KeyStore {
  private loaded!: { current: SigningKey; jwks: PublicJwk[]; mtimeMs: number };
  private checkedAt = 0;

  private constructor(readonly file: string) {}

  static keyFileIn(dataDir: string): string {
    return path.join(dataDir, 'keys', 'signing-keys.json');
  }

  /** Opens the key file, generating the first key when there is none. */
  static async open(dataDir: string): Promise<FileKeyStore> {
    const store = new FileKeyStore(FileKeyStore.keyFileIn(dataDir));
    ensurePrivateDir(path.dirname(store.file));
    if (fs.existsSync(store.file)) {
      restrictFile(store.file);
    } else {
      // Instances started together on an empty shared DATA_DIR each get here: exactly one key
      // file is created, and every instance signs with (and publishes) the key it holds.
      const first = await generateKey(new Date());
      createFileExclusive(store.file, serialise({ current: first.kid, keys: [first] }));
    }
    store.reload();
    return store;
  }

  /** Adds a new key and makes it current; old public keys stay published. */
  async rotate(now: Date): Promise<string> {
    const file = readKeyFile(this.file);
    const next = await generateKey(now);
    writeKeyFile(this.file, { current: next.kid, keys: [...file.keys, next] });
    this.reload();
    return next.kid;
  }

  current(): SigningKey {
    this.reloadIfChanged();
    return this.loaded.current;
  }

  jwks(): { keys: PublicJwk[] } {
    this.reloadIfChanged();
    return { keys: this.loaded.jwks };
  }

  private reloadIfChanged(): void {
    const now = Date.now();
    if (now - this.checkedAt < RELOAD_CHECK_MS) return;
    this.checkedAt = now;
    try {
      if (fs.statSync(this.file).mtimeMs !== this.loaded.mtimeMs) this.reload();
    } catch {
      // The file vanished or is being replaced: keep signing with the keys already loaded.
    }
  }

  private reload(): void {
    const mtimeMs = fs.statSync(this.file).mtimeMs;
    const file = readKeyFile(this.file);
    const current = file.keys.find((key) => key.kid === file.current);
    if (!current) throw new Error(`Key file ${this.file} names a current key it does not hold`);
    this.loaded = {
      current: { kid: current.kid, privateKey: crypto.createPrivateKey({ key: current.privateJwk, format: 'jwk' }) },
      // Newest first, so verifiers that try keys in order find the current one quickly.
      jwks: [...file.keys].reverse().map((key) => publicJwk(key)),
      mtimeMs,
    };
    this.checkedAt = Date.now();
  }
}

async function generateKey(now: Date): Promise<StoredKey> {
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  const privateJwk = privateKey.export({ format: 'jwk' }) as JWK;
  const { d: _secret, ...pub } = privateJwk;
  const kid = await calculateJwkThumbprint(pub, 'sha256');
  return { kid, createdAt: now.toISOString(), privateJwk };
}

function publicJwk(key: StoredKey): PublicJwk {
  const { kty, crv, x } = key.privateJwk;
  return { kty, crv, x, kid: key.kid, alg: 'EdDSA', use: 'sig' } as PublicJwk;
}

function readKeyFile(file: string): KeyFile {
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile;
  if (!Array.isArray(parsed.keys) || typeof parsed.current !== 'string') {
    throw new Error(`Key file ${file} is not a Mintdesk key file`);
  }
  return parsed;
}

function writeKeyFile(file: string, content: KeyFile): void {
  ensurePrivateDir(path.dirname(file));
  writeFileAtomic(file, serialise(content));
}

function serialise(content: KeyFile): string {
  return `${JSON.stringify(content, null, 2)}\n`;
}

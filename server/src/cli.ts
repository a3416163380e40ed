import fs from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import { ConfigError, loadConfig } from './config.ts';
import { FileKeyStore } from './keys/key-store.ts';
import { verifyLicense } from './licenses/verify-license.ts';
import { PeopleStore, PersonExistsError } from './people/people-store.ts';
import { openDatabase } from './store/open-database.ts';
import { closeOnSignals, StartupError, startService } from './main.ts';

const USAGE = `Usage: mintdesk <command>

Commands:
  serve                                   start the service (configured by environment variables)
  verify <file or -> [--jwks <url|path>] [--revocations <url|path>]
                                          verify a license offline; exit 0 valid, 1 invalid, expired or revoked,
                                          2 usage error (without --jwks: the public keys in DATA_DIR; with
                                          --revocations: also refuse licenses listed in that revocations.json)
  keys rotate                             add a new signing key and make it current; old public keys stay published
  people add NAME [--approver]            create a personal lookup credential for NAME (printed once, stored as a hash)
  people list                             the people with a credential, and who may approve
  people remove NAME                      remove NAME: their credential stops working at once
`;

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  now: () => Date;
}

const processIo: CliIo = {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  now: () => new Date(),
};

class UsageError extends Error {}

/** Runs one CLI command and returns its exit code (the server keeps running after `serve`). */
export async function runCli(args: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case undefined:
      case 'serve':
        return await serve(io);
      case 'verify':
        return await verify(rest, io);
      case 'keys':
        return await keys(rest, io);
      case 'people':
        return await people(rest, io);
      case '-h':
      case '--help':
      case 'help':
        io.stdout(USAGE);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`mintdesk: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof StartupError) {
      io.stderr(`mintdesk: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

async function serve(io: CliIo): Promise<number> {
  const service = await startService(loadConfig(io.env), (line) => io.stdout(`${line}\n`));
  closeOnSignals(service);
  if (io.env.npm_lifecycle_event === 'start') stopWithParent();
  return 0;
}

/**
 * Under `npm start`, a SIGKILL reaches npm but not this process, which would live on holding the
 * port: follow npm when it goes away.
 */
function stopWithParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
  }, 500).unref();
}

async function verify(args: string[], io: CliIo): Promise<number> {
  let source: string | undefined;
  let jwksSource: string | undefined;
  let revocationsSource: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--revocations') {
      revocationsSource = args[++i];
      if (revocationsSource === undefined) throw new UsageError('--revocations needs a URL or a path');
    } else if (arg.startsWith('--revocations=')) {
      revocationsSource = arg.slice('--revocations='.length);
    } else if (arg === '--jwks') {
      jwksSource = args[++i];
      if (jwksSource === undefined) throw new UsageError('--jwks needs a URL or a path');
    } else if (arg.startsWith('--jwks=')) {
      jwksSource = arg.slice('--jwks='.length);
    } else if (arg.startsWith('--')) {
      throw new UsageError(`unknown option ${arg}`);
    } else if (source === undefined) {
      source = arg;
    } else {
      throw new UsageError('verify takes one license file (or - for standard input)');
    }
  }
  if (source === undefined) throw new UsageError('verify needs a license file, or - to read standard input');
  const token = await readLicense(source, io);
  const jwks = await loadJwks(jwksSource, io);
  const revoked = revocationsSource === undefined ? undefined : await loadRevocations(revocationsSource);
  const result = await verifyLicense(token, jwks, io.now());
  const revocation = result.valid ? revoked?.get(result.claims.jti) : undefined;
  if (revocation !== undefined) {
    io.stdout(`invalid license: revoked on ${revocation} (listed in ${revocationsSource})\n`);
    return 1;
  }
  if (result.valid) {
    io.stdout(`${JSON.stringify(result.claims, null, 2)}\n`);
    return 0;
  }
  io.stdout(`invalid license: ${result.reason}\n`);
  return 1;
}

async function readLicense(source: string, io: CliIo): Promise<string> {
  let text: string;
  if (source === '-') {
    text = await io.readStdin();
  } else {
    try {
      text = fs.readFileSync(source, 'utf8');
    } catch (error) {
      throw new UsageError(
        `cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  }
  const token = text.trim();
  if (token === '') throw new UsageError(`${source === '-' ? 'standard input' : source} is empty`);
  return token;
}

async function loadJwks(source: string | undefined, io: CliIo): Promise<JSONWebKeySet> {
  if (source === undefined) {
    const { dataDir } = loadConfig(io.env);
    const file = FileKeyStore.keyFileIn(dataDir);
    if (!fs.existsSync(file)) throw new UsageError(`no --jwks given and no signing keys at ${file}`);
    return (await FileKeyStore.open(dataDir)).jwks();
  }
  const text = await readSource(source, 'JWKS');
  try {
    const parsed = JSON.parse(text) as JSONWebKeySet;
    if (!Array.isArray(parsed.keys)) throw new Error('no "keys" array');
    return parsed;
  } catch (error) {
    throw new UsageError(`${source} is not a JWKS: ${(error as Error).message}`);
  }
}

/** A URL (fetched, 10 s at most) or a file path. */
async function readSource(source: string, what: string): Promise<string> {
  if (/^https?:\/\//i.test(source)) {
    try {
      const response = await fetch(source, { signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new UsageError(`${what} at ${source} answered HTTP ${response.status}`);
      return await response.text();
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`cannot fetch the ${what} at ${source}: ${(error as Error).message}`);
    }
  }
  try {
    return fs.readFileSync(source, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read the ${what} ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** `/.well-known/revocations.json`: revoked license id → when. */
async function loadRevocations(source: string): Promise<Map<string, string>> {
  const text = await readSource(source, 'revocation list');
  try {
    const parsed = JSON.parse(text) as { revoked?: unknown };
    if (!Array.isArray(parsed.revoked)) throw new Error('no "revoked" array');
    const revoked = new Map<string, string>();
    for (const entry of parsed.revoked as Array<{ jti?: unknown; revokedAt?: unknown }>) {
      if (typeof entry?.jti !== 'string') throw new Error('an entry has no "jti"');
      revoked.set(entry.jti, typeof entry.revokedAt === 'string' ? entry.revokedAt : 'an unknown date');
    }
    return revoked;
  } catch (error) {
    throw new UsageError(`${source} is not a revocation list: ${(error as Error).message}`);
  }
}

async function keys(args: string[], io: CliIo): Promise<number> {
  if (args[0] !== 'rotate' || args.length !== 1) throw new UsageError('the keys command has one subcommand: rotate');
  const config = loadConfig(io.env);
  const store = await FileKeyStore.open(config.dataDir);
  const kid = await store.rotate(io.now());
  io.stdout(
    `New signing key ${kid} is now current (${store.jwks().keys.length} public keys published in ${store.file}).\n`,
  );
  io.stdout('A running service picks it up within a second; licenses signed with older keys stay verifiable.\n');
  return 0;
}

/** Names a person is known by: printable, one line, like an agent name. */
function personName(raw: string | undefined): string {
  const name = raw?.trim() ?? '';
  if (name === '' || name.length > 100 || /[\p{Cc}\u2028\u2029]/u.test(name) || name.startsWith('-'))
    throw new UsageError('give a name of 1 to 100 printable characters (not starting with -)');
  return name;
}

async function people(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'add' && sub !== 'list' && sub !== 'remove')
    throw new UsageError('the people command has three subcommands: add, list, remove');
  const flags = rest.filter((arg) => arg.startsWith('--'));
  const names = rest.filter((arg) => !arg.startsWith('--'));
  const unknown = flags.find((flag) => !(sub === 'add' && flag === '--approver'));
  if (unknown) throw new UsageError(`unknown option ${unknown}`);
  if (sub === 'list' ? names.length !== 0 : names.length !== 1)
    throw new UsageError(
      sub === 'list' ? 'people list takes no name' : `people ${sub} takes one NAME (quote names with spaces)`,
    );
  const config = loadConfig(io.env);
  const database = await openDatabase(config.databaseUrl, config.dataDir);
  const store = new PeopleStore(database.db);
  try {
    if (sub === 'add') {
      const name = personName(names[0]);
      const approver = flags.includes('--approver');
      let token: string;
      try {
        token = await store.add(name, approver, io.now());
      } catch (error) {
        if (error instanceof PersonExistsError) {
          io.stderr(`mintdesk: ${error.message}; remove them first to issue a new credential\n`);
          return 1;
        }
        throw error;
      }
      io.stdout(
        `Added ${name}${approver ? ' (approver)' : ''}. Their personal lookup credential, shown only this once:\n\n${token}\n\n`,
      );
      io.stdout(
        'Hand it over privately. It signs in on /lookup (field "Lookup token") and works as a lookup bearer token; only its hash is stored, so a lost credential cannot be shown again: remove and add the person instead.\n',
      );
      return 0;
    }
    if (sub === 'list') {
      const everyone = await store.list();
      if (everyone.length === 0) io.stdout('No people yet: add one with "mintdesk people add NAME [--approver]".\n');
      for (const person of everyone)
        io.stdout(
          `${person.name}\t${person.approver ? 'approver' : 'lookup'}\tadded ${person.createdAt.slice(0, 10)}\n`,
        );
      return 0;
    }
    const name = personName(names[0]);
    if (!(await store.remove(name))) {
      io.stderr(`mintdesk: nobody named "${name}"\n`);
      return 1;
    }
    io.stdout(`Removed ${name}; their credential no longer works.\n`);
    return 0;
  } finally {
    await database.stopHelpers();
    await database.db.destroy();
  }
}

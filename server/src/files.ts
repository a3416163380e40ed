import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Owner read/write only: every file that holds keys, secrets or the database. */
export const PRIVATE_FILE_MODE = 0o600;
/** Owner only: the folders of our own inside DATA_DIR (keys/, secrets/, outbox/). */
export const PRIVATE_DIR_MODE = 0o700;

/** Writes through a temporary file and a rename, so a crash never leaves half a file behind. */
export function writeFileAtomic(file: string, content: string | Buffer, mode = PRIVATE_FILE_MODE): void {
  const temp = writeTempFile(file, content, mode);
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  syncDir(path.dirname(file));
}

/**
 * Creates `file` with `content` unless it exists already; true when this call created it. Safe
 * when several processes race for the same name (instances started together on one shared
 * DATA_DIR): the content is written to a temporary file first and then hard-linked into place,
 * which fails if the name is taken — so exactly one wins, and the name never shows half a file.
 * The losers read the winner's file.
 */
export function createFileExclusive(file: string, content: string | Buffer, mode = PRIVATE_FILE_MODE): boolean {
  const temp = writeTempFile(file, content, mode);
  try {
    fs.linkSync(temp, file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links: an exclusive create is still exactly-one-wins.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      return createWithoutLink(file, content, mode);
    }
    throw error;
  } finally {
    fs.rmSync(temp, { force: true });
  }
  syncDir(path.dirname(file));
  return true;
}

/** Makes an existing file owner-only, whatever mode it was created with (umask, an older version). */
export function restrictFile(file: string, mode = PRIVATE_FILE_MODE): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if ((stat.mode & 0o777) !== mode) fs.chmodSync(file, mode);
}

/** Creates a folder of our own (owner-only), tightening it if it exists with a looser mode. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if ((fs.statSync(dir).mode & 0o077) !== 0) fs.chmodSync(dir, PRIVATE_DIR_MODE);
}

function writeTempFile(file: string, content: string | Buffer, mode: number): string {
  const temp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  // `mode` applies at creation (minus the umask, which can only take bits away from 0600).
  const fd = fs.openSync(temp, 'wx', mode);
  try {
    fs.writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fs.fsyncSync(fd);
    fs.fchmodSync(fd, mode);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  return temp;
}

function createWithoutLink(file: string, content: string | Buffer, mode: number): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    fs.writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fs.fsyncSync(fd);
    fs.fchmodSync(fd, mode);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** Makes a rename or link inside `dir` survive a power loss (not supported everywhere). */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some platforms and file systems cannot fsync a directory; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

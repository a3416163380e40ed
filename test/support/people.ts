import { type CliIo, runCli } from '@mintdesk/server/cli.ts';

/** Runs `mintdesk people …` in-process against a DATA_DIR, as an operator would. */
export async function peopleCli(dataDir: string, args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    env: { DATA_DIR: dataDir, ...env },
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    readStdin: async () => '',
    now: () => new Date('2026-11-21T09:00:00Z'),
  };
  const code = await runCli(['people', ...args], io);
  return { code, stdout, stderr };
}

/** Adds a person and returns the credential the CLI printed. */
export async function addPerson(dataDir: string, name: string, approver: boolean): Promise<string> {
  const result = await peopleCli(dataDir, ['add', name, ...(approver ? ['--approver'] : [])]);
  const token = /^(mdp_\S+)$/m.exec(result.stdout)?.[1];
  if (result.code !== 0 || !token) throw new Error(`people add failed: ${result.stderr}${result.stdout}`);
  return token;
}

// kmsecret: the CLI. One file per command in cli/; this file only dispatches,
// prints help and turns errors into a message and an exit code.
import { asErrorList, exitCodeOf, formatError, usageError } from './errors.js';
import { KeyService } from './keys/key-service.js';
import { ProviderError } from './providers/provider.js';
import { providerSet } from './providers/registry.js';
import { readSettings } from './settings.js';
import { parseArgs } from './cli/args.js';
import type { Command, Io } from './cli/command.js';
import { check } from './cli/check.js';
import { create } from './cli/create.js';
import { decrypt } from './cli/decrypt.js';
import { diff } from './cli/diff.js';
import { gitSetup } from './cli/git-setup.js';
import { textconv } from './cli/textconv.js';
import { edit } from './cli/edit.js';
import { encryptValue } from './cli/encrypt-value.js';
import { installPlugin } from './cli/install-plugin.js';
import { keygen } from './cli/keygen.js';
import { rotate } from './cli/rotate.js';
import { set, unset } from './cli/set.js';
import { version } from './version.js';

export const commands: Command[] = [keygen, create, set, unset, edit, decrypt, rotate, check, diff, encryptValue, installPlugin, gitSetup, textconv];

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `kmsecret ${version}: Kubernetes Secrets with every value encrypted by AWS KMS or age,
decrypted by kmsecret-fn when kustomize or kpt renders.

Usage: kmsecret COMMAND [flags]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run \`kmsecret COMMAND --help\` for a command's flags and an example.
Exit codes: 0 ok, 1 internal error, 2 usage, 3 bad input, 4 decryption refused, 5 KMS unavailable.`;
}

/** One line from the terminal with echo off, as `read -s` and ssh's password prompt: the
 *  value is never on the screen (nor in a terminal's scrollback or a screen recording). */
function promptHidden(prompt: string, stderr: (text: string) => void): Promise<Uint8Array> {
  const stdin = process.stdin;
  stdin.setRawMode(true);
  // Raw mode is on before the prompt shows: nothing typed after it is echoed.
  stderr(prompt);
  return new Promise((resolve) => {
    let bytes: number[] = [];
    const finish = (interrupted: boolean) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr('\n');
      // Ctrl-C: end the way Ctrl-C ends a program (status 130), nothing written.
      if (interrupted) process.kill(process.pid, 'SIGINT');
      else resolve(new Uint8Array(bytes));
    };
    const onData = (chunk: Buffer) => {
      for (const byte of chunk) {
        if (byte === 0x0d || byte === 0x0a || byte === 0x04) return finish(false);
        if (byte === 0x03) return finish(true);
        if (byte === 0x15) bytes = [];
        else if (byte === 0x7f || byte === 0x08) {
          // Remove one character: a UTF-8 lead byte and its continuation bytes.
          while (bytes.length > 0 && ((bytes.pop() as number) & 0xc0) === 0x80);
        } else bytes.push(byte);
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

function processIo(): Io {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stdinIsTTY: Boolean(process.stdin.isTTY),
    promptHidden: (prompt) => promptHidden(prompt, (text) => process.stderr.write(text)),
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return new Uint8Array(Buffer.concat(chunks));
    },
  };
}

export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
      io.stdout(`${topic ? topic.help : overview()}\n`);
      return 0;
    }
    if (name === '--version' || name === 'version') {
      io.stdout(`${version}\n`);
      return 0;
    }
    const command = commands.find((c) => c.name === name);
    if (!command) throw usageError(`unknown command "${name}"`, 'run `kmsecret --help` for the list');
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(`${command.help}\n`);
      return 0;
    }
    const args = parseArgs(rest, command.flags, command.name);
    const settings = readSettings(io.env);
    const keys = new KeyService({
      providers: providerSet(settings),
      concurrency: settings.concurrency,
      timeoutMs: settings.timeoutMs,
      retry: settings.retry,
      maxDataKeys: settings.maxDataKeys,
      ...(settings.kmsKeys ? { kmsKeys: settings.kmsKeys } : {}),
    });
    try {
      return (await command.run(args, { ...io, settings, keys })) ?? 0;
    } finally {
      keys.close();
    }
  } catch (thrown) {
    // A provider call made by a command itself (create, set, encrypt-value) rather than by a render.
    const errors = thrown instanceof ProviderError ? [thrown.toKmsecretError()] : asErrorList(thrown);
    for (const error of errors) io.stderr(`kmsecret: ${formatError(error)}\n`);
    return exitCodeOf(errors);
  }
}

process.exitCode = await runCli(process.argv.slice(2), processIo());

// What every CLI command is: a name, its help (with an example), its flags,
// and a run function that talks to the world only through its Context: the
// process's streams, the settings read from the environment (settings.ts), and
// the key service (keys/key-service.ts) through which every provider call goes.
import type { KeyService } from '../keys/key-service.js';
import type { Settings } from '../settings.js';
import type { FlagSpecs, ParsedArgs } from './args.js';

export interface Io {
  /** The environment, passed on to the programs a command runs (the editor, git). */
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout(text: string | Uint8Array): void;
  stderr(text: string): void;
  readStdin(): Promise<Uint8Array>;
  stdinIsTTY: boolean;
  /** At a terminal: `prompt` on stderr, then one line read without echoing it (Enter ends it). */
  promptHidden(prompt: string): Promise<Uint8Array>;
}

export interface Context extends Io {
  settings: Settings;
  keys: KeyService;
}

export interface Command {
  name: string;
  summary: string;
  /** The whole --help text after the first line: usage, flags, an example. */
  help: string;
  flags: FlagSpecs;
  /** Resolves to the exit code (0 when it resolves to nothing); throws KmsecretError on failure. */
  run(args: ParsedArgs, ctx: Context): Promise<number | void>;
}

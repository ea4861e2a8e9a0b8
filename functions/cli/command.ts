// What every CLI command is: a name, its help (with an example), its flags,
// and a run function that talks to the world only through Io.
import type { FlagSpecs, ParsedArgs } from './args.js';

export interface Io {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout(text: string | Uint8Array): void;
  stderr(text: string): void;
  readStdin(): Promise<Uint8Array>;
  stdinIsTTY: boolean;
}

export interface Command {
  name: string;
  summary: string;
  /** The whole --help text after the first line: usage, flags, an example. */
  help: string;
  flags: FlagSpecs;
  /** Resolves to the exit code (0 when it resolves to nothing); throws KmsecretError on failure. */
  run(args: ParsedArgs, io: Io): Promise<number | void>;
}

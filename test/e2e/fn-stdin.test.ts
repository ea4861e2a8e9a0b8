// kmsecret-fn reads its stdin whole with read(2) into one growing buffer
// (functions/krm/stdin.ts). Whatever stdin is, the output is the same as from
// an ordinary pipe: a file, and descriptors the parent left non-blocking, which
// read(2) answers with EAGAIN while the writer is slow: a pipe (read on through
// /proc/self/fd/0, which blocks), a socket and a named FIFO (read on by the event
// loop: reopening a FIFO would wait for a writer that may be gone). A signal
// during a read (EINTR) is read past.
// python3 makes those descriptors (Node cannot set O_NONBLOCK) and writes in
// parts with pauses; the pauses only make EAGAIN likely, nothing depends on them.
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ageKey, type AgeKey, kmsSecretYaml } from '../helpers/fixtures.js';
import { resourceList } from '../helpers/resource-list.js';
import { cleanEnv, fnBin, run, type RunResult, runFn } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

const slowWriter = `
import fcntl, os, signal, socket, subprocess, sys, tempfile, termios, time, array
kind, path, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
data = open(path, 'rb').read()
if kind == 'socket':
    a, b = socket.socketpair()
    r, w = a.detach(), b.detach()
elif kind == 'fifo':
    fifo = os.path.join(tempfile.mkdtemp(), 'stdin')
    os.mkfifo(fifo)
    r = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    w = os.open(fifo, os.O_WRONLY)
else:
    r, w = os.pipe()
if kind != 'signal':
    fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) | os.O_NONBLOCK)
child = subprocess.Popen(cmd, stdin=r)
if kind != 'signal':
    os.close(r)
third = len(data) // 3
for i, part in enumerate((data[:third], data[third:2 * third], data[2 * third:])):
    while part:
        part = part[os.write(w, part):]
    if kind == 'signal' and i == 0:
        # Once the child has read the first part it is running (its handlers are set): a signal
        # now interrupts its read, or comes between two reads.
        pending = array.array('i', [1])
        while pending[0] > 0:
            fcntl.ioctl(r, termios.FIONREAD, pending)
            time.sleep(0.01)
        child.send_signal(signal.SIGUSR1)
        # Only the child holds the read end now: if it stops reading, a write fails.
        os.close(r)
    time.sleep(0.2)
os.close(w)
sys.exit(child.wait())
`;

type Stdin = 'pipe' | 'socket' | 'fifo' | 'signal';

function runWithStdin(kind: Stdin, input: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  const file = join(tempDir('fn-stdin-'), 'list.yaml');
  writeFileSync(file, input);
  return run('python3', ['-c', slowWriter, kind, file, process.execPath, fnBin], { env });
}

function runFromFile(input: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  const file = join(tempDir('fn-stdin-'), 'list.yaml');
  writeFileSync(file, input);
  const fd = openSync(file, 'r');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fnBin], { env, stdio: [fd, 'pipe', 'pipe'] });
    closeSync(fd);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

describe('kmsecret-fn reads all of stdin, whatever it is', () => {
  let key: AgeKey;
  let input: string;
  beforeAll(async () => {
    key = await ageKey();
    // Non-ASCII text (decoded as UTF-8), a KmsSecret, and enough items to span many reads.
    const plain = Array.from({ length: 2000 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c-${i}\ndata:\n  note: "café ${i}"\n`);
    input = resourceList([...plain, await kmsSecretYaml(key.provider, key.recipient, { name: 'db', namespace: 'team-a', data: { password: 's3cret-value' } })]);
  });

  it('the same output from a pipe, a file, a non-blocking pipe and a non-blocking socket', async () => {
    const env = cleanEnv(key.env);
    const expected = await runFn(input, env);
    expect(expected.code, expected.stderr).toBe(0);
    expect(expected.stdout).toContain('kind: Secret');
    expect(expected.stdout).toContain('café 1999');
    for (const result of [
      await runFromFile(input, env),
      await runWithStdin('pipe', input, env),
      await runWithStdin('socket', input, env),
      await runWithStdin('fifo', input, env),
    ]) {
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(expected.stdout);
    }
  });

  it('a signal during a read (EINTR) does not cut the input short', async () => {
    const env = cleanEnv(key.env);
    const expected = await runFn(input, env);
    // SIGUSR1 opens Node's inspector, which says so on stderr: only the output is compared.
    const result = await runWithStdin('signal', input, env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(expected.stdout);
  });
});

import { StringDecoder } from 'node:string_decoder';
import { CliError } from './cli-error';

/** More than any password the policy accepts (256 code points of up to 4 bytes), and still small. */
const MAX_LINE_BYTES = 4096;

/**
 * The new password, from standard input and never from an argument (which `ps` and
 * shell history would show). In a terminal: prompted on stderr without echo, twice.
 * From a pipe: the first line, without its line ending (\n or \r\n) and otherwise
 * exactly as sent, spaces included, as registration takes it.
 */
export async function readPassword(input: NodeJS.ReadStream, output: NodeJS.WriteStream, username: string): Promise<string> {
  if (!input.isTTY) return readLine(input);
  const password = await prompt(input, output, `New password for ${username}: `);
  const again = await prompt(input, output, 'Repeat it: ');
  if (password !== again) throw new CliError('the two passwords differ');
  return password;
}

function readLine(input: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    let text = '';
    let bytes = 0;
    let sawInput = false;
    const finish = (result: string | Error) => {
      input.off('data', onData).off('end', onEnd).off('error', onError);
      input.pause();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer) => {
      sawInput = true;
      bytes += chunk.length;
      text += decoder.write(chunk);
      const newline = text.indexOf('\n');
      if (newline >= 0) finish(text.slice(0, newline).replace(/\r$/, ''));
      else if (bytes > MAX_LINE_BYTES) finish(new CliError('the password line on standard input is too long'));
    };
    const onEnd = () => (sawInput ? finish(text + decoder.end()) : finish(new CliError('no password on standard input: pipe one line, or run in a terminal to be asked')));
    const onError = (error: Error) => finish(new CliError(`cannot read standard input: ${error.message}`));
    input.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/** One line typed in raw mode: nothing is echoed; backspace, Enter, Ctrl-C and Ctrl-D do what a terminal user expects. */
function prompt(input: NodeJS.ReadStream, output: NodeJS.WriteStream, question: string): Promise<string> {
  // Raw mode before the question: what is typed the moment it shows must neither echo nor raise SIGINT.
  input.setRawMode(true);
  output.write(question);
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (result: string | Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return done(typed);
        if (char === '\u0003') return done(new CliError('interrupted', 130));
        if (char === '\u0004') return typed === '' ? done(new CliError('no password typed')) : done(typed);
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else if (char >= ' ') typed += char;
      }
    };
    input.on('data', onData);
  });
}

/**
 * Asks for field values on a terminal: one line each; multiline fields (PEM keys) until an empty line; secret
 * fields without echo.
 */
import type { ReadStream } from 'node:tty';

export interface Terminal {
  input: ReadStream;
  output: NodeJS.WritableStream;
}

/** Reads until Enter (or, for `multiline`, an empty line). With `hidden` the terminal echoes nothing. */
export function ask(terminal: Terminal, question: string, options: { hidden: boolean; multiline: boolean }) {
  const { input, output } = terminal;
  return new Promise<string>((resolve, reject) => {
    const wasRaw = input.isRaw;
    // Echo goes off before the question shows, so that nothing typed after it is echoed.
    input.setRawMode(options.hidden);
    input.setEncoding('utf8');
    output.write(question);
    let value = '';
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      if (options.hidden) output.write('\n');
      if (error) reject(error);
      else resolve(value.replace(/\r\n?/g, '\n'));
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\u0003') return finish(new Error('interrupted'));
        const isEnter = char === '\r' || char === '\n';
        if (isEnter && (!options.multiline || value === '' || value.endsWith('\n'))) {
          value = value.replace(/\n$/, '');
          return finish();
        }
        if (isEnter) value += '\n';
        else if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}

import type { Invocation } from './command.ts';

/** With --json, exactly the API's reply as one JSON document; otherwise the command's human rendering. */
export function emit<T>(invocation: Invocation, data: T, render: (data: T) => string): void {
  if (invocation.json) {
    invocation.io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    return;
  }
  const text = render(data);
  invocation.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

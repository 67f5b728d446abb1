// The executable's entry (bundled to dist/cli/falco-response.cjs): runs main and exits with its code.
import { main } from './main.ts';

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});

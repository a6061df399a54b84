/** berthd's entry point: bin/berthd runs its bundle (dist/bundle/daemon/berthd.js, see scripts/bundle.mjs). */
import { main } from './main.js';

main(process.argv).catch((e: Error) => {
  process.stderr.write(`berthd: ${e.message}\n`);
  process.exit(1);
});

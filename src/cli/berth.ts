/** The berth CLI's entry point: bin/berth runs its bundle (dist/bundle/cli/berth.js, see scripts/bundle.mjs). */
import { cli } from './main.js';

cli();

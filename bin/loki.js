#!/usr/bin/env bun
// Source entry for `npx loki` / `bunx loki`: runs the CLI from src/ under Bun (npx puts
// node_modules/.bin, where the bun devDependency lives, on PATH). The release build is dist/loki.
import { main } from "../src/cli.ts";

process.exitCode = await main(process.argv.slice(2));

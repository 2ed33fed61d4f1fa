// Runs several ajv-cli command lines in one node process, each exactly as
// ajv-cli's own entry point (dist/index.js) runs one: minimist, the
// command's option check, execute. Starting node and loading ajv-cli is
// most of what one ajv run costs; each command line still builds its own
// Ajv instance from its own options, as a separate run would.
//
// Usage: node ajv-batch.js AJV-CLI-INDEX.JS < runs.json
// where runs.json is a JSON array of argument arrays (what follows "ajv" on
// a command line). Prints a JSON array with, for each run, the exit status
// ajv-cli would have exited with and what it printed (stdout and stderr).
"use strict";
const fs = require("fs");
const path = require("path");

const dist = path.dirname(fs.realpathSync(process.argv[2]));
const req = (m) => require(require.resolve(m, { paths: [dist] }));
const minimist = req("minimist");
const commands = require(path.join(dist, "commands")).default;
const options = require(path.join(dist, "commands", "options"));

class Exit {
  constructor(code) {
    this.code = code;
  }
}

const runs = JSON.parse(fs.readFileSync(0, "utf8"));
const results = [];
const log = console.log, error = console.error, exit = process.exit;
for (const args of runs) {
  let out = "";
  const write = (...a) => {
    out += a.join(" ") + "\n";
  };
  console.log = console.error = write;
  process.exit = (code) => {
    throw new Exit(code);
  };
  let code;
  try {
    const argv = minimist(args);
    const command = argv._[0] || "validate";
    const cmd = commands[command];
    if (!cmd) {
      write(`Unknown command ${command}`);
      code = 2;
    } else {
      const errors = options.checkOptions(cmd.schema, argv);
      if (errors) {
        write(errors);
        code = 2;
      } else {
        code = cmd.execute(argv) ? 0 : 1;
      }
    }
  } catch (e) {
    if (e instanceof Exit) {
      code = e.code;
    } else {
      write(String(e && e.stack || e));
      code = 1;
    }
  } finally {
    console.log = log;
    console.error = error;
    process.exit = exit;
  }
  results.push({ code, output: out });
}
process.stdout.write(JSON.stringify(results));
